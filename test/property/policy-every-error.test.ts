import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/index.js';

/** How an entry goes wrong: once for the schema, once for the checks after it, or not at all. */
const FAULTS = {
  none: '',
  'port out of range': 'ports: [70000]',
  'unknown protocol': 'proto: sctp, ports: [22]',
  'unknown key': 'prots: [22]',
  'prefix too long': 'sources: [10.0.0.0/33]',
  'not an address': 'sources: [192.168.1.300]',
  'undeclared set': 'sets: [nosuch]',
} as const;
type Fault = keyof typeof FAULTS;

const RULE_FAULTS = {
  none: '-p tcp --dport 22 -j ACCEPT',
  'option typo': '-p tcp --dprot 22 -j ACCEPT',
  'unknown target': '-p tcp --dport 22 -j ACCPET',
} as const;
type RuleFault = keyof typeof RULE_FAULTS;

describe('every error at once (property)', () => {
  it('N bad entries and rules give N errors, one on the line of each', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...(Object.keys(FAULTS) as Fault[])), { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom(...(Object.keys(RULE_FAULTS) as RuleFault[])), { maxLength: 6 }),
        (entries, rules) => {
          const lines = ['dockwall: 1', 'filter:', '  interfaces: [eth0]', '  allow:'];
          const bad = new Set<number>();
          entries.forEach((fault, i) => {
            const extra = FAULTS[fault];
            lines.push(`    - {name: e${i}${extra ? `, ${extra}` : ''}}`);
            if (fault !== 'none') bad.add(lines.length);
          });
          lines.push('ipv4:', '  filter:', '    INPUT:', '      rules:', '        - keep: -j RETURN');
          rules.forEach((fault, i) => {
            lines.push(`        - r${i}: ${RULE_FAULTS[fault]}`);
            if (fault !== 'none') bad.add(lines.length);
          });
          const r = loadPolicy(`${lines.join('\n')}\n`, 'policy.yaml');
          const errors = r.diagnostics.filter((d) => d.severity === 'error');
          expect(errors.length).toBe(bad.size);
          expect(new Set(errors.map((d) => d.pos?.line))).toEqual(bad);
          expect(r.value === undefined).toBe(bad.size > 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
