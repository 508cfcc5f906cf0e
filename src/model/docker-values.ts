import ipaddr from 'ipaddr.js';
import { diag, type Diagnostic } from './diagnostic.js';
import type {
  ContainerEndpoint,
  DockerContainer,
  DockerInventory,
  DockerNetwork,
  PublishedPort,
  RejectedEntry,
} from './docker.js';

/**
 * Checks for every value dockwall takes from Docker before it can reach rule text. Docker's API
 * answers (or a saved inventory) are input like any other: a bridge named `+` would read as
 * iptables' wildcard, a quote would break the rule, a host address could carry options. A value
 * that is not what it claims to be costs its entry (network, container or port), never the meaning
 * of a rule. Each check answers why the value is refused, or undefined when it is fine.
 */

/** Characters dockwall writes into `-i NAME` unquoted: no quotes, spaces, `!`, `+` or `/`. */
const SAFE_INTERFACE = /^[A-Za-z0-9_.@-]+$/;

/**
 * An interface name as the kernel takes it (1–15 bytes, no `/`, `:` or whitespace, not `.` or
 * `..`), narrowed to what iptables reads as exactly that interface: no `+` (a wildcard there), no
 * quotes or other characters that would change the rule's words, and no leading `-` or `!`.
 */
export function interfaceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'is empty';
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > 15) return `is ${bytes} bytes long (the kernel allows 15)`;
  if (name === '.' || name === '..') return 'is `.` or `..`, which the kernel refuses';
  if (/[/:\s]/.test(name)) return 'holds `/`, `:` or white space, which the kernel refuses';
  if (name.includes('+'))
    return 'holds `+`, which iptables reads as a wildcard for every interface with that prefix';
  if (name.startsWith('-') || name.startsWith('!'))
    return 'starts with `-` or `!`, which iptables reads as an option';
  if (!SAFE_INTERFACE.test(name))
    return 'holds characters other than letters, digits, `_`, `.`, `@` and `-`, which cannot be written into a rule unchanged';
  return undefined;
}

/** An IPv4 address in dotted-quad form or an IPv6 address (no zone, no prefix length). */
export function ipAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is empty';
  if (ipaddr.IPv4.isValidFourPartDecimal(value)) return undefined;
  if (
    value.includes(':') &&
    !value.includes('%') &&
    /^[0-9A-Fa-f:.]+$/.test(value) &&
    ipaddr.IPv6.isValid(value)
  )
    return undefined;
  return 'is not an IP address';
}

/** A subnet `ADDRESS/LENGTH` of either family. */
export function subnetProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not text';
  const [addr, len, ...rest] = value.split('/');
  if (rest.length > 0 || len === undefined || !/^\d{1,3}$/.test(len)) return 'is not ADDRESS/LENGTH';
  if (ipAddressProblem(addr) !== undefined) return 'does not start with an IP address';
  const max = addr!.includes(':') ? 128 : 32;
  return Number(len) > max ? `has a prefix length above ${max}` : undefined;
}

export function portNumberProblem(value: unknown): string | undefined {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535
    ? undefined
    : 'is not a port number (1–65535)';
}

/** Docker's object ids are hex; names are `[A-Za-z0-9][A-Za-z0-9_.-]*`. Both stay on one line. */
export function dockerIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is empty';
  return /^[0-9A-Za-z_.-]+$/.test(value)
    ? undefined
    : 'holds characters other than letters, digits, `_`, `.` and `-`';
}

/** Names only select and label; they must still be one printable word (they are shown). */
export function dockerNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is empty';
  if (value.length > 255) return 'is longer than 255 characters';
  return /^[^\s\p{C}]+$/u.test(value) ? undefined : 'holds white space or control characters';
}

/** A value shown in a message: quoted, with every non-printable character escaped. */
export function shownValue(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function first(checks: Array<[string, string | undefined]>): string | undefined {
  for (const [what, problem] of checks) if (problem !== undefined) return `its ${what} ${problem}`;
  return undefined;
}

/**
 * Docker writes a bridge's name into its own rules as given, so a `+` there is a wildcard in
 * Docker's rules too (found with dockerd 20.10): its nat rule `-i NAME -j RETURN` then skips the DNAT
 * of every published port for every matching interface, and docker-proxy answers those ports through
 * INPUT, where DOCKER-USER (and dockwall's container rules) never see them.
 */
const DOCKER_WILDCARD_BRIDGE =
  "; Docker's own rules read it as a wildcard too: its nat rule `-i NAME -j RETURN` skips the DNAT of the published ports of " +
  'every matching interface, and docker-proxy then serves them through INPUT, out of reach of DOCKER-USER and dockwall: ' +
  'remove or rename this network';

export function networkProblem(n: DockerNetwork): string | undefined {
  const problem = networkValueProblem(n);
  if (
    problem !== undefined &&
    n.bridge?.includes('+') &&
    interfaceNameProblem(n.bridge)?.includes('wildcard')
  )
    return problem + DOCKER_WILDCARD_BRIDGE.replace('NAME', n.bridge);
  return problem;
}

function networkValueProblem(n: DockerNetwork): string | undefined {
  return first([
    ['id', dockerIdProblem(n.id)],
    ['name', dockerNameProblem(n.name)],
    ...(n.bridge !== undefined
      ? [
          [`bridge name ${shownValue(n.bridge)}`, interfaceNameProblem(n.bridge)] as [
            string,
            string | undefined,
          ],
        ]
      : []),
    ...n.subnets.map((s): [string, string | undefined] => [`subnet ${shownValue(s)}`, subnetProblem(s)]),
    ...n.gateways.map((g): [string, string | undefined] => [`gateway ${shownValue(g)}`, ipAddressProblem(g)]),
  ]);
}

function endpointProblem(e: ContainerEndpoint): string | undefined {
  return first([
    ['network name', dockerNameProblem(e.network)],
    ...(e.ipv4 !== undefined
      ? [[`address ${shownValue(e.ipv4)}`, ipAddressProblem(e.ipv4)] as [string, string | undefined]]
      : []),
    ...(e.ipv6 !== undefined
      ? [[`address ${shownValue(e.ipv6)}`, ipAddressProblem(e.ipv6)] as [string, string | undefined]]
      : []),
  ]);
}

export function containerProblem(c: DockerContainer): string | undefined {
  return (
    first([
      ['id', dockerIdProblem(c.id)],
      ['name', dockerNameProblem(c.name)],
    ]) ?? c.endpoints.map(endpointProblem).find((p) => p !== undefined)
  );
}

export function portProblem(p: PublishedPort): string | undefined {
  return first([
    [`host address ${shownValue(p.hostIp)}`, p.hostIp === '' ? undefined : ipAddressProblem(p.hostIp)],
    ['host port', portNumberProblem(p.hostPort)],
    ['container port', portNumberProblem(p.containerPort)],
    [
      `protocol ${shownValue(p.proto)}`,
      ['tcp', 'udp', 'sctp'].includes(p.proto) ? undefined : 'is not tcp, udp or sctp',
    ],
  ]);
}

function describePort(p: PublishedPort): string {
  return `${shownValue(p.hostIp)}:${String(p.hostPort)}->${String(p.containerPort)}/${String(p.proto)}`;
}

/**
 * The inventory without the entries whose values fail the checks above, and what was left out
 * (added to `rejected`, after any entries rejected earlier). Entries that pass are kept as they are.
 */
export function checkInventory(inventory: DockerInventory): DockerInventory {
  const rejected: RejectedEntry[] = [...(inventory.rejected ?? [])];
  const networks = inventory.networks.filter((n) => {
    const reason = networkProblem(n);
    if (reason) rejected.push({ kind: 'network', name: String(n.name), reason });
    return !reason;
  });
  const containers: DockerContainer[] = [];
  for (const c of inventory.containers) {
    const reason = containerProblem(c);
    if (reason) {
      rejected.push({ kind: 'container', name: String(c.name), reason });
      continue;
    }
    const ports = c.ports.filter((p) => {
      const why = portProblem(p);
      if (why) rejected.push({ kind: 'port', name: `${c.name} ${describePort(p)}`, reason: why });
      return !why;
    });
    containers.push(ports.length === c.ports.length ? c : { ...c, ports });
  }
  const out: DockerInventory = { ...inventory, networks, containers };
  if (rejected.length > 0) out.rejected = rejected;
  else delete out.rejected;
  return out;
}

/**
 * One diagnostic per rejected entry: what was left out, and why. A warning, not an error: the rest
 * of the inventory is sound and its rules apply (watch logs these at level error).
 */
export function rejectedDiagnostics(inventory: DockerInventory | undefined): Diagnostic[] {
  return (inventory?.rejected ?? []).map((r) =>
    diag(
      'warning',
      'docker.rejected-value',
      `Docker ${r.kind} ${shownValue(r.name)} left out: ${r.reason}`,
      undefined,
      { hint: rejectedHint(r.kind) },
    ),
  );
}

function rejectedHint(kind: RejectedEntry['kind']): string {
  if (kind === 'network')
    return "no rule names its bridge: its containers' traffic is filtered like any other (rename the bridge to fix)";
  if (kind === 'container')
    return 'no containers: entry allows it: its published ports are refused where unlisted ones are';
  return 'no containers: entry allows this published port: it is refused where unlisted ones are';
}
