import { compileDesired } from '../src/compile/index.js';
import type { HostState } from '../src/model/index.js';
import { applyPlanToState, planChanges } from '../src/plan/index.js';
import { reachabilityDiff } from '../src/plan/reachability-diff.js';
import { loadPolicy } from '../src/policy/index.js';
import { serviceMatrix, syntheticRuleset } from '../src/sim/index.js';
import { fmt, medianCpuMs, medianMs, type Row } from './timing.js';

/** What the reachability difference adds to `plan`: 20 published ports, about 1,000 rules. */
export async function reachDiffBench(): Promise<Row[]> {
  const setup = syntheticRuleset({ rules: 1000 });
  const n = setup.ruleset.tables.reduce((s, t) => s + t.chains.reduce((a, c) => a + c.rules.length, 0), 0);
  const state: HostState = { rulesets: { ipv4: setup.ruleset }, sets: setup.sets };
  const policy = loadPolicy(
    [
      'dockwall: 1',
      'ipv4:',
      '  filter:',
      '    DOCKER-USER:',
      '      rules:',
      '        - no-lab: -s 198.51.0.0/16 -j REJECT',
      '        - no-office-web: -s 10.0.0.0/8 -p tcp --dport 80 -j DROP',
      '',
    ].join('\n'),
    'bench.yaml',
  ).value!;
  const desired = compileDesired(policy, { inventory: setup.docker });
  const plan = planChanges(state, desired);
  if (plan.operations.length === 0) throw new Error('bench: the plan should change something');
  const planMs = await medianMs(7, () => planChanges(state, desired));
  const diff = () =>
    reachabilityDiff({
      before: state,
      after: applyPlanToState(state, plan).state,
      host: setup.host,
      docker: setup.docker,
    });
  const ports = diff().ports;
  if (diff().unchanged) throw new Error('bench: the plan should change reachability');
  const diffMs = await medianMs(7, diff);
  const diffCpu = await medianCpuMs(7, diff);
  const matrixMs = await medianMs(7, () =>
    serviceMatrix({ rulesets: state.rulesets, sets: state.sets, host: setup.host, docker: setup.docker }),
  );
  return [
    {
      what: `plan against ${n.toLocaleString('en')} rules, ${setup.facts.containers} published ports`,
      value: fmt(planMs),
    },
    {
      what: '… its reachability difference (state after the plan, two service matrices, range diff)',
      value: fmt(diffMs),
      note: `CPU ${fmt(diffCpu)}; ${ports} ports; target: at most 100 ms extra`,
    },
    { what: '… of which one service matrix (audit) of the same rules', value: fmt(matrixMs) },
  ];
}
