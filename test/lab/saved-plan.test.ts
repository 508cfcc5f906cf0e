import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

describe.skipIf(gate.skip)('saved plans on a real host: plan -o, then apply FILE', () => {
  let s: SeedLab;
  let native: string;

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    native = s.file('native.yaml', repoText('examples/firewalling-docker.yaml'));
  });
  afterAll(async () => {
    await s?.lab.destroy();
  });

  it('apply FILE applies exactly the saved plan, shown as plan shows it; a second plan is empty', async () => {
    const out = `${s.lab.dir}/first.plan.json`;
    const planned = await s.dockwall(['plan', '-f', native, '--no-check', '-o', out]);
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain(`Apply exactly this plan with \`dockwall apply ${out}\``);
    const r = await s.dockwall(['apply', out, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    const shown = planned.stdout.slice(0, planned.stdout.indexOf('Plan: '));
    expect(r.stdout).toContain(shown);
    expect(r.stdout).toMatch(/Applied: \d+ added/);
    const again = await s.dockwall(['plan', '-f', native, '--no-check']);
    expect(again.stdout).toContain('No changes');
    expect(again.code).toBe(0);
  });

  it('refuses (exit 1, nothing changed) when a rule was changed by hand after the plan was made', async () => {
    const out = `${s.lab.dir}/second.plan.json`;
    const changedPolicy = s.file(
      'second.yaml',
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - lab-extra: -s 10.9.9.9 -p tcp --dport 9999 -j ACCEPT\n',
    );
    const planned = await s.dockwall(['plan', '-f', changedPolicy, '--no-check', '-o', out]);
    expect(planned.code, planned.stderr).toBe(2);
    // By hand, in the lab host's namespace: a rule in a chain the plan read.
    await s.lab.execChecked(s.docker, ['iptables', '-I', 'INPUT', '1', '-s', '10.7.7.7', '-j', 'DROP']);
    const before = await s.save();
    const r = await s.dockwall(['apply', out, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${out} cannot be applied: the host's firewall changed since the plan was made`,
    );
    expect(r.stderr).toContain('nothing was changed');
    expect(await s.save()).toBe(before);
  });

  it('refuses when the policy file changed after the plan was made', async () => {
    const policy = s.file(
      'third.yaml',
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - a: -s 10.8.8.8 -j ACCEPT\n',
    );
    const out = `${s.lab.dir}/third.plan.json`;
    expect((await s.dockwall(['plan', '-f', policy, '--no-check', '-o', out])).code).toBe(2);
    s.file(
      'third.yaml',
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - a: -s 10.8.8.9 -j ACCEPT\n',
    );
    const before = await s.save();
    const r = await s.dockwall(['apply', out, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy file .*third\.yaml changed since the plan was made/);
    expect(await s.save()).toBe(before);
  });
});
