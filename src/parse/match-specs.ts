import { canonicalAddress } from './address.js';
import { canonicalMarkMatch, canonicalNumberRange, orderedList } from './canonical-values.js';
import {
  PORT,
  CT_STATES,
  STATES,
  CT_STATUS,
  ADDR_TYPES,
  portValue,
  dropFullPortRanges,
  canonTcp,
  multiportValue,
  limitRate,
  canonLimit,
  canonRecent,
  canonConnlimit,
  ctAddress,
  addressRange,
  byte,
  u32,
  ownerId,
} from './match-canon.js';
import { compileSpec, opt, type CompiledSpec, type ModuleSpec } from './module-spec.js';
import { canonicalIcmpType, protocolNumber } from './names.js';
import { canonicalMac } from './mac-address.js';
import { MAC_CHECK } from './value-checks.js';

/**
 * The match modules dockwall knows: their options (in iptables-save order, with argument counts)
 * and how iptables 1.8.9 prints them back. Verified against test/fixtures/canonical/pairs.json.
 */

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
        check: MAC_CHECK,
        value: canonicalMac,
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
export function matchName(name: string): string {
  return name === 'icmpv6' || name === 'ipv6-icmp' ? 'icmp6' : name;
}

/** For hints: which known modules take an option. */
export function modulesTaking(optionName: string): string[] {
  const out: string[] = [];
  for (const spec of MATCH_SPECS.values()) if (spec.byName.has(optionName)) out.push(spec.name);
  return out;
}
