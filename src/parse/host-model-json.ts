import { diag, type Diagnostic, type Result, type SourcePos } from '../model/diagnostic.js';
import type { HostInterface, HostModel, HostRoute } from '../model/host.js';
import { parseNetwork } from '../policy/values.js';
import { parseJsonWithPositions } from './json-positions.js';

/**
 * Part of a host model read from one file: `ip -j addr` gives the interfaces, `ip -j route` the
 * routes, dockwall's own JSON (or a policy's `host:` block written as JSON) both.
 */
export interface HostModelPart {
  kind: 'ip-addr' | 'ip-route' | 'host-model' | 'policy-host';
  interfaces?: HostInterface[];
  routes?: HostRoute[];
}

export interface HostModelJsonOptions {
  file: string;
}

const FORMATS =
  'expected `ip -j addr` output, `ip -j route` output, or {"interfaces": [{"name": "eth0", "addresses": ["192.168.122.190/24"]}], "routes": [{"destination": "default", "device": "eth0", "via": "192.168.122.1"}]}';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

interface IpAddrInfo {
  family?: unknown;
  local?: unknown;
  prefixlen?: unknown;
}

/** The interfaces of `ip -j addr` output (IPv4 and IPv6 addresses with their prefix lengths). */
export function interfacesFromIpAddr(list: readonly unknown[]): HostInterface[] {
  const out: HostInterface[] = [];
  for (const i of list) {
    if (!isObj(i) || typeof i['ifname'] !== 'string') continue;
    const info = Array.isArray(i['addr_info']) ? (i['addr_info'] as IpAddrInfo[]) : [];
    const iface: HostInterface = {
      name: i['ifname'],
      addresses: info
        .filter(
          (a) => isObj(a) && (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string',
        )
        .map((a) => `${String(a.local)}/${String(a.prefixlen)}`),
    };
    if (typeof i['master'] === 'string') iface.master = i['master'];
    out.push(iface);
  }
  return out;
}

/**
 * The routes of `ip -j route` output (`family` when the command was given -4 or -6; otherwise a
 * `default` route's family is told by its gateway or preferred source). Routes without a device
 * (multipath) and other types than unicast (local, broadcast, … of `table all`) are left out.
 */
export function routesFromIpRoute(list: readonly unknown[], family?: 'ipv4' | 'ipv6'): HostRoute[] {
  const out: HostRoute[] = [];
  for (const x of list) {
    if (!isObj(x) || typeof x['dst'] !== 'string' || typeof x['dev'] !== 'string') continue;
    if (typeof x['type'] === 'string' && x['type'] !== 'unicast') continue;
    const gateway = typeof x['gateway'] === 'string' ? x['gateway'] : undefined;
    let destination = x['dst'];
    if (destination === 'default') {
      const hint = gateway ?? (typeof x['prefsrc'] === 'string' ? x['prefsrc'] : '');
      const v6 = family ? family === 'ipv6' : hint.includes(':');
      destination = v6 ? '::/0' : '0.0.0.0/0';
    }
    const route: HostRoute = { destination, device: x['dev'] };
    if (gateway) route.via = gateway;
    out.push(route);
  }
  return out;
}

/** Reads one host-model file in any of the forms users have; positioned errors for the rest. */
export function parseHostModelJson(text: string, opts: HostModelJsonOptions): Result<HostModelPart> {
  const file = opts.file;
  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok)
    return {
      diagnostics: [
        diag(
          'error',
          'parse.host-model-not-json',
          `not JSON: ${parsed.message}`,
          { file, line: parsed.line, column: parsed.column },
          { hint: FORMATS },
        ),
      ],
    };
  const diagnostics: Diagnostic[] = [];
  const start: SourcePos = { file, line: 1, column: 1 };
  const posOf = (node: unknown, fallback: SourcePos = start): SourcePos => {
    const w = typeof node === 'object' && node !== null ? parsed.where(node) : undefined;
    return w ? { file, line: w.line, column: w.column } : fallback;
  };
  const bad = (node: unknown, message: string, fallback?: SourcePos) =>
    diagnostics.push(diag('error', 'parse.host-model-shape', message, posOf(node, fallback)));
  const checkAddress = (node: unknown, a: unknown, where: string) => {
    const n = typeof a === 'string' ? parseNetwork(a) : 'not a string';
    if (typeof n === 'string' || n.prefix === undefined)
      bad(
        node,
        `${where}: ${JSON.stringify(a)} is not an address with its prefix length (192.168.122.190/24)`,
      );
  };

  const root = parsed.value;
  if (Array.isArray(root)) {
    if (root.some((e) => isObj(e) && 'ifname' in e))
      return { value: { kind: 'ip-addr', interfaces: interfacesFromIpAddr(root) }, diagnostics };
    if (root.some((e) => isObj(e) && 'dst' in e))
      return { value: { kind: 'ip-route', routes: routesFromIpRoute(root) }, diagnostics };
    if (root.length === 0) return { value: { kind: 'ip-addr', interfaces: [] }, diagnostics };
    bad(root, `a list that is neither \`ip -j addr\` nor \`ip -j route\` output: ${FORMATS}`);
    return { diagnostics };
  }
  // The natural guess: a policy file's `host:` block, alone or under `host`.
  const model = isObj(root) && isObj(root['host']) && !('interfaces' in root) ? root['host'] : root;
  if (!isObj(model) || !('interfaces' in model)) {
    bad(root, `not a host model: ${FORMATS}`);
    return { diagnostics };
  }
  const out: HostModelPart = { kind: 'host-model', interfaces: [] };
  const ifs = model['interfaces'];
  if (Array.isArray(ifs)) {
    ifs.forEach((i, n) => {
      if (!isObj(i) || typeof i['name'] !== 'string' || !Array.isArray(i['addresses'])) {
        bad(
          i,
          `interfaces[${n}]: expected {"name": "eth0", "addresses": ["192.168.122.190/24"]}`,
          posOf(ifs),
        );
        return;
      }
      const addrs = i['addresses'] as unknown[];
      addrs.forEach((a, k) => checkAddress(addrs, a, `interfaces[${n}].addresses[${k}]`));
      const iface: HostInterface = { name: i['name'], addresses: addrs.filter((a) => typeof a === 'string') };
      if (typeof i['master'] === 'string') iface.master = i['master'];
      out.interfaces!.push(iface);
    });
  } else if (isObj(ifs)) {
    // A policy's host: block: {"interfaces": {"eth0": ["192.168.122.190/24"]}}.
    out.kind = 'policy-host';
    for (const [name, addrs] of Object.entries(ifs)) {
      if (!Array.isArray(addrs)) {
        bad(ifs, `interfaces.${name}: expected a list of addresses, e.g. ["192.168.122.190/24"]`);
        continue;
      }
      addrs.forEach((a, k) => checkAddress(addrs, a, `interfaces.${name}[${k}]`));
      out.interfaces!.push({ name, addresses: addrs.filter((a) => typeof a === 'string') });
    }
  } else bad(model, `"interfaces" is neither a list nor a map of interfaces: ${FORMATS}`);
  const routes = model['routes'];
  if (routes !== undefined) {
    if (!Array.isArray(routes)) bad(model, '"routes" is not a list');
    else {
      out.routes = [];
      routes.forEach((r, n) => {
        if (!isObj(r) || typeof r['destination'] !== 'string' || typeof r['device'] !== 'string') {
          bad(
            r,
            `routes[${n}]: expected {"destination": "10.8.0.0/16", "device": "eth0", "via"?: "192.168.122.1"}`,
            posOf(routes),
          );
          return;
        }
        if (r['destination'] !== 'default' && typeof parseNetwork(r['destination']) === 'string')
          bad(
            r,
            `routes[${n}].destination: ${JSON.stringify(r['destination'])} is not a prefix or "default"`,
          );
        const route: HostRoute = { destination: r['destination'], device: r['device'] };
        if (typeof r['via'] === 'string') route.via = r['via'];
        out.routes!.push(route);
      });
    }
  }
  return diagnostics.length > 0 ? { diagnostics } : { value: out, diagnostics };
}

/**
 * One host model from the parts read from several files (`ip -j addr` and `ip -j route`, …): the
 * interfaces and routes of all of them. Undefined when no part names interfaces.
 */
export function mergeHostModelParts(parts: readonly HostModelPart[]): HostModel | undefined {
  if (!parts.some((p) => p.interfaces)) return undefined;
  const host: HostModel = { interfaces: parts.flatMap((p) => p.interfaces ?? []) };
  if (parts.some((p) => p.routes)) host.routes = parts.flatMap((p) => p.routes ?? []);
  return host;
}
