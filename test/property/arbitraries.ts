import fc from 'fast-check';
import {
  BUILTIN_CHAINS,
  type Chain,
  type Family,
  type Rule,
  type Ruleset,
  type Table,
  type TableName,
} from '../../src/model/index.js';
import { parseRuleText } from '../../src/parse/index.js';

/**
 * fast-check arbitraries for rules and rule sets with realistic options, in both families.
 *
 * `arbRuleSpec` describes a rule abstractly; `printedRule` spells it as iptables-save prints it and
 * `writtenRule` as a person might write it (implicit protocol match, missing /32, dashes in port
 * ranges, service names, shuffled option order), so both spellings must have the same `ruleKey`.
 */

export const arbFamily: fc.Arbitrary<Family> = fc.constantFrom('ipv4', 'ipv6');

const byte = fc.integer({ min: 0, max: 255 });
const word16 = fc.integer({ min: 0, max: 0xffff });

export interface AddressSpec {
  /** Canonical text with prefix (`10.0.0.0/8`, `fd00::1/128`). */
  printed: string;
  /** A person's spelling of the same network. */
  written: string;
}

function v4(n: number[]): string {
  return n.join('.');
}

export const arbIPv4Network: fc.Arbitrary<AddressSpec> = fc
  .tuple(fc.array(byte, { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 32 }), fc.boolean())
  .map(([bytes, prefix, dotted]) => {
    const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (value & mask) >>> 0;
    const parts = (x: number) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
    const printed = `${v4(parts(net))}/${prefix}`;
    const written =
      prefix === 32 ? v4(bytes) : dotted ? `${v4(bytes)}/${v4(parts(mask))}` : `${v4(bytes)}/${prefix}`;
    return { printed, written };
  });

export const arbIPv6Network: fc.Arbitrary<AddressSpec> = fc
  .tuple(
    fc.array(fc.oneof(word16, fc.constant(0)), { minLength: 8, maxLength: 8 }),
    fc.constantFrom(128, 64, 48, 56, 10, 96),
  )
  .map(([words, prefix]) => {
    const masked = words.map((w, i) => {
      const bits = Math.max(0, Math.min(16, prefix - i * 16));
      return bits === 0 ? 0 : w & ((0xffff << (16 - bits)) & 0xffff);
    });
    const full = masked.map((w) => w.toString(16).padStart(4, '0')).join(':');
    const hostFull = words.map((w) => w.toString(16).toUpperCase()).join(':');
    return {
      printed: `${formatV6(masked)}/${prefix}`,
      written: prefix === 128 ? full : `${hostFull}/${prefix}`,
    };
  });

/** glibc-style compression, written independently of src/parse for the test's sake. */
function formatV6(words: number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const tail = `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
    return bestLen === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function arbNetwork(family: Family): fc.Arbitrary<AddressSpec> {
  return family === 'ipv4' ? arbIPv4Network : arbIPv6Network;
}

export const arbInterface = fc.constantFrom(
  'eth0',
  'ens3',
  'docker0',
  'br-b3bc30109fba',
  'wg0',
  'eth+',
  'lo',
);

const SERVICES: Record<number, string> = { 22: 'ssh', 80: 'http', 443: 'https', 53: 'domain', 25: 'smtp' };

export interface PortSpec {
  printed: string;
  written: string;
  /** The written form is a service name only TCP has (/etc/services). */
  tcpOnly?: boolean;
}

export const arbPort: fc.Arbitrary<PortSpec> = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map((p) => ({ printed: String(p), written: String(p) })),
  fc
    .constantFrom(22, 80, 443, 53, 25)
    .map((p) => ({ printed: String(p), written: SERVICES[p]!, tcpOnly: p !== 53 && p !== 443 })),
  fc
    .tuple(fc.integer({ min: 1, max: 60000 }), fc.integer({ min: 1, max: 5000 }), fc.constantFrom(':', '-'))
    .map(([lo, span, sep]) => ({ printed: `${lo}:${lo + span}`, written: `${lo}${sep}${lo + span}` })),
  fc.integer({ min: 1024, max: 65534 }).map((p) => ({ printed: `${p}:65535`, written: `${p}:` })),
);

const CT_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

/** Comment text: any printable text without line breaks (quoting must carry it through). */
export const arbCommentText: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  fc.constantFrom('dockwall:allow_ssh', 'allow ssh', 'say "hi"', "it's", 'back\\slash', '[fw] x'),
  fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' }).filter((s) => !/[\0\n\r]/.test(s)),
);

export interface RuleSpec {
  family: Family;
  src?: AddressSpec & { negated: boolean };
  dst?: AddressSpec;
  in?: string;
  out?: string;
  proto?: 'tcp' | 'udp' | 'icmp';
  dport?: PortSpec;
  sport?: PortSpec;
  states?: string[];
  comment?: string;
  target: 'ACCEPT' | 'DROP' | 'RETURN' | 'REJECT' | 'LOG' | 'DOCKER-USER' | 'none';
  logPrefix?: string;
}

export function arbRuleSpec(family: Family): fc.Arbitrary<RuleSpec> {
  return fc
    .record(
      {
        src: fc.record({ net: arbNetwork(family), negated: fc.boolean() }),
        dst: arbNetwork(family),
        in: arbInterface,
        out: arbInterface,
        proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
        dport: arbPort,
        sport: arbPort,
        states: fc.subarray(CT_STATES, { minLength: 1 }),
        comment: arbCommentText,
        target: fc.constantFrom(
          'ACCEPT',
          'DROP',
          'RETURN',
          'REJECT',
          'LOG',
          'DOCKER-USER',
          'none',
        ) as fc.Arbitrary<RuleSpec['target']>,
        logPrefix: arbCommentText,
      },
      { requiredKeys: ['target'] },
    )
    .map((r) => {
      const spec: RuleSpec = { family, target: r.target };
      if (r.src) spec.src = { ...r.src.net, negated: r.src.negated };
      if (r.dst) spec.dst = r.dst;
      if (r.in) spec.in = r.in;
      if (r.out) spec.out = r.out;
      if (r.proto && !(r.proto === 'icmp' && family === 'ipv6')) {
        spec.proto = r.proto;
        if (r.proto !== 'icmp') {
          if (r.dport) spec.dport = r.dport;
          if (r.sport) spec.sport = r.sport;
        }
      }
      if (r.states) spec.states = r.states;
      if (r.comment !== undefined) spec.comment = r.comment;
      if (r.target === 'LOG' && r.logPrefix !== undefined) spec.logPrefix = r.logPrefix;
      return spec;
    });
}

function quote(s: string): string {
  return /^[A-Za-z0-9_-]+$/.test(s) ? s : `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** The rule as iptables-save prints it (without `-A CHAIN`). */
export function printedRule(s: RuleSpec): string {
  const parts: string[] = [];
  if (s.src) parts.push(`${s.src.negated ? '! ' : ''}-s ${s.src.printed}`);
  if (s.dst) parts.push(`-d ${s.dst.printed}`);
  if (s.in) parts.push(`-i ${s.in}`);
  if (s.out) parts.push(`-o ${s.out}`);
  if (s.proto) parts.push(`-p ${s.proto}`);
  if (s.proto && (s.sport || s.dport)) {
    parts.push(`-m ${s.proto}`);
    if (s.sport) parts.push(`--sport ${s.sport.printed}`);
    if (s.dport) parts.push(`--dport ${s.dport.printed}`);
  }
  if (s.states) parts.push(`-m conntrack --ctstate ${s.states.join(',')}`);
  if (s.comment !== undefined) parts.push(`-m comment --comment ${quote(s.comment)}`);
  if (s.target === 'REJECT') {
    parts.push(
      `-j REJECT --reject-with ${s.family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`,
    );
  } else if (s.target === 'LOG') {
    parts.push(s.logPrefix !== undefined ? `-j LOG --log-prefix ${quote(s.logPrefix)}` : '-j LOG');
  } else if (s.target !== 'none') {
    parts.push(`-j ${s.target}`);
  }
  return parts.join(' ');
}

/** The same rule as a person might write it; `seed` picks among the spellings. */
export function writtenRule(s: RuleSpec, seed: number): string {
  const bit = (n: number) => ((seed >> n) & 1) === 1;
  const generic: string[] = [];
  if (s.src)
    generic.push(
      bit(0)
        ? `--source ${s.src.negated ? '! ' : ''}${s.src.written}`
        : `${s.src.negated ? '! ' : ''}-s ${s.src.written}`,
    );
  if (s.dst) generic.push(`${bit(1) ? '--dst' : '-d'} ${s.dst.written}`);
  if (s.in) generic.push(`-i ${s.in}`);
  if (s.out) generic.push(`${bit(2) ? '--out-interface' : '-o'} ${s.out}`);
  if (bit(3)) generic.reverse();
  const parts = [...generic];
  if (s.proto) parts.push(`-p ${bit(4) ? s.proto.toUpperCase() : s.proto}`);
  if (s.proto && (s.sport || s.dport)) {
    if (bit(5)) parts.push(`-m ${s.proto}`);
    const spell = (p: PortSpec) => (p.tcpOnly && s.proto !== 'tcp' ? p.printed : p.written);
    if (s.dport) parts.push(`${bit(6) ? '--destination-port' : '--dport'} ${spell(s.dport)}`);
    if (s.sport) parts.push(`--sport ${spell(s.sport)}`);
  }
  if (s.states) {
    const states = bit(7) ? [...s.states].reverse() : s.states;
    parts.push(`-m conntrack --ctstate ${states.map((x) => (bit(8) ? x.toLowerCase() : x)).join(',')}`);
  }
  if (s.comment !== undefined)
    parts.push(
      `-m comment --comment ${bit(9) ? `"${s.comment.replace(/["\\]/g, (c) => `\\${c}`)}"` : quote(s.comment)}`,
    );
  if (s.target === 'REJECT') parts.push('-j REJECT');
  else if (s.target === 'LOG') {
    parts.push(bit(10) ? '-j LOG --log-level warning' : '-j LOG');
    if (s.logPrefix !== undefined) parts.push(`--log-prefix ${quote(s.logPrefix)}`);
  } else if (s.target !== 'none') parts.push(`${bit(11) ? '--jump' : '-j'} ${s.target}`);
  return parts.join(' ');
}

/** A parsed rule in canonical form, with the text iptables-save prints for it. */
export function arbRule(family: Family): fc.Arbitrary<{ rule: Rule; text: string }> {
  // A rule with no option at all is valid in a dump but refused in a policy (parse.empty-rule).
  return arbRuleSpec(family)
    .filter((spec) => printedRule(spec) !== '')
    .map((spec) => {
      const text = printedRule(spec);
      const r = parseRuleText(text, { family, file: 'arb', line: 1, column: 1 });
      if (!r.value) throw new Error(`arbitrary produced an unparsable rule: ${text}`);
      delete r.value.pos;
      return { rule: r.value, text };
    });
}

const arbCounters = fc
  .tuple(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: 1n << 50n }))
  .map(([p, b]) => ({ packets: p.toString(), bytes: b.toString() }));

const arbUserChain = fc
  .stringMatching(/^[A-Z][A-Z0-9_-]{0,14}$/)
  .filter((n) => n !== 'ACCEPT' && n !== 'DROP' && n !== 'RETURN' && n !== 'REJECT' && n !== 'LOG');

function arbTable(family: Family, name: TableName, withCounters: boolean): fc.Arbitrary<Table> {
  const builtins = BUILTIN_CHAINS[name];
  const arbRules = fc.array(
    fc
      .tuple(arbRule(family), arbCounters)
      .map(([r, c]) => (withCounters ? { ...r.rule, counters: c } : r.rule)),
    { maxLength: 6 },
  );
  return fc
    .record({
      policies: fc.array(fc.constantFrom('ACCEPT' as const, 'DROP' as const), {
        minLength: builtins.length,
        maxLength: builtins.length,
      }),
      counters: fc.array(arbCounters, { minLength: builtins.length + 4, maxLength: builtins.length + 4 }),
      users: fc.uniqueArray(arbUserChain, { maxLength: 4 }),
      rules: fc.array(arbRules, { minLength: builtins.length + 4, maxLength: builtins.length + 4 }),
      comments: fc.boolean(),
    })
    .map(({ policies, counters, users, rules, comments }) => {
      const chains: Chain[] = [
        ...builtins.map((c, i) => ({ name: c, policy: policies[i]!, rules: [] as Rule[] })),
        ...users
          .filter((u) => !builtins.includes(u))
          .map((u) => ({ name: u, policy: null, rules: [] as Rule[] })),
      ];
      chains.forEach((c, i) => {
        c.rules = rules[i] ?? [];
        (c as Chain).counters = counters[i] ?? { packets: '0', bytes: '0' };
      });
      const table: Table = { name, chains };
      if (comments) {
        table.commentsBefore = [
          `# Generated by ${family === 'ipv4' ? 'iptables' : 'ip6tables'}-save v1.8.9 (nf_tables) on Mon Nov 23 10:46:41 2026`,
        ];
        table.commentsAfter = ['# Completed on Mon Nov 23 10:46:41 2026'];
      }
      return table;
    });
}

/** A rule set of one family: some of filter/nat/mangle/raw, built-in and user chains, rules. */
export function arbRuleset(family: Family, withCounters = false): fc.Arbitrary<Ruleset> {
  return fc
    .subarray(['filter', 'nat', 'mangle', 'raw'] as TableName[], { minLength: 1 })
    .chain((names) => fc.tuple(...names.map((n) => arbTable(family, n, withCounters))))
    .map((tables) => ({ family, tables }));
}
