import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { pyfwRule, pyfwSchema } from '../../../src/policy/pyfw-schema.js';
import {
  plainPyfwRuleEntry,
  putBackPyfwRuleLists,
  setAsidePyfwRuleLists,
} from '../../../src/policy/rule-lists.js';

const KEYS = ['r1', 'name', 'a.b-c_d', 'x y', '', '__proto__', 'k'.repeat(200), '1', 'é'];
const VALUES: unknown[] = ['-j ACCEPT', '', 1, null, true, ['-j ACCEPT'], { a: 1 }, 'r1'];
const entry = fc
  .oneof(
    fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { minKeys: 0, maxKeys: 3 }),
    fc.constantFrom<unknown>(null, 'r1: -j ACCEPT', ['r1'], 3, []),
  )
  // Plain objects, as the loader's data holds (fast-check makes them without a prototype).
  .map((e) => (e !== null && typeof e === 'object' && !Array.isArray(e) ? { ...(e as object) } : e));

describe('pyfw rule lists read without the schema', () => {
  it('take an entry exactly as the schema returns it, and only one the schema takes', () => {
    let taken = 0;
    fc.assert(
      fc.property(entry, (e) => {
        const fast = plainPyfwRuleEntry(e);
        if (fast === undefined) return;
        taken++;
        const slow = pyfwRule.safeParse(e);
        expect(slow.success).toBe(true);
        expect(fast).toStrictEqual(slow.data);
        expect(Object.keys(fast)).toEqual(Object.keys(slow.data as object));
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(100);
  });

  it('give the schema the same output with the lists set aside and put back', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 4 }), fc.array(entry, { maxLength: 4 }), (a, b) => {
        const make = () => ({
          pyfw_wishes: {
            iptables: { filter: { INPUT: { rules: structuredClone(a) }, 'BAD NAME': { rules: [] } } },
            ip6tables: { nat: { POSTROUTING: { rules: structuredClone(b) } } },
          },
        });
        const slow = pyfwSchema.safeParse(make());
        const data = make();
        const aside = setAsidePyfwRuleLists(data);
        const fast = pyfwSchema.safeParse(data);
        expect(fast.success).toBe(slow.success);
        if (fast.success) {
          putBackPyfwRuleLists(fast.data, aside);
          expect(fast.data).toStrictEqual(slow.data);
        } else {
          expect(fast.error.issues).toEqual(slow.error!.issues);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leave errors in rule lists positioned as before, and read the plain lists', () => {
    const text = [
      'pyfw_wishes:',
      '  iptables:',
      '    filter:',
      '      INPUT:',
      '        rules:',
      "        - ok: '-j ACCEPT'",
      '        - bad: 3',
      '      OTHER:',
      '        rules:',
      "        - fine: '-p tcp --dport 22 -m comment --comment fine -j ACCEPT'",
      "        - also: '-p tcp --dport 22 -m comment --comment fine -j ACCEPT'",
      '',
    ].join('\n');
    const res = loadPolicy(text, 'p.yaml');
    expect(res.value).toBeUndefined();
    expect(res.diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.column])).toEqual([
      ['policy.invalid', 7, 11],
      ['policy.wrong-type', 7, 16],
      // The list set aside is still read, positioned: `also` carries another rule's comment.
      ['policy.comment-not-name', 11, 57],
    ]);
    const ok = loadPolicy(text.replace('bad: 3', "bad: '-j DROP'"), 'p.yaml');
    expect(ok.diagnostics.map((d) => d.code)).toEqual(['policy.comment-not-name']);
    const other = ok.value!.families.ipv4!.tables[0]!.chains.find((c) => c.name === 'OTHER')!;
    expect(other.rules.map((r) => [r.name, r.pos?.line])).toEqual([
      ['fine', 10],
      ['also', 11],
    ]);
  });
});
