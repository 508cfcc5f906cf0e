import type { DockerInventory } from '../model/docker.js';
import type { HostModel } from '../model/host.js';
import type { Family } from '../model/ruleset.js';
import { addrToBig, formatBig, maxAddr, parseCidr, type Addr, type Cidr } from './addr.js';

export type AddrType = 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'MULTICAST';

interface IfaceAddr {
  iface: string;
  text: string;
  addr: bigint;
  cidr: Cidr;
}

interface RouteEntry {
  start: bigint;
  end: bigint;
  prefix: number;
  device: string;
  via?: string;
  connected: boolean;
}

interface FamilyIndex {
  addrs: IfaceAddr[];
  /** Local addresses → interface holding them. */
  local: Map<bigint, string>;
  broadcast: Set<bigint>;
  /** Longest prefix first. */
  routes: RouteEntry[];
}

/** The host model in the form routing decisions need, built once per simulation input. */
export interface HostIndex {
  interfaces: string[];
  /** Docker bridges (from the inventory, or named docker0 / br-<12 hex>). */
  bridges: Set<string>;
  /** Bridge → its ports, from the host model's `master` of each interface. */
  ports: Map<string, string[]>;
  families: Record<Family, FamilyIndex>;
}

export type RouteDecision =
  | { kind: 'local'; iface: string }
  | { kind: 'forward'; iface: string; via?: string }
  | { kind: 'unreachable' };

const BRIDGE_NAME = /^(docker0|br-[0-9a-f]{12})$/;

function bridgeName(n: DockerInventory['networks'][number]): string | undefined {
  if (n.bridge) return n.bridge;
  if (n.driver !== 'bridge') return undefined;
  return n.name === 'bridge' ? 'docker0' : `br-${n.id.slice(0, 12)}`;
}

/** The host's interfaces plus the Docker bridges the inventory names (with their gateway addresses). */
export function hostInterfaces(host: HostModel, docker?: DockerInventory): HostModel['interfaces'] {
  const out = host.interfaces.map((i) => ({ name: i.name, addresses: [...i.addresses] }));
  for (const net of docker?.networks ?? []) {
    const name = bridgeName(net);
    if (!name) continue;
    let iface = out.find((i) => i.name === name);
    if (!iface) {
      iface = { name, addresses: [] };
      out.push(iface);
    }
    for (const gw of net.gateways) {
      const fam = gw.includes(':') ? 'ipv6' : 'ipv4';
      const subnet = net.subnets.find((s) => (s.includes(':') ? 'ipv6' : 'ipv4') === fam);
      const prefix = subnet?.split('/')[1] ?? (fam === 'ipv4' ? '32' : '128');
      const text = `${gw.split('/')[0]}/${prefix}`;
      if (!iface.addresses.some((a) => a.split('/')[0] === gw.split('/')[0])) iface.addresses.push(text);
    }
  }
  if (!out.some((i) => i.name === 'lo')) out.push({ name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] });
  return out;
}

export function buildHostIndex(host: HostModel, docker?: DockerInventory): HostIndex {
  const ifaces = hostInterfaces(host, docker);
  const bridges = new Set<string>();
  for (const net of docker?.networks ?? []) {
    const b = bridgeName(net);
    if (b) bridges.add(b);
  }
  for (const i of ifaces) if (BRIDGE_NAME.test(i.name)) bridges.add(i.name);
  const ports = new Map<string, string[]>();
  for (const i of host.interfaces) {
    if (!i.master) continue;
    const list = ports.get(i.master) ?? [];
    list.push(i.name);
    ports.set(i.master, list);
  }
  const fam = (): FamilyIndex => ({ addrs: [], local: new Map(), broadcast: new Set(), routes: [] });
  const families: Record<Family, FamilyIndex> = { ipv4: fam(), ipv6: fam() };
  for (const i of ifaces) {
    for (const text of i.addresses) {
      const cidr = parseCidr(text);
      if (!cidr || cidr.prefix < 0) continue;
      const f = families[cidr.family];
      const addr = addrToBig(parseCidr(text.split('/')[0]!)!.net);
      f.addrs.push({ iface: i.name, text: text.split('/')[0]!, addr, cidr });
      if (!f.local.has(addr)) f.local.set(addr, i.name);
      if (cidr.family === 'ipv4' && cidr.prefix < 31) f.broadcast.add(cidr.end);
      if (i.name === 'lo') continue;
      f.routes.push({
        start: cidr.start,
        end: cidr.end,
        prefix: cidr.prefix,
        device: i.name,
        connected: true,
      });
    }
  }
  for (const r of host.routes ?? []) {
    const dest = r.destination === 'default' ? undefined : parseCidr(r.destination);
    const families_: Family[] =
      r.destination === 'default' ? [r.via?.includes(':') ? 'ipv6' : 'ipv4'] : dest ? [dest.family] : [];
    for (const f of families_) {
      const e: RouteEntry = {
        start: dest ? dest.start : 0n,
        end: dest ? dest.end : maxAddr(f),
        prefix: dest ? dest.prefix : 0,
        device: r.device,
        connected: false,
      };
      if (r.via) e.via = r.via;
      families[f].routes.push(e);
    }
  }
  for (const f of Object.values(families)) f.routes.sort((a, b) => b.prefix - a.prefix);
  return { interfaces: ifaces.map((i) => i.name), bridges, ports, families };
}

function isLoopback(family: Family, v: bigint): boolean {
  return family === 'ipv4' ? v >> 24n === 127n : v === 1n;
}

function isMulticast(family: Family, v: bigint): boolean {
  return family === 'ipv4' ? v >> 28n === 14n : v >> 120n === 0xffn;
}

/** The address type `-m addrtype` reports for an address (optionally limited to one interface). */
export function addrType(idx: HostIndex, family: Family, a: Addr, limitIface?: string): AddrType {
  const v = addrToBig(a);
  if (family === 'ipv4' && (v >> 24n === 0n || v === 0xffffffffn)) return 'BROADCAST';
  if (isMulticast(family, v)) return 'MULTICAST';
  const f = idx.families[family];
  const owner = f.local.get(v) ?? (isLoopback(family, v) ? 'lo' : undefined);
  if (owner !== undefined) return limitIface === undefined || limitIface === owner ? 'LOCAL' : 'UNICAST';
  if (f.broadcast.has(v)) {
    if (limitIface === undefined) return 'BROADCAST';
    return f.addrs.some((x) => x.iface === limitIface && x.cidr.end === v) ? 'BROADCAST' : 'UNICAST';
  }
  return 'UNICAST';
}

/** Address ranges on whose edges the route towards an address changes (rpfilter's classes). */
export function routeBoundaries(idx: HostIndex, family: Family): Array<[bigint, bigint]> {
  return idx.families[family].routes.map((r) => [r.start, r.end]);
}

/** Address ranges on whose edges the address type changes (for splitting sources into classes). */
export function addrTypeBoundaries(idx: HostIndex, family: Family): Array<[bigint, bigint]> {
  const f = idx.families[family];
  const out: Array<[bigint, bigint]> = [];
  if (family === 'ipv4') {
    out.push([0n, 0xffffffn], [127n << 24n, (128n << 24n) - 1n], [14n << 28n, (15n << 28n) - 1n]);
    out.push([0xffffffffn, 0xffffffffn]);
  } else {
    out.push([1n, 1n], [0xffn << 120n, maxAddr('ipv6')]);
  }
  for (const v of f.local.keys()) out.push([v, v]);
  for (const v of f.broadcast) out.push([v, v]);
  return out;
}

/** The kernel's routing decision for a destination (local table first, then longest prefix). */
export function routeLookup(idx: HostIndex, family: Family, dst: Addr): RouteDecision {
  const v = addrToBig(dst);
  const f = idx.families[family];
  const owner = f.local.get(v);
  if (owner !== undefined) return { kind: 'local', iface: owner };
  if (isLoopback(family, v)) return { kind: 'local', iface: 'lo' };
  if (f.broadcast.has(v) || isMulticast(family, v) || (family === 'ipv4' && v === 0xffffffffn))
    return { kind: 'local', iface: f.addrs.find((x) => x.cidr.end === v)?.iface ?? 'lo' };
  for (const r of f.routes) {
    if (v >= r.start && v <= r.end) {
      const d: RouteDecision = { kind: 'forward', iface: r.device };
      if (r.via) d.via = r.via;
      return d;
    }
  }
  return { kind: 'unreachable' };
}

/** A loopback destination on a packet arriving from another interface (route_localnet off). */
export function martianDestination(family: Family, dst: Addr): string | undefined {
  return isLoopback(family, addrToBig(dst)) ? 'martian destination (loopback address)' : undefined;
}

/** Why the kernel drops a packet from this source arriving on an interface other than lo, if it does. */
export function martianSourceReason(idx: HostIndex, family: Family, s: bigint): string | undefined {
  if (isLoopback(family, s)) return 'loopback address';
  if (isMulticast(family, s)) return 'multicast address';
  if (family === 'ipv4' && (s >> 24n === 0n || s === 0xffffffffn)) return 'reserved address';
  if (family === 'ipv6' && s === 0n) return 'unspecified address';
  if (idx.families[family].local.has(s)) return "one of this host's own addresses";
  return undefined;
}

/** Interfaces through which outside traffic arrives: all but lo and Docker's bridges (and veths). */
export function externalInterfaces(idx: HostIndex): string[] {
  const ports = new Set([...idx.ports.values()].flat());
  return idx.interfaces.filter(
    (n) => n !== 'lo' && !idx.bridges.has(n) && !n.startsWith('veth') && !ports.has(n),
  );
}

/** The bridge an interface is a port of, per the host model. */
export function bridgeOf(idx: HostIndex, port: string): string | undefined {
  for (const [bridge, list] of idx.ports) if (list.includes(port)) return bridge;
  return undefined;
}

export function primaryAddress(idx: HostIndex, iface: string, family: Family): string | undefined {
  const a = idx.families[family].addrs.find((x) => x.iface === iface && !isLinkLocal(family, x.addr));
  return a?.text ?? idx.families[family].addrs.find((x) => x.iface === iface)?.text;
}

/**
 * The source address MASQUERADE gives a packet leaving `iface` for `nexthop`, as the kernel picks it
 * (IPv4: inet_select_addr with universe scope). Among the interface's primary addresses (a later
 * address inside an earlier one's subnet is secondary) that are not loopback: the one whose subnet
 * holds the next hop, else the first. An interface without one (lo: 127.0.0.1 has host scope)
 * takes the first such address of any interface, in the host's interface order: a locally
 * delivered packet masqueraded on its way out lo gets the first outside address, not 127.0.0.1.
 */
export function masqueradeAddress(
  idx: HostIndex,
  iface: string,
  family: Family,
  nexthop: Addr,
): string | undefined {
  if (family === 'ipv6') return primaryAddress(idx, iface, family);
  const all = idx.families[family].addrs.filter((x) => !isLoopback(family, x.addr));
  const primary = all.filter(
    (x, i) =>
      !all.slice(0, i).some((y) => y.iface === x.iface && x.addr >= y.cidr.start && x.addr <= y.cidr.end),
  );
  const own = primary.filter((x) => x.iface === iface);
  const nh = addrToBig(nexthop);
  const hit = own.find((x) => nh >= x.cidr.start && nh <= x.cidr.end);
  return (hit ?? own[0] ?? primary[0])?.text;
}

function isLinkLocal(family: Family, v: bigint): boolean {
  return family === 'ipv6' && v >> 118n === 0x3fan;
}

/** The interface an address is reachable through, for inferring where a packet from it arrives. */
export function ifaceTowards(idx: HostIndex, family: Family, a: Addr): string | undefined {
  const r = routeLookup(idx, family, a);
  return r.kind === 'unreachable' ? undefined : r.iface;
}

export function describeAddrs(idx: HostIndex, family: Family): string[] {
  return [...idx.families[family].local.keys()].map((v) => formatBig(v, family));
}
