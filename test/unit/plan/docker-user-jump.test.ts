import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import { policyText } from '../../helpers/fixtures.js';

/** ip6tables as Docker 20.10 writes it with --ip6tables (lab): no DOCKER-USER, and no jump to one. */
const V6_DOCKER_2010 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d fd00:d0c::242:ac11:2/128 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
COMMIT
`;

const POLICY = `dockwall: 1
filter:
  interfaces: [eth0]
  allow:
    - name: web
      ports: [8000]
      sources: ["fd77::193"]
ipv6:
  filter:
    INPUT:
      rules:
        - allow_loopback: -i lo -j ACCEPT
`;

const state = (dump: string): HostState => ({
  rulesets: { ipv6: parseIptablesSave(dump, { file: 'v6', family: 'ipv6' }).value! },
  sets: { sets: [] },
});
const forward = (s: HostState) =>
  s.rulesets.ipv6!.tables[0]!.chains.find((c) => c.name === 'FORWARD')!.rules.length;

describe('a FORWARD → DOCKER-USER jump where Docker wrote none', () => {
  const desired = compileDesired(policyText(POLICY));

  it("is added on top of FORWARD when Docker's is missing, and then nothing is left to do", () => {
    const start = state(V6_DOCKER_2010);
    const plan = planChanges(start, desired);
    expect(plan.operations).toContainEqual({
      op: 'create-chain',
      family: 'ipv6',
      table: 'filter',
      chain: 'DOCKER-USER',
    });
    const jump = plan.operations.filter((o) => o.op === 'insert-rule' && o.chain === 'FORWARD');
    expect(jump).toEqual([
      {
        op: 'insert-rule',
        family: 'ipv6',
        table: 'filter',
        chain: 'FORWARD',
        position: 1,
        rule: '-m comment --comment "dockwall:docker-user" -j DOCKER-USER',
        name: 'docker-user',
      },
    ]);
    const after = applyPlanToState(start, plan).state;
    expect(forward(after)).toBe(forward(start) + 1);
    expect(planChanges(after, desired).operations).toEqual([]);
  });

  it('is not added where Docker jumps to DOCKER-USER itself, and goes away once Docker does', () => {
    const withDockers = V6_DOCKER_2010.replace(
      ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
      ':DOCKER-ISOLATION-STAGE-2 - [0:0]\n:DOCKER-USER - [0:0]',
    ).replace(
      '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
      '-A FORWARD -j DOCKER-USER\n-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    );
    expect(
      planChanges(state(withDockers), desired).operations.filter(
        (o) => 'chain' in o && o.chain === 'FORWARD',
      ),
    ).toEqual([]);

    const ours = withDockers.replace(
      '-A FORWARD -j DOCKER-USER\n',
      '-A FORWARD -m comment --comment "dockwall:docker-user" -j DOCKER-USER\n-A FORWARD -j DOCKER-USER\n',
    );
    const ops = planChanges(state(ours), desired).operations.filter(
      (o) => 'chain' in o && o.chain === 'FORWARD',
    );
    expect(ops).toEqual([expect.objectContaining({ op: 'delete-rule', position: 1, name: 'docker-user' })]);
  });

  it('is not added without Docker, nor when the policy puts nothing in DOCKER-USER', () => {
    const noDocker = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n`;
    expect(
      planChanges(state(noDocker), desired).operations.some((o) => 'chain' in o && o.chain === 'FORWARD'),
    ).toBe(false);
    const inputOnly = compileDesired(
      policyText('dockwall: 1\nipv6:\n  filter:\n    INPUT:\n      rules:\n        - lo: -i lo -j ACCEPT\n'),
    );
    expect(
      planChanges(state(V6_DOCKER_2010), inputOnly).operations.some(
        (o) => 'chain' in o && o.chain === 'FORWARD',
      ),
    ).toBe(false);
  });
});
