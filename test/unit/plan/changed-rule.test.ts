import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { applyPlanToState, planChanges, renderPlanText } from '../../../src/plan/index.js';
import { policyText } from '../../helpers/fixtures.js';

const policy = (port: number) => `dockwall: 1
ipv4:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport ${port} -j ACCEPT
        - web: -p tcp --dport 80 -j ACCEPT
`;

const state = (dump: string): HostState => ({
  rulesets: { ipv4: parseIptablesSave(dump, { file: 'v4', family: 'ipv4' }).value! },
  sets: { sets: [] },
});

describe('plan output: a changed rule is one change', () => {
  const empty = state('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  const before = applyPlanToState(empty, planChanges(empty, compileDesired(policyText(policy(22))))).state;
  const plan = planChanges(before, compileDesired(policyText(policy(2222))));

  it('counts a rule replaced by a new one of its name as 1 to change, in the JSON summary too', () => {
    expect(plan.summary).toEqual({ add: 0, change: 1, remove: 0 });
    const insert = plan.operations.find((o) => o.op === 'insert-rule');
    expect(insert).toMatchObject({ name: 'ssh', replaces: expect.stringContaining('--dport 22 ') });
    // The operations stay what apply runs: one delete and one insert.
    expect(plan.operations.map((o) => o.op).sort()).toEqual(['delete-rule', 'insert-rule']);
  });

  it('renders it as ~ with the new rule and the old one, not as - and +', () => {
    const text = renderPlanText(plan);
    expect(text).toMatch(/~ 1 +-p tcp -m tcp --dport 2222 .*# ssh/);
    expect(text).toMatch(/was +-p tcp -m tcp --dport 22 /);
    expect(text).not.toMatch(/^ *[-+] /m);
    expect(text).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
  });

  it('still counts a rule that only goes as removed and a new name as added', () => {
    const renamed = planChanges(before, compileDesired(policyText(policy(22).replace('ssh:', 'admin:'))));
    expect(renamed.summary).toEqual({ add: 1, change: 0, remove: 1 });
  });
});
