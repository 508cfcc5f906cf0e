import { ownValue } from '../model/own-key.js';
import { diag, type Diagnostic } from '../model/diagnostic.js';
import type { Expectation } from '../model/policy.js';
import type { Family } from '../model/ruleset.js';
import { addrFamily, parseAddr } from './addr.js';

export type PacketProto = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | number;
export type PacketState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';

/**
 * A packet to walk through the rule set. An arriving packet names its input interface (`in`);
 * a packet the host itself sends sets `local: true` instead. With neither, the simulator infers
 * the origin from the host model: a source that is one of the host's addresses is local, any
 * other arrives on the interface its address routes to.
 */
export interface Packet {
  family: Family;
  src: string;
  dst: string;
  proto: PacketProto;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  in?: string;
  local?: boolean;
  /** Conntrack state of the packet; NEW when absent. */
  state?: PacketState;
  mark?: number;
  /** Source MAC address (`-m mac`). */
  mac?: string;
  /** uid and gid of the sending process (`-m owner`; a packet the host sends). */
  uid?: number;
  gid?: number;
  /** TTL (IPv6: hop limit) as the packet arrives or is sent; 64 when absent. */
  ttl?: number;
  /** IP total length in bytes; the usual first packet of the protocol when absent. */
  length?: number;
  /** The packet arrived through an IPsec SA (sent by the host: leaves through one). */
  ipsec?: boolean;
  /** When the packet passes (`-m time`): ISO 8601, UTC unless it names an offset. */
  at?: string;
}

export const PROTO_NUMBERS: Record<string, number> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
  udplite: 136,
};

export function protoNumber(p: PacketProto): number {
  return typeof p === 'number' ? p : ownValue(PROTO_NUMBERS, p)!;
}

export function protoName(n: number): string {
  switch (n) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
      return 'icmp';
    case 58:
      return 'icmpv6';
    case 132:
      return 'sctp';
    default:
      return String(n);
  }
}

/** The state with its article, as a sentence needs it: `a NEW`, `an ESTABLISHED`, `an INVALID`. */
export function aState(state: string): string {
  return `${/^[AEIOU]/i.test(state) ? 'an' : 'a'} ${state}`;
}

/** Problems that make a packet impossible to simulate (bad addresses, missing ports, …). */
export function validatePacket(p: Packet): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = (code: string, message: string) => out.push(diag('error', `sim.${code}`, message));
  for (const [k, v] of [
    ['src', p.src],
    ['dst', p.dst],
  ] as const) {
    const a = parseAddr(v);
    if (!a) bad('bad-address', `${k} ${JSON.stringify(v)} is not an IP address`);
    else if (addrFamily(a) !== p.family) bad('family-mismatch', `${k} ${v} is not an ${p.family} address`);
  }
  if (
    typeof p.proto === 'number'
      ? !Number.isInteger(p.proto) || p.proto < 0 || p.proto > 255
      : !(p.proto in PROTO_NUMBERS)
  )
    bad('bad-proto', `unknown protocol ${String(p.proto)}`);
  if (p.proto === 'icmp' && p.family === 'ipv6') bad('bad-proto', 'IPv6 uses icmpv6, not icmp');
  if (p.proto === 'icmpv6' && p.family === 'ipv4') bad('bad-proto', 'IPv4 uses icmp, not icmpv6');
  for (const [k, v] of [
    ['sport', p.sport],
    ['dport', p.dport],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535))
      bad('bad-port', `${k} ${v} is not a port`);
  }
  if (p.local && p.in)
    bad('in-and-local', 'a packet either arrives on an interface (in) or is sent by the host (local)');
  if (p.mark !== undefined && (!Number.isInteger(p.mark) || p.mark < 0 || p.mark > 0xffffffff))
    bad('bad-mark', `mark ${p.mark} is not a 32-bit value`);
  if (p.mac !== undefined && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(p.mac))
    bad('bad-mac', `mac ${JSON.stringify(p.mac)} is not a MAC address (00:11:22:33:44:55)`);
  for (const [k, v, max] of [
    ['uid', p.uid, 0xffffffff],
    ['gid', p.gid, 0xffffffff],
    ['ttl', p.ttl, 255],
    ['length', p.length, 65535],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > max))
      bad(`bad-${k}`, `${k} ${v} is not a number from 0 to ${max}`);
  }
  if ((p.uid !== undefined || p.gid !== undefined) && p.in)
    bad('owner-not-local', 'uid and gid belong to a packet the host sends, not one arriving on an interface');
  if (p.at !== undefined && parseInstant(p.at) === undefined)
    bad('bad-time', `at ${JSON.stringify(p.at)} is not a date and time (2026-12-03T14:00:00Z)`);
  return out;
}

/**
 * `2026-12-03T14:00`, `2026-12-03T14:00:00Z`, `2026-12-03T15:00:00+01:00` → epoch seconds; without
 * an offset the time is UTC, as the kernel's `-m time` takes it.
 */
export function parseInstant(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The packet an `expect:` entry of a policy describes (source port: an ephemeral 40000 for tcp/udp). */
export function packetFromExpectation(e: Expectation): Packet {
  const p: Packet = {
    family: e.family,
    src: e.from,
    dst: e.to.address,
    proto: e.to.proto,
    state: e.ctState ?? 'NEW',
  };
  if (e.to.proto === 'tcp' || e.to.proto === 'udp') {
    p.sport = 40000;
    if (e.to.port !== undefined) p.dport = e.to.port;
  } else if (e.to.proto === 'icmp' || e.to.proto === 'icmpv6') {
    p.icmpType = e.to.proto === 'icmp' ? 8 : 128;
    p.icmpCode = 0;
  }
  if (e.in) p.in = e.in;
  return p;
}

/**
 * Where a packet comes from, as the trace resolved it: the interface it arrives on (given, or
 * `inferred` from the host model's routes towards its source), or the host itself.
 */
export interface PacketOrigin {
  in?: string;
  inferred?: boolean;
  local?: boolean;
}

function describeOrigin(p: Packet, origin?: PacketOrigin): string {
  if (p.local || origin?.local) return 'sent by this host';
  const iface = p.in ?? origin?.in;
  if (!iface) return 'interface not given';
  return !p.in && origin?.inferred ? `in ${iface} (from the host model's routes)` : `in ${iface}`;
}

export function describePacket(p: Packet, origin?: PacketOrigin): string {
  const proto = typeof p.proto === 'number' ? `proto ${p.proto}` : p.proto;
  const hp = (a: string, port?: number) =>
    port === undefined ? a : a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
  const icmp =
    p.icmpType !== undefined ? ` type ${p.icmpType}${p.icmpCode !== undefined ? `/${p.icmpCode}` : ''}` : '';
  const mark = p.mark ? ` mark 0x${p.mark.toString(16)}` : '';
  const extra = [
    p.mac !== undefined ? `mac ${p.mac.toLowerCase()}` : '',
    p.uid !== undefined ? `uid ${p.uid}` : '',
    p.gid !== undefined ? `gid ${p.gid}` : '',
    p.ttl !== undefined ? `${p.family === 'ipv4' ? 'ttl' : 'hop limit'} ${p.ttl}` : '',
    p.length !== undefined ? `length ${p.length}` : '',
    p.ipsec ? 'ipsec' : '',
    p.at !== undefined ? `at ${p.at}` : '',
  ]
    .filter((x) => x)
    .map((x) => ` ${x}`)
    .join('');
  return `${proto}${icmp} ${hp(p.src, p.sport)} -> ${hp(p.dst, p.dport)} ${describeOrigin(p, origin)} (${p.state ?? 'NEW'})${mark}${extra}`;
}
