import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { inventoryFromApi } from '../../../src/docker/inventory-map.js';
import { formatRule } from '../../../src/parse/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { fixtureState, policyText, repoFile } from '../../helpers/fixtures.js';

const inventory = inventoryFromApi(
  JSON.parse(repoFile('test/fixtures/docker-20.10/05-port-range.networks.json')),
  JSON.parse(repoFile('test/fixtures/docker-20.10/05-port-range.containers.json')),
);

const policy = (extra = '') =>
  policyText(`dockwall: 1
containers:
  - name: web-office
    container: web
    ports: [80]
    sources: [10.0.0.0/8]
  - name: es-dns
    container: es
    proto: udp
${extra}`);

const rules = (p: ReturnType<typeof policy>) => {
  const d = compileDesired(p, { inventory });
  const chain = (name: string) =>
    d.chains.find((c) => c.family === 'ipv4' && c.chain === name)!.rules.map((r) => formatRule(r.rule));
  return { d, chain };
};

describe('container-aware rules', () => {
  it('match the original destination port of each published port, never the container address', () => {
    const { chain } = rules(policy());
    const c = chain('DOCKWALL-CONTAINERS');
    expect(c[0]).toMatch(/--ctstate RELATED,ESTABLISHED .*-j RETURN$/);
    // Traffic from Docker's own bridges is left to Docker.
    expect(c.filter((r) => /^-i (docker0|br-)/.test(r))).toHaveLength(3);
    expect(c).toContain(
      '-s 10.0.0.0/8 -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8000 -m comment --comment "dockwall:containers/web-office" -j RETURN',
    );
    expect(c).toContain(
      '-p udp -m conntrack --ctstate DNAT --ctorigdstport 5353 -m comment --comment "dockwall:containers/es-dns" -j RETURN',
    );
    expect(c.join('\n')).not.toMatch(/172\.1[78]\./);
    expect(c.at(-1)).toMatch(/--ctstate DNAT .*deny-unlisted.* -j REJECT/);
    expect(chain('DOCKER-USER')).toEqual([
      '-m comment --comment "dockwall:containers/jump" -j DOCKWALL-CONTAINERS',
    ]);
  });

  it('keep a rule for a container that is not running ready, with a note, and deny its port meanwhile', () => {
    const { d, chain } = rules(policy('  - name: later\n    container: not-yet\n    sources: [192.0.2.1]\n'));
    expect(
      d.diagnostics.some((x) => x.code === 'compile.container-not-running' && x.message.includes('"later"')),
    ).toBe(true);
    expect(chain('DOCKWALL-CONTAINERS').some((r) => r.includes('192.0.2.1'))).toBe(false);
  });

  it('plan on the fixture host creates the chain and the jump, and planning the result again is empty', async () => {
    const { applyPlanToState } = await import('../../../src/plan/index.js');
    const state = fixtureState('docker-20.10/05-port-range.iptables-save');
    const d = compileDesired(policy(), { inventory });
    const plan = planChanges(state, d);
    expect(plan.operations[0]).toMatchObject({ op: 'create-chain', chain: 'DOCKWALL-CONTAINERS' });
    expect(plan.operations.filter((o) => o.op === 'insert-rule' && o.chain === 'DOCKER-USER')).toEqual([
      expect.objectContaining({ position: 1, name: 'containers/jump' }),
    ]);
    expect(planChanges(applyPlanToState(state, plan).state, d).operations).toEqual([]);
  });

  it('audit: a grant for a port bound to 127.0.0.1 makes no rule (the loopback-DNAT hole stays closed), with a note', () => {
    const loopback = structuredClone(inventory);
    const web = loopback.containers.find((c) => c.name === 'web')!;
    web.ports = web.ports.map((p) => ({ ...p, hostIp: '127.0.0.1' }));
    const d = compileDesired(policy(), { inventory: loopback });
    const c = d.chains
      .find((x) => x.family === 'ipv4' && x.chain === 'DOCKWALL-CONTAINERS')!
      .rules.map((r) => formatRule(r.rule));
    expect(c.join('\n')).not.toContain('127.0.0.1');
    expect(c.some((r) => r.includes('containers/web-office'))).toBe(false);
    const note = d.diagnostics.find((x) => x.code === 'compile.container-port-loopback');
    expect(note?.message).toMatch(/"web-office": 127\.0\.0\.1:8000\/tcp is bound to loopback/);
    // A port on another address is still matched by its original destination.
    web.ports = web.ports.map((p) => ({ ...p, hostIp: '192.168.122.190' }));
    const bound = compileDesired(policy(), { inventory: loopback })
      .chains.find((x) => x.family === 'ipv4' && x.chain === 'DOCKWALL-CONTAINERS')!
      .rules.map((r) => formatRule(r.rule));
    expect(bound.some((r) => r.includes('--ctorigdst 192.168.122.190'))).toBe(true);
  });
});

describe('containers: with no Docker inventory', () => {
  it('an offline plan without --docker-state warns that every published port is refused, and why', () => {
    const d = compileDesired(policy());
    const w = d.diagnostics.filter((x) => x.code === 'compile.no-docker-inventory');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ severity: 'warning', pos: { line: 3 } });
    expect(w[0]!.message).toBe(
      'no Docker inventory was given, so the 2 `containers:` entries grant nothing: every published port is refused (deny_unlisted_published), whatever the entries allow',
    );
    expect(w[0]!.hint).toContain('--docker-state');
    // What it says is what the rules do: no grant, the deny last.
    const c = d.chains.find((x) => x.family === 'ipv4' && x.chain === 'DOCKWALL-CONTAINERS')!;
    expect(c.rules.map((r) => r.name)).toEqual(['containers/established', 'containers/deny-unlisted']);
    const open = compileDesired(policy('deny_unlisted_published: false\n'));
    expect(open.diagnostics.find((x) => x.code === 'compile.no-docker-inventory')!.message).toContain(
      'published ports are left to the shared filter and to Docker',
    );
  });

  it('is not said with an inventory (even an empty one), nor by validate, which reads no host', () => {
    const codes = (d: ReturnType<typeof compileDesired>) => d.diagnostics.map((x) => x.code);
    expect(codes(compileDesired(policy(), { inventory }))).not.toContain('compile.no-docker-inventory');
    expect(codes(compileDesired(policy(), { inventory: { networks: [], containers: [] } }))).not.toContain(
      'compile.no-docker-inventory',
    );
    expect(codes(compileDesired(policy(), { policyOnly: true }))).not.toContain(
      'compile.no-docker-inventory',
    );
  });

  it('plan --state without --docker-state prints the warning', async () => {
    const { dockwall, tempFile } = await import('../cli/run-cli.js');
    const file = tempFile('containers.yaml', `dockwall: 1\ncontainers:\n  - name: web\n    container: web\n`);
    const r = dockwall([
      'plan',
      '-f',
      file,
      '--state',
      'test/fixtures/docker-20.10/05-port-range.iptables-save',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('warning[compile.no-docker-inventory]: no Docker inventory was given');
  });
});
