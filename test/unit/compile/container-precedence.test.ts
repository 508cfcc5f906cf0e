import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { inventoryFromApi } from '../../../src/docker/inventory-map.js';
import type { HostState } from '../../../src/model/index.js';
import { formatRule } from '../../../src/parse/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import { simulate } from '../../../src/sim/index.js';
import { fixtureState, policyText, repoFile } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from '../cli/run-cli.js';
import { dockerHost } from '../sim/hosts.js';

const F05 = 'test/fixtures/docker-20.10/05-port-range';
const inventory = inventoryFromApi(
  JSON.parse(repoFile(`${F05}.networks.json`)),
  JSON.parse(repoFile(`${F05}.containers.json`)),
);
const INVENTORY = tempFile('inventory.json', JSON.stringify(inventory));

/** The example's filter (ssh for all, 8000 for allowed_hosts) and a grant of 8000 to 10.0.0.0/8. */
const POLICY = `dockwall: 1
ipsets:
  allowed_hosts:
    type: hash:ip
    members: [192.168.122.193]
filter:
  interfaces: [eth0]
  otherwise: reject
  allow:
    - name: ssh
      ports: [22]
    - name: web
      ports: [8000]
      sets: [allowed_hosts]
containers:
  - name: web-office
    container: web
    sources: [10.0.0.0/8]
host:
  interfaces:
    eth0: [192.168.122.190/24]
    docker0: [172.17.0.1/16]
expect:
  - name: the office reaches the web container (the grant)
    from: 10.1.2.3
    to: 192.168.122.190:8000/tcp
    in: eth0
    verdict: accept
  - name: another host is refused
    from: 192.168.122.50
    to: 192.168.122.190:8000/tcp
    in: eth0
    verdict: reject
`;

function planned(text = POLICY): HostState {
  const state = fixtureState('docker-20.10/05-port-range.iptables-save');
  const plan = planChanges(state, compileDesired(policyText(text), { inventory, hostFamilies: ['ipv4'] }));
  return applyPlanToState(state, plan).state;
}

const trace = (state: HostState, src: string, dport: number) =>
  simulate(
    { rulesets: state.rulesets, sets: state.sets, host: dockerHost, docker: inventory },
    { family: 'ipv4', src, dst: '192.168.122.190', proto: 'tcp', sport: 40000, dport, in: 'eth0' },
  );

describe('containers: grants take effect before the shared filter', () => {
  it('DOCKER-USER enters DOCKWALL-CONTAINERS only; the grants come before the filter jump, deny-unlisted last', () => {
    const d = compileDesired(policyText(POLICY), { inventory });
    const rules = (family: string, chain: string) =>
      d.chains.find((c) => c.family === family && c.chain === chain)!.rules.map((r) => r.name);
    for (const family of ['ipv4', 'ipv6']) {
      expect(rules(family, 'DOCKER-USER')).toEqual(['containers/jump']);
      const c = rules(family, 'DOCKWALL-CONTAINERS');
      expect(c.at(-1)).toBe('containers/deny-unlisted');
      expect(c.at(-2)).toBe('containers/filter-eth0');
      if (family === 'ipv4') expect(c.indexOf('containers/web-office')).toBeLessThan(c.length - 2);
    }
    const jump = d.chains
      .find((c) => c.family === 'ipv4' && c.chain === 'DOCKWALL-CONTAINERS')!
      .rules.find((r) => r.name === 'containers/filter-eth0')!;
    expect(formatRule(jump.rule)).toBe(
      '-i eth0 -m comment --comment "dockwall:containers/filter-eth0" -j DOCKWALL-FILTER',
    );
  });

  it('trace --to 192.168.122.190:8000/tcp from a granted source accepts (no longer filter/otherwise); others are refused', () => {
    const state = planned();
    const granted = trace(state, '10.1.2.3', 8000);
    expect(granted.verdict).toBe('accept');
    expect(
      granted.path.some((s) => s.kind === 'rule' && s.matched && s.rule.includes('containers/web-office')),
    ).toBe(true);
    const other = trace(state, '192.168.122.50', 8000);
    expect(other.verdict).toBe('reject');
    expect(other.decidedBy).toMatchObject({ chain: 'DOCKWALL-FILTER' });
    // The filter allows allowed_hosts port 8000, but no grant takes it: deny_unlisted_published refuses.
    const listed = trace(state, '192.168.122.193', 8000);
    expect(listed.verdict).toBe('reject');
    expect(listed.decidedBy).toMatchObject({ chain: 'DOCKWALL-CONTAINERS' });
    // The host's own ports are still the filter's: ssh for all.
    expect(trace(state, '10.1.2.3', 22).verdict).not.toBe('reject');
  });

  it('check and audit simulate the compiled rules and agree with it', () => {
    const file = tempFile('precedence.yaml', POLICY);
    const state = ['--state', `${F05}.iptables-save`, '--docker-state', INVENTORY];
    const check = dockwall(['check', '-f', file, ...state]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    expect(check.stdout).toContain('2 of 2 expectations hold.');
    const audit = dockwall(['audit', '-f', file, ...state, '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    const report = JSON.parse(audit.stdout) as {
      destinations: Array<{
        destination: { hostPort: number; family: string };
        probes: Array<{ groups: Array<{ ranges: string[]; reachable: boolean }> }>;
      }>;
    };
    const web = report.destinations.find(
      (x) => x.destination.hostPort === 8000 && x.destination.family === 'ipv4',
    )!;
    const reaching = web.probes.flatMap((p) => p.groups.filter((g) => g.reachable).flatMap((g) => g.ranges));
    expect(reaching).toEqual(['10.0.0.0/8']);
  });
});

describe('validate and plan say when one entry shadows another, naming both positions', () => {
  const shadowing = `dockwall: 1
filter:
  interfaces: [eth0]
  allow:
    - name: ssh
      ports: [22, "8000:8100"]
    - name: ssh-office
      ports: [22]
      sources: [10.1.0.0/16]
containers:
  - name: web-any
    container: web
  - name: web-office
    container: web
    ports: [80]
    sources: [10.0.0.0/8]
`;

  it('a filter entry and a container entry wholly allowed by earlier ones', () => {
    const d = compileDesired(policyText(shadowing, 'shadow.yaml'), { policyOnly: true });
    const s = d.diagnostics.filter((x) => x.code === 'compile.shadowed-entry');
    expect(s).toHaveLength(2);
    expect(s[0]!.message).toBe(
      'filter entry `ssh-office` never decides: the earlier filter entry `ssh` (shadow.yaml:5:7) already allows everything it allows (the first entry that matches wins)',
    );
    expect(s[0]!.pos).toMatchObject({ line: 7 });
    expect(s[0]!.related).toEqual([{ file: 'shadow.yaml', line: 5, column: 7 }]);
    expect(s[1]!.message).toContain(
      '`containers:` entry `web-office` never decides: the earlier entry `web-any` (shadow.yaml:11:5)',
    );
    expect(s[1]!.pos).toMatchObject({ line: 13 });
    // Not shadowed: a narrower entry first, a wider one after.
    const fine = compileDesired(
      policyText(shadowing.replace('ports: [22, "8000:8100"]', 'ports: [22]\n      sources: [10.1.2.0/24]')),
    );
    expect(fine.diagnostics.filter((x) => x.message.includes('ssh-office'))).toEqual([]);
  });

  it('with the inventory: a grant over the filter, and a filter entry for a published port no grant takes', () => {
    const text = POLICY.replace(
      '      sets: [allowed_hosts]',
      '      sets: [allowed_hosts]\n    - name: es\n      ports: [9200]',
    );
    const d = compileDesired(policyText(text, 'both.yaml'), { inventory });
    // One: the grant's only source is IPv4, so over IPv6 it grants nothing and overrides nothing.
    const overs = d.diagnostics.filter((x) => x.code === 'compile.grant-over-filter');
    expect(overs).toHaveLength(1);
    const over = overs[0]!;
    expect(over.message).toBe(
      '`containers:` entry `web-office` lets 10.0.0.0/8 reach published port 8000/tcp (ipv4), which the shared filter (both.yaml:6:1) does not allow them: the container grant decides first',
    );
    expect(over.pos).toMatchObject({ line: 18 });
    const overridden = d.diagnostics.filter((x) => x.code === 'compile.filter-entry-overridden');
    expect(overridden.map((x) => x.message)).toEqual([
      'filter entry `web` allows 8000/tcp, but container web publishes that port and the `containers:` entry `web-office` (both.yaml:18:5) grants it to fewer sources, so deny_unlisted_published refuses the others (ipv4)',
      'filter entry `es` allows 9200/tcp, but container es publishes that port and no `containers:` entry (both.yaml:18:5) grants it, so deny_unlisted_published refuses it (ipv4)',
    ]);
  });

  it('the CLI prints them: validate the shadowed entries, plan the grant over the filter', () => {
    const file = tempFile('shadow.yaml', shadowing);
    const v = dockwall(['validate', '-f', file]);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('filter entry `ssh-office` never decides');
    expect(v.stderr).toContain('`containers:` entry `web-office` never decides');
    const p = dockwall([
      'plan',
      '-f',
      tempFile('p.yaml', POLICY),
      '--state',
      `${F05}.iptables-save`,
      '--docker-state',
      INVENTORY,
    ]);
    expect(p.stderr).toContain(
      '`containers:` entry `web-office` lets 10.0.0.0/8 reach published port 8000/tcp',
    );
  });
});
