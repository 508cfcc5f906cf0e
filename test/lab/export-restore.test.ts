import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

/** What `dockwall apply` of the native example gives (apply-seed.test.ts): host 2 only, SSH open, other ports refused. */
const APPLY_OUTCOMES = { host2: 'open', other: 'refused', container: 'open', ssh: 'open', db: 'refused' };

/** Docker's rules, leaving out INPUT's policy line: the file sets that policy. */
const withoutInputPolicy = (rules: string[]) => rules.filter((l) => !l.startsWith(':INPUT '));

describe.skipIf(gate.skip)(
  'export --format restore, loaded with iptables-restore -n on a real Docker host',
  () => {
    let s: SeedLab;
    let dir: string;
    let policy: string;

    /** Runs the ExecStartPre/ExecStart commands of the exported systemd unit, with the files where the lab keeps them. */
    async function runUnit(): Promise<void> {
      const unit = readFileSync(join(dir, 'dockwall-restore.service'), 'utf8');
      const commands = unit
        .split('\n')
        .filter((l) => /^ExecStart(Pre)?=/.test(l))
        // The unit names the files where they were written (-o DIR), so it runs as it is.
        .map((l) => l.replace(/^[^=]+=/, '').split(' '));
      // The shared filter covers IPv6 too: one restore file per family.
      expect(commands.map((c) => c[0])).toEqual([
        '/sbin/ipset',
        '/sbin/iptables-restore',
        '/sbin/ip6tables-restore',
      ]);
      for (const argv of commands) await s.lab.execChecked(s.docker, argv);
    }

    beforeAll(async () => {
      gate.assertAvailable();
      s = await createSeedLab();
      dir = join(s.lab.dir, 'export');
      policy = s.file('native.yaml', repoText('examples/firewalling-docker.yaml'));
    });
    afterAll(async () => {
      await s?.lab.destroy();
    });

    it('gives the outcomes of dockwall apply, leaves every Docker rule as it was, and dockwall then plans nothing', async () => {
      const dockerBefore = await s.dockerRules();
      const r = await s.dockwall(['export', '--format', 'restore', '-f', policy, '--unit', '-o', dir]);
      expect(r.code, r.stderr).toBe(0);
      await runUnit();
      expect(await s.outcomes()).toEqual(APPLY_OUTCOMES);
      expect(withoutInputPolicy(await s.dockerRules())).toEqual(withoutInputPolicy(dockerBefore));
      expect((await s.lab.execChecked(s.docker, ['iptables', '-S', 'INPUT'])).stdout).toMatch(
        /^-P INPUT DROP$/m,
      );

      // The same rules and sets `apply` would have made: apply finds nothing to do.
      const plan = await s.dockwall(['plan', '-f', policy, '--no-check']);
      expect(plan.stdout).toContain('No changes');
      expect(plan.code).toBe(0);
      const apply = await s.dockwall([
        'apply',
        '-f',
        policy,
        '--yes',
        '--no-check',
        '--state-dir',
        s.stateDir,
      ]);
      expect(apply.code, apply.stderr).toBe(0);
      expect(await s.outcomes()).toEqual(APPLY_OUTCOMES);
    });

    it('loading it again is a no-op; after a dockerd restart it still holds, and reloading keeps what Docker rebuilt', async () => {
      const once = await s.save();
      await runUnit();
      expect(await s.save()).toBe(once);

      await s.dockerd.restart();
      await s.dockerd.dockerChecked(['start', 'web', 'client']).catch(() => '');
      expect(await s.outcomes()).toEqual(APPLY_OUTCOMES);
      const dockerAfterRestart = await s.dockerRules();
      await runUnit();
      expect(await s.dockerRules()).toEqual(dockerAfterRestart);
      expect(await s.outcomes()).toEqual(APPLY_OUTCOMES);
    });
  },
);
