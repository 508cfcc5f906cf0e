import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { plainRuleEntry, putBackRuleLists, setAsideRuleLists } from '../../../src/policy/rule-lists.js';
import { ruleEntry } from '../../../src/policy/schema.js';

const KEYS = [
  'r1',
  'name',
  'rule',
  'a.b-c_d',
  'x y',
  '',
  '__proto__',
  'k'.repeat(128),
  'k'.repeat(129),
  '1',
  'é',
];
const VALUES: unknown[] = ['-j ACCEPT', '', 1, null, true, ['-j ACCEPT'], { a: 1 }, 'r1', 'x y'];
const entry = fc
  .oneof(
    fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { minKeys: 0, maxKeys: 3 }),
    fc.record({ name: fc.constantFrom(...KEYS, ...VALUES), rule: fc.constantFrom(...VALUES) }),
    fc.constantFrom<unknown>(null, 'r1: -j ACCEPT', ['r1'], 3),
  )
  .map((e) =>
    // Plain objects, as the loader's data holds (fast-check makes them without a prototype).
    e !== null && typeof e === 'object' && !Array.isArray(e) ? { ...(e as object) } : e,
  );

describe('rule lists read without the schema', () => {
  it('take an entry exactly as the schema returns it, and only one the schema takes', () => {
    let taken = 0;
    fc.assert(
      fc.property(entry, (e) => {
        const fast = plainRuleEntry(e);
        if (fast === undefined) return;
        taken++;
        const slow = ruleEntry.safeParse(e);
        expect(slow.success).toBe(true);
        expect(fast).toStrictEqual(slow.data);
        expect(Object.keys(fast)).toEqual(Object.keys(slow.data as object));
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(100);
  });

  it('take the common forms', () => {
    expect(plainRuleEntry({ ssh: '-p tcp --dport 22 -j ACCEPT' })).toEqual({
      ssh: '-p tcp --dport 22 -j ACCEPT',
    });
    expect(plainRuleEntry({ rule: '-j DROP', name: 'last' })).toEqual({ name: 'last', rule: '-j DROP' });
    expect(plainRuleEntry({ name: '-j DROP' })).toBeUndefined();
    expect(plainRuleEntry({ a: '-j DROP', b: '-j DROP' })).toBeUndefined();
  });

  it('leave a list with one entry the schema must see in place, and put the others back', () => {
    const data = {
      dockwall: 1,
      ipv4: {
        filter: {
          INPUT: { rules: [{ a: '-j ACCEPT' }, { b: 2 }] },
          'BAD NAME': { rules: [{ c: '-j ACCEPT' }] },
          OK: { rules: [{ d: '-j ACCEPT' }] },
        },
      },
    };
    const aside = setAsideRuleLists(data);
    expect(aside.map((a) => a.chain)).toEqual(['BAD NAME', 'OK']);
    expect(data.ipv4.filter.INPUT.rules).toHaveLength(2);
    expect(data.ipv4.filter.OK.rules).toEqual([]);
    const out = { ipv4: { filter: { INPUT: { rules: [] }, OK: { rules: [] } } } };
    putBackRuleLists(out, aside);
    expect(out.ipv4.filter.OK.rules).toEqual([{ d: '-j ACCEPT' }]);
    expect(out.ipv4.filter).not.toHaveProperty('BAD NAME');
  });

  it('leave errors in rule lists positioned as before', () => {
    const text = [
      'dockwall: 1',
      'ipv4:',
      '  filter:',
      '    INPUT:',
      '      rules:',
      '        - ok: -j ACCEPT',
      '        - name: x',
      '          rule: 3',
      '    OTHER:',
      '      rules:',
      '        - fine: -p tcp --dport 22 -j ACCEPT',
      '        - also: -j DROP',
      '',
    ].join('\n');
    const res = loadPolicy(text, 'p.yaml');
    expect(res.value).toBeUndefined();
    expect(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.pos?.line)).toEqual([8]);
  });
});
