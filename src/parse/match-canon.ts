import type { RuleOption } from '../model/index.js';
import { canonicalAddress, canonicalNetwork } from './address.js';
import { canonicalNumberRange, hasOption, option, parseNumber } from './canonical-values.js';
import type { CanonContext } from './module-spec.js';
import { canonicalPortRange, parsePort, type PortProtocol } from './names.js';

/** Value spellings and whole-module canonical forms of the match modules (see match-specs.ts). */

export const PORT = 'a port or port range (22, 1000:2000, or a service name)';
export const CT_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
export const STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'];
export const CT_STATUS = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
export const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];
const TCP_FLAGS: ReadonlyArray<[string, number]> = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];

export function portValue(proto: PortProtocol) {
  return (text: string) => canonicalPortRange(text, proto);
}

function portProto(ctx: CanonContext): PortProtocol {
  const p = ctx.proto;
  return p === 'udp' || p === 'sctp' || p === 'dccp' ? p : 'tcp';
}

/** Drops `--sport 0:65535`-style options: they match every port and iptables does not print them. */
export function dropFullPortRanges(options: RuleOption[]): RuleOption[] {
  // Nearly always none: the list itself (a hook's list is its own to return).
  if (!options.some(isFullPortRange)) return options;
  return options.filter((o) => !isFullPortRange(o));
}

function isFullPortRange(o: RuleOption): boolean {
  return (o.name === '--sport' || o.name === '--dport') && !o.negated && o.args[0]?.text === '0:65535';
}

function tcpFlags(text: string): number | null {
  if (text.toUpperCase() === 'NONE') return 0;
  let bits = 0;
  for (const part of text.split(',')) {
    const up = part.toUpperCase();
    if (up === 'ALL') bits |= 0x3f;
    else if (up === 'NONE') continue;
    else {
      const f = TCP_FLAGS.find(([n]) => n === up);
      if (!f) return null;
      bits |= f[1];
    }
  }
  return bits;
}

function printTcpFlags(bits: number): string {
  const names = TCP_FLAGS.filter(([, b]) => bits & b).map(([n]) => n);
  return names.length > 0 ? names.join(',') : 'NONE';
}

export function canonTcp(options: RuleOption[]): RuleOption[] {
  const kept = dropFullPortRanges(options);
  if (!kept.some((o) => o.name === '--syn' || o.name === '--tcp-flags')) return kept;
  return kept.map((o) => {
    if (o.name === '--syn') return option('--tcp-flags', ['FIN,SYN,RST,ACK', 'SYN'], o.negated);
    if (o.name === '--tcp-flags' && o.args.length === 2) {
      const mask = tcpFlags(o.args[0]!.text);
      const comp = tcpFlags(o.args[1]!.text);
      if (mask !== null && comp !== null) {
        return option('--tcp-flags', [printTcpFlags(mask), printTcpFlags(comp)], o.negated);
      }
    }
    return o;
  });
}

export function multiportValue(text: string, ctx: CanonContext): string | null {
  const proto = portProto(ctx);
  const out: string[] = [];
  for (const part of text.split(',')) {
    let sep = part.indexOf(':');
    if (sep < 0) sep = part.indexOf('-');
    if (sep < 0) {
      const p = parsePort(part, proto);
      if (p === null) return null;
      out.push(String(p));
    } else {
      const lo = sep === 0 ? 0 : parsePort(part.slice(0, sep), proto);
      const hi = sep === part.length - 1 ? 65535 : parsePort(part.slice(sep + 1), proto);
      if (lo === null || hi === null || lo > hi) return null;
      out.push(`${lo}:${hi}`);
    }
  }
  return out.join(',');
}

export function limitRate(text: string): string | null {
  // xtables parse_rate: N[/unit], unit a case-insensitive prefix of second/minute/hour/day.
  const slash = text.indexOf('/');
  let mult = 1;
  if (slash >= 0) {
    const unit = text.slice(slash + 1).toLowerCase();
    if (unit.length === 0) return null;
    if ('second'.startsWith(unit)) mult = 1;
    else if ('minute'.startsWith(unit)) mult = 60;
    else if ('hour'.startsWith(unit)) mult = 3600;
    else if ('day'.startsWith(unit)) mult = 86400;
    else return null;
  }
  const r = parseNumber(slash < 0 ? text : text.slice(0, slash));
  if (!r) return null;
  const avg = Math.floor((10000 * mult) / r);
  if (avg === 0) return null;
  // print_rate: the largest unit that still divides evenly enough.
  const rates: ReadonlyArray<[string, number]> = [
    ['day', 864000000],
    ['hour', 36000000],
    ['min', 600000],
    ['sec', 10000],
  ];
  let i = 1;
  for (; i < rates.length; i++) {
    const m = rates[i]![1];
    if (avg > m || Math.floor(m / avg) < m % avg) break;
  }
  const [name, m] = rates[i - 1]!;
  return `${Math.floor(m / avg)}/${name}`;
}

export function canonLimit(options: RuleOption[]): RuleOption[] {
  const out = options.filter((o) => !(o.name === '--limit-burst' && o.args[0]?.text === '5'));
  if (!hasOption(out, '--limit')) out.unshift(option('--limit', ['3/hour']));
  return out;
}

export function canonRecent(options: RuleOption[], ctx: CanonContext): RuleOption[] {
  const out = options.slice();
  if (!hasOption(out, '--name')) out.push(option('--name', ['DEFAULT']));
  if (!hasOption(out, '--mask')) {
    out.push(
      option('--mask', [
        ctx.family === 'ipv4' ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      ]),
    );
  }
  if (!hasOption(out, '--rsource') && !hasOption(out, '--rdest')) out.push(option('--rsource'));
  return out;
}

export function canonConnlimit(options: RuleOption[], ctx: CanonContext): RuleOption[] {
  const out = options.map((o) => {
    if (o.negated && o.name === '--connlimit-upto')
      return { ...o, name: '--connlimit-above', negated: false };
    if (o.negated && o.name === '--connlimit-above')
      return { ...o, name: '--connlimit-upto', negated: false };
    return o;
  });
  if (!hasOption(out, '--connlimit-mask'))
    out.push(option('--connlimit-mask', [ctx.family === 'ipv4' ? '32' : '128']));
  if (!hasOption(out, '--connlimit-saddr') && !hasOption(out, '--connlimit-daddr')) {
    out.push(option('--connlimit-saddr'));
  }
  return out;
}

/** conntrack prints the address as given (host bits kept) and the prefix unless it is a host. */
export function ctAddress(text: string, ctx: CanonContext): string | null {
  const slash = text.indexOf('/');
  const addr = canonicalAddress(slash < 0 ? text : text.slice(0, slash), ctx.family);
  if (addr === null) return null;
  if (slash < 0) return addr;
  const net = canonicalNetwork(`${addr}${text.slice(slash)}`, ctx.family);
  if (!net) return null;
  const prefix = net.text.slice(net.text.indexOf('/') + 1);
  return prefix === (ctx.family === 'ipv4' ? '32' : '128') ? addr : `${addr}/${prefix}`;
}

export function addressRange(text: string, ctx: CanonContext): string | null {
  const dash = text.indexOf('-');
  if (dash < 0) return canonicalAddress(text, ctx.family);
  const a = canonicalAddress(text.slice(0, dash), ctx.family);
  const b = canonicalAddress(text.slice(dash + 1), ctx.family);
  return a && b ? `${a}-${b}` : null;
}

export const byte = (text: string) => canonicalNumberRange(text, 255);
export const u32 = (text: string) => {
  const n = parseNumber(text);
  return n === null ? null : String(n);
};

export function ownerId(text: string): string | null {
  return text === 'root' ? '0' : canonicalNumberRange(text, 0xffffffff, false, '-');
}
