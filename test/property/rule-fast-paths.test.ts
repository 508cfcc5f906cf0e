import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Family, HostState, Plan, Rule } from '../../src/model/index.js';
import { printable, printableData, printableView } from '../../src/model/index.js';
import { Interner, canonicalRule, formatRule, parseRuleText, ruleKey } from '../../src/parse/index.js';
import { canonicalNetwork, generalNetwork } from '../../src/parse/address.js';
import { applyPlanToState } from '../../src/plan/index.js';
import { arbRule, writtenRule, arbRuleSpec } from './arbitraries.js';
import { arbBodies } from './rule-words.js';

/**
 * Shortcuts on the way from rule text to key, each held to the general path on generated input:
 * rule texts read with a shared interner (frozen, shared parts: the canonical form's memo) and
 * without (a policy's own parts: canonicalized directly), plan rendering's copy of the plan without
 * escaping, and the simulated plan reading its rules with one interner.
 */

const opts = (family: Family) => ({ family, file: 'p', line: 1, column: 1 });

function parsed(text: string, family: Family, intern?: Interner) {
  const res = parseRuleText(text, intern ? { ...opts(family), intern } : opts(family));
  return { value: res.value, diagnostics: res.diagnostics.map((d) => `${d.code} ${d.message}`) };
}

/** Bodies of odd words, and the same rules as people write them and as iptables-save prints them. */
const arbTexts = (family: Family) =>
  fc.oneof(
    arbBodies.map((bodies) => bodies.map((b) => b.join(' '))),
    fc.array(
      fc.tuple(arbRuleSpec(family), fc.nat()).map(([s, seed]) => writtenRule(s, seed)),
      { minLength: 1, maxLength: 4 },
    ),
    // `-m tcp` twice: iptables-nft folds them into one match.
    fc
      .tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.boolean())
      .map(([a, b, neg]) => [
        `-p tcp -m tcp --dport ${a} -m tcp ${neg ? '! ' : ''}--sport ${b} -j ACCEPT`,
        `-p tcp -m tcp --sport ${b} -m tcp --dport ${a} -m comment --comment "x y" -j DROP`,
        `-p tcp -m tcp --dport ${a} -m tcp --dport ${b}`,
        `-p udp -m udp --dport ${a} -m tcp --sport ${b}`,
      ]),
  );

describe.each(['ipv4', 'ipv6'] as const)('rule fast paths (%s)', (family) => {
  it('a rule read with a shared interner is the rule read alone, and keys the same', () => {
    fc.assert(
      fc.property(arbTexts(family), (texts) => {
        const intern = new Interner();
        // Twice through one interner: the second round finds every part shared already.
        for (const text of [...texts, ...texts]) {
          const alone = parsed(text, family);
          const shared = parsed(text, family, intern);
          expect(shared.diagnostics).toEqual(alone.diagnostics);
          expect(shared.value).toEqual(alone.value);
          if (!alone.value || !shared.value) continue;
          // Frozen parts go through the memo, a policy's own parts are canonicalized directly.
          expect(canonicalRule(shared.value, family)).toEqual(canonicalRule(alone.value, family));
          // Keyed by the way that reads a rule's own parts without copying them: left unchanged.
          const before = structuredClone(alone.value);
          const key = ruleKey(alone.value, family);
          expect(alone.value).toEqual(before);
          expect(ruleKey(shared.value, family)).toBe(key);
          expect(formatRule(canonicalRule(alone.value, family))).toBe(key);
          // A key is canonical text: read again, it is its own key.
          const again = parsed(key, family);
          expect(again.value && ruleKey(again.value, family)).toBe(key);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('two `-m tcp` with options key as the one match iptables-nft folds them into', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.boolean(),
        fc.constantFrom('tcp', 'udp'),
        fc.boolean(),
        (a, b, neg, proto, shared) => {
          const intern = shared ? new Interner() : undefined;
          const key = (text: string) => ruleKey(parsed(text, family, intern).value!, family);
          const not = neg ? '! ' : '';
          const one = `-p ${proto} -m ${proto} ${not}--sport ${b} --dport ${a} -j ACCEPT`;
          expect(key(`-p ${proto} -m ${proto} --dport ${a} -m ${proto} ${not}--sport ${b} -j ACCEPT`)).toBe(
            one,
          );
          expect(key(one)).toBe(one);
          // Only one of them has options: nothing to fold.
          expect(key(`-p ${proto} -m ${proto} -m ${proto} --dport ${a}`)).toBe(
            `-p ${proto} -m ${proto} -m ${proto} --dport ${a}`,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the simulated plan reads its inserted rules as parseRuleText reads each alone', () => {
    fc.assert(
      fc.property(fc.array(arbRule(family), { minLength: 1, maxLength: 8 }), (rules) => {
        const keys = rules.map((r) => ruleKey(r.rule, family));
        const state: HostState = {
          rulesets: { [family]: { family, tables: [{ name: 'filter', chains: [] }] } },
          sets: { sets: [] },
        };
        const plan: Plan = {
          operations: [
            { op: 'create-chain', family, table: 'filter', chain: 'X' },
            ...keys.map((rule, i) => ({
              op: 'insert-rule' as const,
              family,
              table: 'filter' as const,
              chain: 'X',
              position: i + 1,
              rule,
            })),
          ],
          summary: { add: keys.length, change: 0, remove: 0 },
          diagnostics: [],
        } as unknown as Plan;
        const after = applyPlanToState(state, plan);
        expect(after.diagnostics).toEqual([]);
        const chain = after.state.rulesets[family]!.tables[0]!.chains.find((c) => c.name === 'X')!;
        const alone = keys.map((k) => {
          const r = parseRuleText(k, { family, file: '<plan>', line: 1, column: 1 }).value!;
          delete r.pos;
          return r;
        });
        expect(chain.rules).toEqual(alone);
        expect(chain.rules.map((r: Rule) => ruleKey(r, family))).toEqual(keys);
      }),
      { numRuns: 150 },
    );
  });
});

/** IPv4 spellings: plain ones, and leading zeros, big parts, masks, host bits, odd endings. */
const arbIPv4Text = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map(String),
        fc.constantFrom('00', '010', '0x1', '256', '999', '', ' 1', '1a', '-1', '+1'),
      ),
      { minLength: 1, maxLength: 5 },
    ),
    fc.oneof(
      fc.constant(''),
      fc.integer({ min: 0, max: 33 }).map((p) => `/${p}`),
      fc.constantFrom('/', '/032', '/00', '/0', '/255.255.0.0', '/255.0.255.0', '/x', '/32/1', '/ 8'),
    ),
  )
  .map(([parts, suffix]) => parts.join('.') + suffix);

describe('canonicalNetwork', () => {
  it('its plain IPv4 fast path equals the general way', () => {
    fc.assert(
      fc.property(arbIPv4Text, (text) => {
        expect(canonicalNetwork(text, 'ipv4')).toEqual(generalNetwork(text, 'ipv4'));
      }),
      { numRuns: 3000 },
    );
  });
});

/** Strings with the characters `printable` escapes, those JSON escapes, and plain text. */
const arbText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc
    .array(
      fc.constantFrom(
        'a',
        ' ',
        '"',
        '\\',
        '\n',
        '\t',
        '\u001b',
        '\u007f',
        '\u0085',
        '\u202e',
        '\u2028',
        '\u200b',
        'é',
        '\ud800',
      ),
    )
    .map((cs) => cs.join('')),
);

const arbData = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    arbText,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(arbText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** printableData as it was: every string through `printable` by a reviver. */
function revived(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'string' ? printable(v) : v));
}

describe('printableData and printableView', () => {
  it('equals the reviver over every string, with or without characters to escape', () => {
    fc.assert(
      fc.property(arbData, (data) => {
        const out = printableData(data);
        expect(out).toEqual(revived(data));
        // A copy: changing it leaves the input as it was.
        if (out !== null && typeof out === 'object') expect(out).not.toBe(data);
        // The view to read: the data itself only when nothing in it is escaped.
        const view = printableView(data);
        expect(view).toEqual(revived(data));
        if (view === data) expect(JSON.stringify(view)).toBe(JSON.stringify(revived(data)));
      }),
      { numRuns: 500 },
    );
  });
});
