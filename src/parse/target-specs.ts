import type { Family, RuleOption } from '../model/index.js';
import { canonicalAddress } from './address.js';
import {
  canonicalNumberRange,
  hasOption,
  hex,
  option,
  parseNumber,
  parseValueMask,
} from './canonical-values.js';
import { compileSpec, opt, type CanonContext, type CompiledSpec, type ModuleSpec } from './module-spec.js';
import { parsePort } from './names.js';

/** The targets dockwall knows, their options and how iptables 1.8.9 prints them back. */

const REJECT4: ReadonlyArray<[string, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];
const REJECT6: ReadonlyArray<[string, string]> = [
  ['icmp6-no-route', 'no-route'],
  ['icmp6-adm-prohibited', 'adm-prohibited'],
  ['icmp6-addr-unreachable', 'addr-unreach'],
  ['icmp6-port-unreachable', 'port-unreach'],
  ['tcp-reset', 'tcp-reset'],
  ['icmp6-policy-fail', 'policy-fail'],
  ['icmp6-reject-route', 'reject-route'],
];

/** REJECT matches a case-insensitive prefix of a name or its alias, first in table order. */
function rejectWith(text: string, family: Family): string | null {
  const lower = text.toLowerCase();
  for (const [name, alias] of family === 'ipv4' ? REJECT4 : REJECT6) {
    if (name.startsWith(lower) || alias.startsWith(lower)) return name;
  }
  return null;
}

function canonReject(options: RuleOption[], ctx: CanonContext): RuleOption[] {
  if (hasOption(options, '--reject-with')) return options;
  return [
    ...options,
    option('--reject-with', [ctx.family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable']),
  ];
}

const LOG_LEVELS: ReadonlyMap<string, number> = new Map([
  ['alert', 1],
  ['crit', 2],
  ['debug', 7],
  ['emerg', 0],
  ['error', 3],
  ['info', 6],
  ['notice', 5],
  ['panic', 0],
  ['warning', 4],
]);

function logLevel(text: string): string | null {
  const n = parseNumber(text, 7);
  if (n !== null) return String(n);
  const named = LOG_LEVELS.get(text.toLowerCase());
  return named === undefined ? null : String(named);
}

function canonLog(options: RuleOption[]): RuleOption[] {
  return options.filter(
    (o) =>
      !(o.name === '--log-level' && o.args[0]?.text === '4') &&
      !(o.name === '--log-prefix' && o.args[0]?.text === ''),
  );
}

function canonNflog(options: RuleOption[]): RuleOption[] {
  // nf_tables ignores --nflog-range (the kernel never honoured it) and does not print it.
  return options.filter(
    (o) =>
      o.name !== '--nflog-range' &&
      !(o.name === '--nflog-group' && o.args[0]?.text === '0') &&
      !(o.name === '--nflog-threshold' && o.args[0]?.text === '0') &&
      !(o.name === '--nflog-prefix' && o.args[0]?.text === ''),
  );
}

function portsDash(text: string): string | null {
  const dash = text.indexOf('-');
  const lo = parsePort(dash < 0 ? text : text.slice(0, dash));
  const hi = dash < 0 ? lo : parsePort(text.slice(dash + 1));
  if (lo === null || hi === null || lo > hi) return null;
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/** `--to-destination`/`--to-source`: `a[-b][:p[-q]]`, IPv6 addresses in brackets when a port follows. */
function natRange(text: string, ctx: CanonContext): string | null {
  let addrs = text;
  let ports: string | undefined;
  if (ctx.family === 'ipv6') {
    if (text.startsWith('[')) {
      const close = text.indexOf(']');
      if (close < 0) return null;
      addrs = text.slice(1, close);
      const rest = text.slice(close + 1);
      if (rest !== '') {
        if (!rest.startsWith(':')) return null;
        ports = rest.slice(1);
      }
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      addrs = text.slice(0, colon);
      ports = text.slice(colon + 1);
    }
  }
  let addrText = '';
  if (addrs !== '') {
    const dash = addrs.indexOf('-');
    const a = canonicalAddress(dash < 0 ? addrs : addrs.slice(0, dash), ctx.family);
    const b = dash < 0 ? a : canonicalAddress(addrs.slice(dash + 1), ctx.family);
    if (a === null || b === null) return null;
    addrText = a === b ? a : `${a}-${b}`;
  }
  if (ports === undefined) return addrText;
  const p = portsDash(ports);
  if (p === null) return null;
  return ctx.family === 'ipv6' ? `[${addrText}]:${p}` : `${addrText}:${p}`;
}

/** MARK and CONNMARK's set forms, as the (value, mask) pair iptables stores. */
function xmark(o: RuleOption): [number, number] | null {
  const text = o.args[0]?.text;
  if (text === undefined) return null;
  switch (o.name) {
    case '--set-xmark':
      return parseValueMask(text);
    case '--set-mark': {
      const vm = parseValueMask(text);
      return vm && [vm[0], (vm[0] | vm[1]) >>> 0];
    }
    case '--and-mark': {
      const b = parseNumber(text);
      return b === null ? null : [0, ~b >>> 0];
    }
    case '--or-mark': {
      const b = parseNumber(text);
      return b === null ? null : [b, b];
    }
    case '--xor-mark': {
      const b = parseNumber(text);
      return b === null ? null : [b, 0];
    }
    default:
      return null;
  }
}

function canonMark(options: RuleOption[]): RuleOption[] {
  return options.map((o) => {
    const vm = xmark(o);
    return vm ? option('--set-xmark', [`${hex(vm[0])}/${hex(vm[1])}`]) : o;
  });
}

function canonConnmark(options: RuleOption[]): RuleOption[] {
  const mode = options.find((o) => o.name === '--save-mark' || o.name === '--restore-mark');
  if (mode) {
    const mask = options.find((o) => o.name === '--mask')?.args[0]?.text;
    const nf = options.find((o) => o.name === '--nfmask')?.args[0]?.text ?? mask ?? '0xffffffff';
    const ct = options.find((o) => o.name === '--ctmask')?.args[0]?.text ?? mask ?? '0xffffffff';
    const nfv = parseNumber(nf);
    const ctv = parseNumber(ct);
    if (nfv === null || ctv === null) return options;
    return [option(mode.name), option('--nfmask', [hex(nfv)]), option('--ctmask', [hex(ctv)])];
  }
  return canonMark(options);
}

const MARK_OPTS = [
  opt('--set-xmark', 1, { expects: 'value[/mask]' }),
  opt('--set-mark', 1, { expects: 'value[/mask]' }),
  opt('--and-mark', 1, { expects: 'bits' }),
  opt('--or-mark', 1, { expects: 'bits' }),
  opt('--xor-mark', 1, { expects: 'bits' }),
];

const u32 = (text: string) => {
  const n = parseNumber(text);
  return n === null ? null : String(n);
};

const TARGETS: ModuleSpec[] = [
  { name: 'ACCEPT', options: [] },
  { name: 'DROP', options: [] },
  { name: 'RETURN', options: [] },
  {
    name: 'REJECT',
    options: [
      opt('--reject-with', 1, {
        expects: 'an ICMP error type (icmp-port-unreachable, tcp-reset, …)',
        value: (t, ctx) => rejectWith(t, ctx.family),
      }),
    ],
    canon: canonReject,
  },
  {
    name: 'LOG',
    options: [
      opt('--log-prefix', 1, { expects: 'a prefix text', saveString: true }),
      opt('--log-level', 1, { expects: 'a syslog level (0-7 or a name)', value: logLevel }),
      opt('--log-tcp-sequence', 0),
      opt('--log-tcp-options', 0),
      opt('--log-ip-options', 0),
      opt('--log-uid', 0),
      opt('--log-macdecode', 0),
    ],
    canon: canonLog,
  },
  {
    name: 'NFLOG',
    options: [
      opt('--nflog-prefix', 1, { expects: 'a prefix text', saveString: true }),
      opt('--nflog-group', 1, { expects: 'a group number', value: u32 }),
      opt('--nflog-size', 1, { expects: 'a byte count', value: u32 }),
      opt('--nflog-range', 1, { expects: 'a byte count', value: u32 }),
      opt('--nflog-threshold', 1, { expects: 'a packet count', value: u32 }),
    ],
    canon: canonNflog,
  },
  {
    name: 'DNAT',
    options: [
      opt('--to-destination', 1, { expects: 'an address[:port]', value: natRange }),
      opt('--random', 0),
      opt('--random-fully', 0),
      opt('--persistent', 0),
    ],
  },
  {
    name: 'SNAT',
    options: [
      opt('--to-source', 1, { expects: 'an address[:port]', value: natRange }),
      opt('--random', 0),
      opt('--random-fully', 0),
      opt('--persistent', 0),
    ],
  },
  {
    name: 'MASQUERADE',
    options: [
      opt('--to-ports', 1, { expects: 'a port or port range (a-b)', value: portsDash }),
      opt('--random', 0),
      opt('--random-fully', 0),
    ],
  },
  {
    name: 'REDIRECT',
    options: [
      opt('--to-ports', 1, { expects: 'a port or port range (a-b)', value: portsDash }),
      opt('--random', 0),
    ],
  },
  { name: 'MARK', options: MARK_OPTS, canon: canonMark },
  {
    name: 'CONNMARK',
    options: [
      ...MARK_OPTS,
      opt('--save-mark', 0),
      opt('--restore-mark', 0),
      opt('--nfmask', 1, { expects: 'a mask' }),
      opt('--ctmask', 1, { expects: 'a mask' }),
      opt('--mask', 1, { expects: 'a mask' }),
    ],
    canon: canonConnmark,
  },
  {
    name: 'CT',
    options: [
      opt('--notrack', 0),
      opt('--helper', 1, { expects: 'a helper name' }),
      opt('--timeout', 1, { expects: 'a timeout policy name' }),
      opt('--ctevents', 1, { expects: 'a comma list of events' }),
      opt('--expevents', 1, { expects: 'a comma list of events' }),
      opt('--zone-orig', 1, { expects: 'a zone' }),
      opt('--zone-reply', 1, { expects: 'a zone' }),
      opt('--zone', 1, { expects: 'a zone' }),
    ],
  },
  {
    name: 'TCPMSS',
    options: [
      opt('--set-mss', 1, { expects: 'a segment size', value: (t) => canonicalNumberRange(t, 65535) }),
      opt('--clamp-mss-to-pmtu', 0),
    ],
  },
  { name: 'NOTRACK', options: [] },
];

export const TARGET_SPECS: ReadonlyMap<string, CompiledSpec> = new Map(
  TARGETS.map((t) => [t.name, compileSpec(t)]),
);
