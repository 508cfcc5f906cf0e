import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Family } from '../../src/model/index.js';
import {
  canonicalRule,
  formatRule,
  parseIptablesSave,
  parseRuleText,
  printIptablesSave,
  ruleKey,
} from '../../src/parse/index.js';
import { arbFamily, arbRule, arbRuleSpec, arbRuleset, printedRule, writtenRule } from './arbitraries.js';

const at = { file: 'prop', line: 1, column: 1 };

function parse(text: string, family: Family) {
  const r = parseRuleText(text, { family, ...at });
  if (!r.value) throw new Error(`${text}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.value;
}

// Property runs are heavy on a shared machine: give them room.
const SLOW = 60_000;

describe('rule sets: print ∘ parse is the identity', () => {
  it(
    'for random rule sets of both families, with and without counters',
    () => {
      fc.assert(
        fc.property(
          arbFamily.chain((f) => fc.tuple(fc.constant(f), fc.boolean())).chain(([f, c]) => arbRuleset(f, c)),
          (rs) => {
            const text = printIptablesSave(rs);
            const back = parseIptablesSave(text, { file: 'prop', family: rs.family });
            expect(back.diagnostics).toEqual([]);
            expect(printIptablesSave(back.value!)).toBe(text);
            expect(
              back.value!.tables.map((t) =>
                t.chains.map((c) => [c.name, c.policy, c.counters, c.rules.map(formatRule)]),
              ),
            ).toEqual(
              rs.tables.map((t) =>
                t.chains.map((c) => [c.name, c.policy, c.counters, c.rules.map(formatRule)]),
              ),
            );
            expect(text).not.toMatch(/\r/);
          },
        ),
        { numRuns: 100 },
      );
    },
    SLOW,
  );
});

describe('rules', () => {
  it(
    'print ∘ parse is the identity on iptables-save spelling',
    () => {
      fc.assert(
        fc.property(
          arbFamily.chain((f) => arbRule(f).map((r) => ({ ...r, f }))),
          ({ rule, text, f }) => {
            expect(formatRule(rule)).toBe(text);
            expect(formatRule(parse(formatRule(rule), f))).toBe(text);
          },
        ),
        { numRuns: 300 },
      );
    },
    SLOW,
  );

  it(
    'the canonical form of a printed rule is the printed rule, and canonicalizing twice changes nothing',
    () => {
      fc.assert(
        fc.property(
          arbFamily.chain((f) => arbRule(f).map((r) => ({ ...r, f }))),
          ({ rule, text, f }) => {
            const once = canonicalRule(rule, f);
            expect(formatRule(once)).toBe(text);
            expect(ruleKey(once, f)).toBe(ruleKey(rule, f));
            expect(canonicalRule(once, f)).toEqual(once);
          },
        ),
        { numRuns: 300 },
      );
    },
    SLOW,
  );

  it(
    'equivalent spellings (implicit -m tcp, /32, dashes, service names, order) have the same key',
    () => {
      fc.assert(
        fc.property(
          arbFamily.chain((f) => arbRuleSpec(f)),
          fc.integer({ min: 0, max: 0xfff }),
          (spec, seed) => {
            const printed = printedRule(spec);
            const written = writtenRule(spec, seed);
            expect(ruleKey(parse(written, spec.family), spec.family)).toBe(printed);
            expect(ruleKey(parse(printed, spec.family), spec.family)).toBe(printed);
          },
        ),
        { numRuns: 500 },
      );
    },
    SLOW,
  );
});

/** Words rule bodies are made of, to build arbitrary (often wrong) rules from. */
const VOCABULARY = [
  '-p',
  'tcp',
  'udp',
  'icmp',
  'all',
  '6',
  '--dport',
  '--sport',
  '22',
  '1000-2000',
  'ssh',
  '1024:',
  '-m',
  'comment',
  '--comment',
  '"a b"',
  "'x'",
  'tcp',
  'conntrack',
  '--ctstate',
  'NEW,ESTABLISHED',
  'multiport',
  '--dports',
  '22,80',
  '!',
  '-s',
  '-d',
  '10.1.2.3',
  '10.0.0.0/255.0.0.0',
  'fd00::1',
  '-i',
  '-o',
  'eth0',
  'eth+',
  '-f',
  '-j',
  '-g',
  'ACCEPT',
  'REJECT',
  'LOG',
  '--log-prefix',
  '--log-level',
  'info',
  'MARK',
  '--set-mark',
  '0x5/0xff',
  'DNAT',
  '--to',
  '1.2.3.4:80',
  '[fd00::2]:80',
  'limit',
  '--limit',
  '5/min',
  '--limit-burst',
  '5',
  'recent',
  '--set',
  '--name',
  'foo',
  '--bar',
  '--syn',
  '--tcp-flags',
  'ALL',
  'NONE',
  'SYN,ACK',
  'SYN',
  'set',
  '--match-set',
  'src',
  'state',
  '--state',
  'icmp6',
  '--icmpv6-type',
  'echo-request',
  '--icmp-type',
  'any',
  'NFLOG',
  '--nflog-range',
  '64',
  'CONNMARK',
  '--save-mark',
  '--mask',
  '0xf',
  '-x',
  '-A',
  '--dport=80',
  'DOCKER',
  'addrtype',
  '--dst-type',
  'local',
];

describe('arbitrary rule bodies', () => {
  it(
    'parse without throwing; whatever parses prints back to itself and has an idempotent key',
    () => {
      fc.assert(
        fc.property(arbFamily, fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 14 }), (f, words) => {
          const r = parseRuleText(words.join(' '), { family: f, ...at });
          if (!r.value) {
            expect(r.diagnostics.some((d) => d.severity === 'error' && d.pos && d.pos.column >= 1)).toBe(
              true,
            );
            return;
          }
          const printed = formatRule(r.value);
          expect(formatRule(parse(printed, f))).toBe(printed);
          const k = ruleKey(r.value, f);
          expect(ruleKey(canonicalRule(r.value, f), f)).toBe(k);
          // An empty key is a rule matching everything with no target (e.g. `-p all`).
          if (k !== '') expect(ruleKey(parse(k, f), f)).toBe(k);
        }),
        { numRuns: 2000 },
      );
    },
    SLOW,
  );
});
