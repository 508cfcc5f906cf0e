import { keyedRecord } from '../model/own-key.js';
import { checkInventory, shownValue } from '../model/index.js';
import type {
  ContainerEndpoint,
  DockerContainer,
  DockerFirewallBackend,
  DockerInventory,
  DockerNetwork,
  PortProto,
  PublishedPort,
  RejectedEntry,
} from '../model/index.js';

/**
 * Pure mapping from Engine API JSON (list or inspect shapes, daemons 20.10 to 29) to the model's
 * DockerInventory. Every value is checked before use; entries without an id or name are skipped,
 * and an entry with a value that is not what it claims to be (checkInventory) is left out and listed
 * in `rejected`.
 */

type Json = Record<string, unknown>;

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const DEFAULT_BRIDGE_OPTION = 'com.docker.network.bridge.default_bridge';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out = keyedRecord<string>();
  const record = obj(value);
  if (!record) return out;
  for (const [key, v] of Object.entries(record)) if (typeof v === 'string') out[key] = v;
  return out;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pushUnique(list: string[], value: string | undefined): void {
  if (value !== undefined && !list.includes(value)) list.push(value);
}

/**
 * `Info.FirewallBackend`: an object `{Driver, Info}` since API 1.49 (a bare string in development
 * builds before). Drivers seen: `iptables`, `iptables+firewalld`, `nftables` (`nftables+firewalld`
 * maps to `nftables`: the rules live in nftables either way).
 */
export function mapFirewallBackend(raw: unknown): DockerFirewallBackend | undefined {
  const driver = typeof raw === 'string' ? raw : str(obj(raw)?.['Driver']);
  if (driver === undefined) return undefined;
  const name = driver.trim().toLowerCase();
  if (name === 'iptables') return 'iptables';
  if (name === 'iptables+firewalld') return 'iptables+firewalld';
  if (name === 'nftables' || name.startsWith('nftables+')) return 'nftables';
  return undefined;
}

/** The Linux bridge of a bridge-driver network; undefined for other drivers. */
export function bridgeNameOf(
  network: { id: string; name: string; driver: string },
  options: unknown,
): string | undefined {
  if (network.driver !== 'bridge') return undefined;
  const opts = stringMap(options);
  const explicit = str(opts[BRIDGE_NAME_OPTION]);
  if (explicit) return explicit;
  if (network.name === 'bridge' || opts[DEFAULT_BRIDGE_OPTION] === 'true') return 'docker0';
  return `br-${network.id.slice(0, 12)}`;
}

export function networkFromApi(raw: unknown): DockerNetwork | undefined {
  const n = obj(raw);
  const id = str(n?.['Id']) ?? str(n?.['ID']);
  const name = str(n?.['Name']);
  if (!n || !id || !name) return undefined;
  const driver = str(n['Driver']) ?? '';
  const subnets: string[] = [];
  const gateways: string[] = [];
  for (const entry of arr(obj(n['IPAM'])?.['Config'])) {
    const config = obj(entry);
    pushUnique(subnets, str(config?.['Subnet']));
    pushUnique(gateways, str(config?.['Gateway']));
  }
  const network: DockerNetwork = { id, name, driver, subnets, gateways, internal: n['Internal'] === true };
  const bridge = bridgeNameOf(network, n['Options']);
  if (bridge) network.bridge = bridge;
  if (typeof n['EnableIPv6'] === 'boolean') network.enableIPv6 = n['EnableIPv6'];
  return network;
}

function parsePort(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

function parseProto(value: unknown): PortProto | undefined {
  return value === 'tcp' || value === 'udp' || value === 'sctp' ? value : undefined;
}

/** Docker leaves the address out (or empty) for "every address"; anything else is kept as given, to be checked. */
function hostIpOrAny(value: unknown): string {
  return value === undefined || value === null || value === '' ? '0.0.0.0' : String(value as string);
}

/** Called with a description and a reason for a binding that names a host port but cannot be read. */
export type RejectPort = (binding: string, reason: string) => void;

/** Inspect shape: `NetworkSettings.Ports`, e.g. `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8000"}]}`. */
export function portsFromInspect(raw: unknown, reject: RejectPort = () => undefined): PublishedPort[] {
  const ports: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(obj(raw) ?? {})) {
    const match = /^(\d+)\/(\w+)$/.exec(key);
    const containerPort = parsePort(match?.[1]);
    const proto = parseProto(match?.[2]);
    for (const entry of arr(bindings)) {
      const binding = obj(entry);
      const rawHostPort = binding?.['HostPort'];
      // An exposed port without a host port is not published: nothing to allow or refuse.
      if (rawHostPort === undefined || rawHostPort === null || rawHostPort === '') continue;
      const hostPort = parsePort(rawHostPort);
      const shown = `${shownValue(key)} -> ${shownValue(rawHostPort)}`;
      if (containerPort === undefined || proto === undefined)
        reject(shown, `the port ${shownValue(key)} is not PORT/tcp, PORT/udp or PORT/sctp`);
      else if (hostPort === undefined)
        reject(shown, `the host port ${shownValue(rawHostPort)} is not a port number`);
      else ports.push({ hostIp: hostIpOrAny(binding?.['HostIp']), hostPort, containerPort, proto });
    }
  }
  return ports;
}

/** List shape: `Ports`, e.g. `[{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8000, "Type": "tcp"}]`. */
export function portsFromSummary(raw: unknown, reject: RejectPort = () => undefined): PublishedPort[] {
  const ports: PublishedPort[] = [];
  for (const entry of arr(raw)) {
    const port = obj(entry);
    const rawHostPort = port?.['PublicPort'];
    if (rawHostPort === undefined || rawHostPort === null) continue;
    const containerPort = parsePort(port?.['PrivatePort']);
    const hostPort = parsePort(rawHostPort);
    const proto = parseProto(port?.['Type']);
    if (containerPort === undefined || hostPort === undefined || proto === undefined) {
      reject(
        `${shownValue(port?.['PrivatePort'])}/${shownValue(port?.['Type'])} -> ${shownValue(rawHostPort)}`,
        'the binding is not a port number, a protocol (tcp, udp, sctp) and a host port',
      );
      continue;
    }
    ports.push({ hostIp: hostIpOrAny(port?.['IP']), hostPort, containerPort, proto });
  }
  return ports;
}

function normalizePorts(ports: PublishedPort[]): PublishedPort[] {
  const seen = new Map<string, PublishedPort>();
  for (const p of ports) seen.set(`${p.proto}/${p.containerPort}/${p.hostIp}/${p.hostPort}`, p);
  return [...seen.values()].sort(
    (a, b) =>
      a.containerPort - b.containerPort ||
      cmp(a.proto, b.proto) ||
      a.hostPort - b.hostPort ||
      cmp(a.hostIp, b.hostIp),
  );
}

/** Strips the leading `/` Docker keeps on container names. */
export function containerName(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

function pickName(c: Json): string | undefined {
  const inspectName = str(c['Name']);
  if (inspectName) return containerName(inspectName);
  const names = arr(c['Names']).filter((n): n is string => typeof n === 'string' && n !== '');
  // Legacy links add names like `/other/alias`; the container's own name has a single segment.
  const own = names.find((n) => !containerName(n).includes('/')) ?? names[0];
  return own === undefined ? undefined : containerName(own);
}

function isRunning(c: Json): boolean {
  const state = c['State'];
  if (typeof state === 'string') return state === 'running' || state === 'paused' || state === 'restarting';
  return obj(state)?.['Running'] === true;
}

interface EndpointGateway {
  network: string;
  networkId?: string;
  gateway?: string;
  ipv6Gateway?: string;
}

interface MappedContainer {
  container: DockerContainer;
  gateways: EndpointGateway[];
  rejected: RejectedEntry[];
}

function mapContainer(raw: unknown): MappedContainer | undefined {
  const c = obj(raw);
  const id = str(c?.['Id']) ?? str(c?.['ID']);
  if (!c || !id) return undefined;
  const name = pickName(c) ?? id.slice(0, 12);
  const config = obj(c['Config']);
  const labels = stringMap(config ? config['Labels'] : c['Labels']);
  const settings = obj(c['NetworkSettings']);
  const inspectPorts = settings?.['Ports'];
  const rejected: RejectedEntry[] = [];
  const reject: RejectPort = (binding, reason) =>
    rejected.push({ kind: 'port', name: `${name} ${binding}`, reason });
  const ports = normalizePorts(
    obj(inspectPorts) !== undefined
      ? portsFromInspect(inspectPorts, reject)
      : portsFromSummary(c['Ports'], reject),
  );
  const endpoints: ContainerEndpoint[] = [];
  const gateways: EndpointGateway[] = [];
  for (const [network, value] of Object.entries(obj(settings?.['Networks']) ?? {})) {
    const ep = obj(value);
    const endpoint: ContainerEndpoint = { network };
    const ipv4 = str(ep?.['IPAddress']);
    const ipv6 = str(ep?.['GlobalIPv6Address']);
    if (ipv4) endpoint.ipv4 = ipv4;
    if (ipv6) endpoint.ipv6 = ipv6;
    endpoints.push(endpoint);
    const gw: EndpointGateway = { network };
    const networkId = str(ep?.['NetworkID']);
    const gateway = str(ep?.['Gateway']);
    const ipv6Gateway = str(ep?.['IPv6Gateway']);
    if (networkId) gw.networkId = networkId;
    if (gateway) gw.gateway = gateway;
    if (ipv6Gateway) gw.ipv6Gateway = ipv6Gateway;
    gateways.push(gw);
  }
  endpoints.sort((a, b) => cmp(a.network, b.network));
  return { container: { id, name, labels, running: isRunning(c), endpoints, ports }, gateways, rejected };
}

/** Maps one container in list (`GET /containers/json`) or inspect (`docker inspect`) shape. */
export function containerFromApi(raw: unknown): DockerContainer | undefined {
  return mapContainer(raw)?.container;
}

/**
 * Fills gateways that IPAM does not report (the default bridge on older daemons lists only its
 * subnet) from the gateways the containers' endpoints on that network report.
 */
function fillGatewaysFromEndpoints(networks: DockerNetwork[], mapped: MappedContainer[]): void {
  for (const network of networks) {
    const hasV4 = network.gateways.some((g) => !g.includes(':'));
    const hasV6 = network.gateways.some((g) => g.includes(':'));
    for (const { gateways } of mapped) {
      for (const gw of gateways) {
        if (gw.networkId !== undefined ? gw.networkId !== network.id : gw.network !== network.name) continue;
        if (!hasV4) pushUnique(network.gateways, gw.gateway);
        if (!hasV6) pushUnique(network.gateways, gw.ipv6Gateway);
      }
    }
  }
}

/**
 * Builds the inventory from `GET /networks` (or `docker network inspect`), `GET /containers/json`
 * (or `docker inspect`), and optionally `GET /info` and `GET /version`. Networks and containers
 * come out sorted by name; ports by container port, protocol, host port, host address.
 */
export function inventoryFromApi(
  networksJson: unknown,
  containersJson: unknown,
  infoJson?: unknown,
  versionJson?: unknown,
): DockerInventory {
  const networks = arr(networksJson)
    .map(networkFromApi)
    .filter((n): n is DockerNetwork => n !== undefined)
    .sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));
  const mapped = arr(containersJson)
    .map(mapContainer)
    .filter((c): c is MappedContainer => c !== undefined);
  fillGatewaysFromEndpoints(networks, mapped);
  const containers = mapped.map((m) => m.container).sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));

  const rejected = mapped.flatMap((m) => m.rejected);
  const inventory: DockerInventory = { networks, containers, ...(rejected.length ? { rejected } : {}) };
  const info = obj(infoJson);
  const version = obj(versionJson);
  const serverVersion = str(info?.['ServerVersion']) ?? str(version?.['Version']);
  const apiVersion = str(version?.['ApiVersion']);
  const firewallBackend = mapFirewallBackend(info?.['FirewallBackend']);
  if (serverVersion) inventory.serverVersion = serverVersion;
  if (apiVersion) inventory.apiVersion = apiVersion;
  if (firewallBackend) inventory.firewallBackend = firewallBackend;
  return checkInventory(inventory);
}
