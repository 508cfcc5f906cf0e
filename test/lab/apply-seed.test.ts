import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKWALL_BUNDLE, labGate, probeTcp } from './helpers/index.js';
import { createSeedLab, NATIVE_OUTCOMES, repoText, SEED_OUTCOMES, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

describe.skipIf(gate.skip)('apply on a real host with a real dockerd', () => {
  let s: SeedLab;

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
  });
  afterAll(async () => {
    await s?.lab.destroy();
  });

  it('before any policy, every host reaches the published port', async () => {
    expect(await s.outcomes()).toMatchObject({
      host2: 'open',
      other: 'open',
      container: 'open',
      ssh: 'open',
      db: 'open',
    });
  });

  it("applies the seed's pyfw wishes with exactly the seed's outcomes; a second plan is empty", async () => {
    const wishes = s.file('wishes.yaml', repoText('examples/pyfw-wishes-firewalling-docker.yaml'));
    const r = await s.dockwall(['apply', '-f', wishes, '--yes', '--state-dir', s.stateDir]);
    expect(r.stderr).toContain('dockerd flushes it');
    expect(r.code, r.stderr).toBe(0);
    expect(await s.outcomes()).toEqual(SEED_OUTCOMES);
    expect((await s.lab.execChecked(s.docker, ['iptables', '-S', 'INPUT'])).stdout).toMatch(
      /^-P INPUT DROP$/m,
    );
    const again = await s.dockwall(['plan', '-f', wishes]);
    expect(again.stdout).toContain('No changes');
    expect(again.code).toBe(0);
  });

  it('without the privileges it needs, apply says so in one line and changes nothing', async () => {
    const before = await s.save();
    const policy = s.file('nobody.yaml', 'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      policy: DROP\n');
    const r = await s.lab.exec(s.docker, [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      process.execPath,
      DOCKWALL_BUNDLE,
      'apply',
      '-f',
      policy,
      '--yes',
      '--state-dir',
      `${s.stateDir}-nobody`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/root or with CAP_NET_ADMIN.*nothing was changed/);
    expect(await s.save()).toBe(before);
  });

  it('atomicity: a policy with a rule the kernel rejects fails whole with the kernel message, and changes nothing', async () => {
    const before = await s.save();
    const bad = s.file(
      'bad.yaml',
      [
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    INPUT:',
        '      rules:',
        '        - fine: -s 10.9.9.9 -j ACCEPT',
        '        - broken: -m nosuchmatch --foo 1 -j ACCEPT',
        '',
      ].join('\n'),
    );
    const r = await s.dockwall(['apply', '-f', bad, '--yes', '--state-dir', s.stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nosuchmatch/);
    expect(r.stderr).toMatch(/nothing was changed/);
    expect(await s.save()).toBe(before);
  });

  it('the native policy (shared filter + DOCKER-USER) gives the same outcomes, and survives a dockerd restart untouched', async () => {
    // The pyfw rules from the test before stay (they are not tagged and the native policy does not name them).
    const native = s.file('native.yaml', repoText('examples/firewalling-docker.yaml'));
    const r = await s.dockwall(['apply', '-f', native, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    // Same as the seed, except that the shared filter rejects other ports instead of dropping them.
    expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    expect((await s.dockwall(['plan', '-f', native, '--no-check'])).code).toBe(0);

    await s.dockerd.restart();
    await s.dockerd.dockerChecked(['start', 'web', 'client']).catch(() => '');
    const dockerAfterRestart = await s.dockerRules();
    const again = await s.dockwall(['apply', '-f', native, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    expect(await s.dockerRules()).toEqual(dockerAfterRestart);
  });

  it('refuses a plan that would cut the SSH session it runs from, unless --force', async () => {
    const before = await s.save();
    const lockout = s.file(
      'lockout.yaml',
      [
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    INPUT:',
        '      policy: DROP',
        '      rules:',
        '        - web-only: -p tcp --dport 8080 -j ACCEPT',
        '',
      ].join('\n'),
    );
    // sshd on 2222 here: the seed's pyfw rules from the test before still allow 22.
    const ssh = { SSH_CONNECTION: `${s.host3.address} 50022 ${s.docker.address} 2222` };
    const refused = await s.dockwall(['apply', '-f', lockout, '--yes', '--state-dir', s.stateDir], ssh);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refusing to apply: a new SSH connection from this client would be dropped.*--force/,
    );
    expect(await s.save()).toBe(before);
    const forced = await s.dockwall(
      ['apply', '-f', lockout, '--yes', '--force', '--state-dir', s.stateDir],
      ssh,
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 2222)).toBe('timeout');
    const back = await s.dockwall(['rollback', '--yes', '--state-dir', s.stateDir]);
    expect(back.code, back.stderr).toBe(0);
    // Back to the native policy: the shared filter answers (rejects) instead of silently dropping.
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 2222)).toBe('refused');
  });

  it('--confirm without confirmation restores the previous rules (real traffic)', async () => {
    const open = s.file(
      'open.yaml',
      ['dockwall: 1', 'ipv4:', '  filter:', '    INPUT:', '      policy: ACCEPT', ''].join('\n'),
    );
    // A policy that blocks host 3 from port 8000 in DOCKER-USER, applied with a 4 s confirmation window.
    const strict = s.file(
      'strict.yaml',
      [
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    DOCKER-USER:',
        '      rules:',
        `        - no-host3: -s ${s.host3.address} -j REJECT`,
        '',
      ].join('\n'),
    );
    const opened = await s.dockwall(['apply', '-f', open, '--yes', '--state-dir', s.stateDir]);
    expect(opened.code, opened.stderr + opened.stdout).toBe(0);
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('open');
    const pending = s.dockwall(['apply', '-f', strict, '--yes', '--confirm', '4', '--state-dir', s.stateDir]);
    let during = 'unknown';
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const rules = (await s.lab.exec(s.docker, ['iptables', '-S', 'DOCKER-USER'])).stdout;
      if (rules.includes('dockwall:no-host3')) {
        during = await probeTcp(s.lab, s.host3, s.docker.address, 8000);
        break;
      }
    }
    const r = await pending;
    expect(during).toBe('refused');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not confirmed');
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).not.toBe('refused');
    expect((await s.lab.exec(s.docker, ['iptables', '-S', 'DOCKER-USER'])).stdout).not.toContain(
      'dockwall:no-host3',
    );
  });
});
