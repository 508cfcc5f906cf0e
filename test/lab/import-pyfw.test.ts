import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate } from './helpers/index.js';
import { createSeedLab, repoText, SEED_OUTCOMES, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

describe.skipIf(gate.skip)('dockwall import pyfw, then apply, on a real host with a real dockerd', () => {
  let s: SeedLab;
  let converted: string;

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
  });
  afterAll(async () => {
    await s?.lab.destroy();
  });

  it("the imported seed file gives the seed's outcomes, with the DOCKER rule now in DOCKER-USER", async () => {
    const wishes = s.file('wishes.yaml', repoText('examples/pyfw-wishes-firewalling-docker.yaml'));
    converted = `${s.lab.dir}/converted.yaml`;
    const imp = await s.dockwall(['import', 'pyfw', wishes, '-o', converted]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain('import.moved-to-docker-user');

    const r = await s.dockwall(['apply', '-f', converted, '--yes', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('dockerd flushes it');
    expect(await s.outcomes()).toEqual(SEED_OUTCOMES);
    const user = (await s.lab.execChecked(s.docker, ['iptables', '-S', 'DOCKER-USER'])).stdout;
    expect(user).toMatch(
      /^-A DOCKER-USER ! -i docker0 -o docker0 -m conntrack --ctstate DNAT -m set ! --match-set allowed_hosts src -m comment --comment "?dockwall:allowed_hosts_only"? -j REJECT/m,
    );
    expect((await s.lab.execChecked(s.docker, ['iptables', '-S', 'DOCKER'])).stdout).not.toContain(
      '-m comment',
    );
    const again = await s.dockwall(['plan', '-f', converted]);
    expect(again.stdout).toContain('No changes');
  });

  it('unlike the pyfw rule in DOCKER, it survives a dockerd restart without a new apply', async () => {
    await s.dockerd.restart();
    await s.dockerd.dockerChecked(['start', 'web', 'client']).catch(() => '');
    expect(await s.outcomes()).toEqual(SEED_OUTCOMES);
  });
});
