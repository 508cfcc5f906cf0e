import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/model/index.js';
import { renderPlanText } from '../../../src/plan/index.js';

const members = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
const set = { name: 'block', type: 'hash:ip', family: 'inet' as const, options: [], members };

describe('a plan of large sets, shown', () => {
  it('a created set shows its number of members, not the members; the plan itself keeps them', () => {
    const plan: Plan = {
      formatVersion: 1,
      operations: [{ op: 'create-set', set }],
      summary: { add: 1, change: 0, remove: 0 },
      diagnostics: [],
    };
    const text = renderPlanText(plan);
    expect(text).toContain('+ create set block (hash:ip, 1000 members)');
    expect(text).not.toContain('10.0.0.1\n');
    expect(plan.operations[0]).toEqual({ op: 'create-set', set });
  });

  it('an updated set shows exactly the members added and removed, escaped', () => {
    const plan: Plan = {
      formatVersion: 1,
      operations: [{ op: 'update-set', name: 'block', add: ['10.9.9.9'], remove: ['10.0.0.1'], set }],
      summary: { add: 0, change: 1, remove: 0 },
      diagnostics: [],
    };
    const text = renderPlanText(plan);
    expect(text).toContain('+ 10.9.9.9');
    expect(text).toContain('- 10.0.0.1');
    expect(text.split('\n').filter((l) => /^\s+[+-] 10\./.test(l))).toHaveLength(2);
  });
});
