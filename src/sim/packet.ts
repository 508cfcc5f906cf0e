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
  return out;
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
  return `${proto}${icmp} ${hp(p.src, p.sport)} -> ${hp(p.dst, p.dport)} ${describeOrigin(p, origin)} (${p.state ?? 'NEW'})${mark}`;
}
