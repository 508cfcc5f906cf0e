import { describe, expect, it } from 'vitest';
import { buildRestoreScripts } from '../../src/apply/index.js';
import { compileDesired } from '../../src/compile/index.js';
import { applyPlanToState, planChanges, renderPlanText } from '../../src/plan/index.js';
import { fixtureState, policyFrom } from '../helpers/fixtures.js';
import { expectGolden } from '../helpers/golden.js';

const wishes = () => policyFrom('examples/pyfw-wishes-firewalling-docker.yaml');

describe("the seed's pyfw wishes", () => {
  it('plan nothing against 07-seed003-wishes-applied', () => {
    const state = fixtureState(
      'docker-20.10/07-seed003-wishes-applied.iptables-save',
      'docker-20.10/07-seed003-wishes-applied.ipset-save',
    );
    const plan = planChanges(state, compileDesired(wishes()));
    expect(plan.operations).toEqual([]);
    expectGolden('seed003-applied', 'plan.txt', renderPlanText(plan));
  });

  it('against 08-seed003-after-docker-restart: move allow_established to the top and re-insert allowed_hosts_only', () => {
    const state = fixtureState(
      'docker-20.10/08-seed003-after-docker-restart.iptables-save',
      'docker-20.10/07-seed003-wishes-applied.ipset-save',
    );
    const plan = planChanges(state, compileDesired(wishes()));
    expect(
      plan.operations.map((o) => [o.op, 'chain' in o ? o.chain : '', 'name' in o ? o.name : '']),
    ).toEqual([
      ['move-rule', 'FORWARD', 'allow_established'],
      ['insert-rule', 'DOCKER', 'allowed_hosts_only'],
    ]);
    expect(plan.summary).toEqual({ add: 1, change: 1, remove: 0 });
    expectGolden('seed003-after-restart', 'plan.txt', renderPlanText(plan));
    expectGolden('seed003-after-restart', 'plan.json', JSON.stringify(plan, null, 2) + '\n');
    expectGolden('seed003-after-restart', 'restore-ipv4.txt', buildRestoreScripts(plan).iptables.ipv4 ?? '');

    // Docker's rules are untouched: every Docker rule of the dump is still there, in the same order.
    const after = applyPlanToState(state, plan);
    expect(after.diagnostics).toEqual([]);
    const dockerRules = (s: typeof state) =>
      s.rulesets.ipv4!.tables.flatMap((t) =>
        t.chains.flatMap((c) =>
          c.rules
            .filter((r) => !r.matches.some((m) => m.name === 'comment'))
            .map((r) => `${t.name} ${c.name} ${JSON.stringify(r.generic)} ${JSON.stringify(r.target)}`),
        ),
      );
    expect(dockerRules(after.state)).toEqual(dockerRules(state));
    // And planning again on the result is empty.
    expect(planChanges(after.state, compileDesired(wishes())).operations).toEqual([]);
  });
});
