import type { RuleOption } from '../model/index.js';
import { canonicalAddress, canonicalNetwork } from './address.js';
import {
  canonicalMarkMatch,
  canonicalNumberRange,
  hasOption,
  option,
  orderedList,
  parseNumber,
} from './canonical-values.js';
import { compileSpec, opt, type CanonContext, type CompiledSpec, type ModuleSpec } from './module-spec.js';
import {
  canonicalIcmpType,
  canonicalPortRange,
  parsePort,
  protocolNumber,
  type PortProtocol,
} from './names.js';

/**
 * The match modules dockwall knows: their options (in iptables-save order, with argument counts)
 * and how iptables 1.8.9 prints them back. Verified against test/fixtures/canonical/pairs.json.
 */

const PORT = 'a port or port range (22, 1000:2000, or a service name)';
const CT_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
const STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'];
const CT_STATUS = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
const ADDR_TYPES = [
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

function portValue(proto: PortProtocol) {
  return (text: string) => canonicalPortRange(text, proto);
}

function portProto(ctx: CanonContext): PortProtocol {
  const p = ctx.proto;
  return p === 'udp' || p === 'sctp' || p === 'dccp' ? p : 'tcp';
}

/** Drops `--sport 0:65535`-style options: they match every port and iptables does not print them. */
function dropFullPortRanges(options: RuleOption[]): RuleOption[] {
  return options.filter(
    (o) => !((o.name === '--sport' || o.name === '--dport') && !o.negated && o.args[0]?.text === '0:65535'),
  );
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

function canonTcp(options: RuleOption[]): RuleOption[] {
  return dropFullPortRanges(options).map((o) => {
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

function multiportValue(text: string, ctx: CanonContext): string | null {
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

function limitRate(text: string): string | null {
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

function canonLimit(options: RuleOption[]): RuleOption[] {
  const out = options.filter((o) => !(o.name === '--limit-burst' && o.args[0]?.text === '5'));
  if (!hasOption(out, '--limit')) out.unshift(option('--limit', ['3/hour']));
  return out;
}

function canonRecent(options: RuleOption[], ctx: CanonContext): RuleOption[] {
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

function canonConnlimit(options: RuleOption[], ctx: CanonContext): RuleOption[] {
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
function ctAddress(text: string, ctx: CanonContext): string | null {
  const slash = text.indexOf('/');
  const addr = canonicalAddress(slash < 0 ? text : text.slice(0, slash), ctx.family);
  if (addr === null) return null;
  if (slash < 0) return addr;
  const net = canonicalNetwork(`${addr}${text.slice(slash)}`, ctx.family);
  if (!net) return null;
  const prefix = net.text.slice(net.text.indexOf('/') + 1);
  return prefix === (ctx.family === 'ipv4' ? '32' : '128') ? addr : `${addr}/${prefix}`;
}

function addressRange(text: string, ctx: CanonContext): string | null {
  const dash = text.indexOf('-');
  if (dash < 0) return canonicalAddress(text, ctx.family);
  const a = canonicalAddress(text.slice(0, dash), ctx.family);
  const b = canonicalAddress(text.slice(dash + 1), ctx.family);
  return a && b ? `${a}-${b}` : null;
}

const byte = (text: string) => canonicalNumberRange(text, 255);
const u32 = (text: string) => {
  const n = parseNumber(text);
  return n === null ? null : String(n);
};

function ownerId(text: string): string | null {
  return text === 'root' ? '0' : canonicalNumberRange(text, 0xffffffff, false, '-');
}

const MATCHES: ModuleSpec[] = [
  {
    name: 'tcp',
    options: [
      opt('--sport', 1, { aliases: ['--source-port'], expects: PORT, value: portValue('tcp') }),
      opt('--dport', 1, { aliases: ['--destination-port'], expects: PORT, value: portValue('tcp') }),
      opt('--tcp-option', 1, { expects: 'a TCP option number', value: byte }),
      opt('--tcp-flags', 2, { expects: 'a flag mask and the flags that must be set (SYN,RST SYN)' }),
      opt('--syn', 0),
    ],
    canon: canonTcp,
  },
  {
    name: 'udp',
    options: [
      opt('--sport', 1, { aliases: ['--source-port'], expects: PORT, value: portValue('udp') }),
      opt('--dport', 1, { aliases: ['--destination-port'], expects: PORT, value: portValue('udp') }),
    ],
    canon: dropFullPortRanges,
  },
  {
    name: 'sctp',
    options: [
      opt('--sport', 1, { aliases: ['--source-port'], expects: PORT, value: portValue('sctp') }),
      opt('--dport', 1, { aliases: ['--destination-port'], expects: PORT, value: portValue('sctp') }),
      opt('--chunk-types', 2, { expects: 'all|any|only and a chunk list' }),
    ],
    canon: dropFullPortRanges,
  },
  {
    name: 'icmp',
    family: 'ipv4',
    options: [
      opt('--icmp-type', 1, {
        expects: 'an ICMP type (echo-request, 8, 3/4)',
        value: (t) => canonicalIcmpType(t, false),
      }),
    ],
  },
  {
    name: 'icmp6',
    family: 'ipv6',
    options: [
      opt('--icmpv6-type', 1, {
        expects: 'an ICMPv6 type (echo-request, 128, 1/4)',
        value: (t) => canonicalIcmpType(t, true),
      }),
    ],
  },
  {
    name: 'multiport',
    options: [
      opt('--sports', 1, {
        aliases: ['--source-ports'],
        expects: 'a comma list of ports',
        value: multiportValue,
      }),
      opt('--dports', 1, {
        aliases: ['--destination-ports'],
        expects: 'a comma list of ports',
        value: multiportValue,
      }),
      opt('--ports', 1, { expects: 'a comma list of ports', value: multiportValue }),
    ],
  },
  {
    name: 'conntrack',
    options: [
      opt('--ctstate', 1, {
        expects: 'a comma list of states (NEW,ESTABLISHED,…)',
        value: (t) => orderedList(t, CT_STATES),
      }),
      opt('--ctproto', 1, {
        expects: 'a protocol',
        value: (t) => {
          const n = protocolNumber(t);
          return n === null ? null : String(n);
        },
      }),
      opt('--ctorigsrc', 1, { expects: 'an address', value: ctAddress }),
      opt('--ctorigdst', 1, { expects: 'an address', value: ctAddress }),
      opt('--ctreplsrc', 1, { expects: 'an address', value: ctAddress }),
      opt('--ctrepldst', 1, { expects: 'an address', value: ctAddress }),
      opt('--ctorigsrcport', 1, { expects: PORT, value: (t) => canonicalNumberRange(t, 65535) }),
      opt('--ctorigdstport', 1, { expects: PORT, value: (t) => canonicalNumberRange(t, 65535) }),
      opt('--ctreplsrcport', 1, { expects: PORT, value: (t) => canonicalNumberRange(t, 65535) }),
      opt('--ctrepldstport', 1, { expects: PORT, value: (t) => canonicalNumberRange(t, 65535) }),
      opt('--ctstatus', 1, { expects: 'a comma list of statuses', value: (t) => orderedList(t, CT_STATUS) }),
      opt('--ctexpire', 1, {
        expects: 'seconds or a range',
        value: (t) => canonicalNumberRange(t, 0xffffffff),
      }),
      opt('--ctdir', 1, {
        expects: 'ORIGINAL or REPLY',
        value: (t) => (/^(original|reply)$/i.test(t) ? t.toUpperCase() : null),
      }),
    ],
  },
  {
    name: 'state',
    options: [
      opt('--state', 1, {
        expects: 'a comma list of states (NEW,ESTABLISHED,…)',
        value: (t) => orderedList(t, STATES),
      }),
    ],
  },
  { name: 'comment', options: [opt('--comment', 1, { expects: 'the comment text', saveString: true })] },
  {
    name: 'set',
    options: [
      opt('--match-set', 2, { aliases: ['--set'], expects: 'a set name and src/dst flags' }),
      opt('--return-nomatch', 0),
      opt('--update-counters', 0),
      opt('--update-subcounters', 0),
      opt('--packets-eq', 1, { value: u32 }),
      opt('--packets-lt', 1, { value: u32 }),
      opt('--packets-gt', 1, { value: u32 }),
      opt('--bytes-eq', 1, { value: u32 }),
      opt('--bytes-lt', 1, { value: u32 }),
      opt('--bytes-gt', 1, { value: u32 }),
    ],
  },
  {
    name: 'addrtype',
    options: [
      opt('--src-type', 1, {
        expects: 'an address type (LOCAL, …)',
        value: (t) => orderedList(t, ADDR_TYPES),
      }),
      opt('--dst-type', 1, {
        expects: 'an address type (LOCAL, …)',
        value: (t) => orderedList(t, ADDR_TYPES),
      }),
      opt('--limit-iface-in', 0),
      opt('--limit-iface-out', 0),
    ],
  },
  {
    name: 'iprange',
    options: [
      opt('--src-range', 1, { expects: 'an address range (a-b)', value: addressRange }),
      opt('--dst-range', 1, { expects: 'an address range (a-b)', value: addressRange }),
    ],
  },
  {
    name: 'mark',
    options: [opt('--mark', 1, { expects: 'a mark value[/mask]', value: canonicalMarkMatch })],
  },
  {
    name: 'connmark',
    options: [opt('--mark', 1, { expects: 'a mark value[/mask]', value: canonicalMarkMatch })],
  },
  {
    name: 'limit',
    options: [
      opt('--limit', 1, { expects: 'a rate (5/min)', value: limitRate }),
      opt('--limit-burst', 1, { expects: 'a number', value: u32 }),
    ],
    canon: canonLimit,
  },
  {
    name: 'mac',
    options: [
      opt('--mac-source', 1, {
        expects: 'a MAC address',
        value: (t) => (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(t) ? t.toLowerCase() : null),
      }),
    ],
  },
  {
    name: 'physdev',
    options: [
      opt('--physdev-is-in', 0),
      opt('--physdev-in', 1, { expects: 'an interface name' }),
      opt('--physdev-is-out', 0),
      opt('--physdev-out', 1, { expects: 'an interface name' }),
      opt('--physdev-is-bridged', 0),
    ],
  },
  {
    name: 'owner',
    options: [
      opt('--socket-exists', 0),
      opt('--uid-owner', 1, { expects: 'a user id or range', value: ownerId }),
      opt('--gid-owner', 1, { expects: 'a group id or range', value: ownerId }),
      opt('--suppl-groups', 0),
    ],
  },
  {
    name: 'pkttype',
    options: [
      opt('--pkt-type', 1, {
        expects: 'unicast, broadcast, multicast or otherhost',
        value: (t) => (t.toLowerCase() === 'host' ? 'unicast' : t.toLowerCase()),
      }),
    ],
  },
  {
    name: 'length',
    options: [
      opt('--length', 1, { expects: 'a length or range', value: (t) => canonicalNumberRange(t, 65535) }),
    ],
  },
  {
    name: 'ttl',
    family: 'ipv4',
    options: [
      opt('--ttl-eq', 1, { expects: 'a TTL value', value: byte }),
      opt('--ttl-lt', 1, { expects: 'a TTL value', value: byte }),
      opt('--ttl-gt', 1, { expects: 'a TTL value', value: byte }),
    ],
  },
  {
    name: 'hl',
    family: 'ipv6',
    options: [
      opt('--hl-eq', 1, { expects: 'a hop limit', value: byte }),
      opt('--hl-lt', 1, { expects: 'a hop limit', value: byte }),
      opt('--hl-gt', 1, { expects: 'a hop limit', value: byte }),
    ],
  },
  {
    name: 'recent',
    options: [
      opt('--set', 0),
      opt('--rcheck', 0),
      opt('--update', 0),
      opt('--remove', 0),
      opt('--seconds', 1, { expects: 'a number of seconds', value: u32 }),
      opt('--reap', 0),
      opt('--hitcount', 1, { expects: 'a hit count', value: u32 }),
      opt('--rttl', 0),
      opt('--name', 1, { expects: 'a list name' }),
      opt('--mask', 1, { expects: 'an address mask', value: (t, ctx) => canonicalAddress(t, ctx.family) }),
      opt('--rsource', 0),
      opt('--rdest', 0),
    ],
    canon: canonRecent,
  },
  {
    name: 'connlimit',
    options: [
      opt('--connlimit-upto', 1, { expects: 'a connection count', value: u32 }),
      opt('--connlimit-above', 1, { expects: 'a connection count', value: u32 }),
      opt('--connlimit-mask', 1, { expects: 'a prefix length', value: (t) => canonicalNumberRange(t, 128) }),
      opt('--connlimit-saddr', 0),
      opt('--connlimit-daddr', 0),
    ],
    canon: canonConnlimit,
  },
];

export const MATCH_SPECS: ReadonlyMap<string, CompiledSpec> = new Map(
  MATCHES.map((m) => [m.name, compileSpec(m)]),
);

/** Spellings of module names iptables maps to the module it prints. */
const MATCH_ALIASES: Record<string, string> = { icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6' };

export function matchName(name: string): string {
  return MATCH_ALIASES[name] ?? name;
}

/** For hints: which known modules take an option. */
export function modulesTaking(optionName: string): string[] {
  const out: string[] = [];
  for (const spec of MATCH_SPECS.values()) if (spec.byName.has(optionName)) out.push(spec.name);
  return out;
}
