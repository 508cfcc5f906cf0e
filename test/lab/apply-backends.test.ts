import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NAMES, docker29Gate, engineFor, probeTcp } from './helpers/index.js';
import { createSeedLab, NATIVE_OUTCOMES, repoText, SEED_OUTCOMES, type SeedLab } from './seed-scenario.js';
import { pollUntil, seedWatchPolicy, startWatch, type WatchProcess } from './watch-process.js';

const gate = await docker29Gate();

/**
 * One policy file, three daemons: Debian's dockerd 20.10, Docker 29.7.2 with its iptables backend and
 * Docker 29.7.2 with its nftables backend. Each gets the apply acceptance scenarios with real traffic
 * (the seed's pyfw wishes and the native policy give the policy's reachability, a second plan is
 * empty, Docker's rules and tables stay byte for byte as they were, a bad policy changes nothing) and
 * watch keeping the policy across a dockerd restart.
 */
describe.skipIf(gate.skip).each(DAEMON_NAMES)('one policy on %s', (daemon) => {
  let s: SeedLab;
  const nft = daemon === 'docker-29-nftables';
  const everything = () => s.everything();

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab({ engine: await engineFor(daemon) });
  });
  afterAll(async () => {
    await s?.lab.destroy();
  });

  it('before any policy, every host reaches the published port', async () => {
    expect(await s.outcomes()).toEqual({ ...SEED_OUTCOMES, other: 'open', db: 'open' });
  });

  it("the seed's pyfw wishes: the seed's outcomes, a second plan is empty, Docker's rules and tables unchanged", async () => {
    const wishes = s.file('wishes.yaml', repoText('examples/pyfw-wishes-firewalling-docker.yaml'));
    const docker = await s.dockerFirewall();
    const r = await s.dockwall(['apply', '-f', wishes, '--yes', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    if (nft) {
      expect(r.stderr).toContain("go into dockwall's own nftables tables (ip dockwall");
      expect(r.stderr).toContain('pyfw rule "allowed_hosts_only" in Docker\'s DOCKER chain goes into');
      expect(r.stdout).toContain('nftables table ip dockwall chain forward');
    }
    expect(await s.outcomes()).toEqual(SEED_OUTCOMES);
    const again = await s.dockwall(['plan', '-f', wishes]);
    expect(again.stdout).toContain('No changes');
    expect(again.code).toBe(0);
    expect(await s.dockerFirewall()).toBe(docker);
  });

  it('a policy with a rule the kernel rejects fails whole with its message, and changes nothing', async () => {
    const before = await everything();
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
        '    DOCKER-USER:',
        '      rules:',
        '        - no-host3: -s 192.168.122.50 -j DROP',
        '',
      ].join('\n'),
    );
    const r = await s.dockwall(['apply', '-f', bad, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nosuchmatch/);
    expect(r.stderr).toMatch(/nothing was changed/);
    expect(await everything()).toBe(before);
  });

  it.runIf(nft)(
    "a pyfw rule in Docker's nat DOCKER chain: an error at the rule that says what to write instead; nothing changes",
    async () => {
      const before = await everything();
      const wishes = s.file(
        'nat-docker.yaml',
        [
          'pyfw_wishes:',
          '  iptables:',
          '    nat:',
          '      DOCKER:',
          '        rules:',
          "        - extra_port: '-p tcp --dport 9000 -j DNAT --to-destination 172.17.0.2:80'",
          '',
        ].join('\n'),
      );
      const r = await s.dockwall(['apply', '-f', wishes, '--yes', '--state-dir', s.stateDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/nat-docker\.yaml:6:\d+/);
      expect(r.stderr).toMatch(/cannot be kept with Docker's nftables backend.*publish the port with Docker/);
      expect(await everything()).toBe(before);
    },
  );

  it('the native policy (shared filter, INPUT rules): the same outcomes; plan empty; Docker untouched; a dockerd restart keeps it', async () => {
    const native = s.file('native.yaml', repoText('examples/firewalling-docker.yaml'));
    const docker = await s.dockerFirewall();
    const r = await s.dockwall(['apply', '-f', native, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    expect((await s.dockwall(['plan', '-f', native, '--no-check'])).code).toBe(0);
    expect(await s.dockerFirewall()).toBe(docker);

    await s.dockerd.restart();
    await s.dockerd.dockerChecked(['start', 'web', 'client']).catch(() => '');
    const dockerAfterRestart = await s.dockerFirewall();
    const again = await s.dockwall(['apply', '-f', native, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    expect(await s.dockerFirewall()).toBe(dockerAfterRestart);
  });

  describe('watch', () => {
    let watch: WatchProcess;
    let policy: string;
    const seen: string[] = [];
    const whole = async () => {
      // plan, not status: status also asks dockerd for its version, which is slow just after a start.
      const r = await s.dockwall(['plan', '-f', policy, '--no-check']);
      seen.push(`${new Date().toISOString()} ${r.code} ${r.stdout.slice(-400)} ${r.stderr.slice(-300)}`);
      return r.code === 0;
    };
    const running = async () =>
      (await s.dockerd.docker(['inspect', '-f', '{{.State.Running}}', 'web', 'client'])).stdout.trim() ===
      'true\ntrue';

    beforeAll(async () => {
      policy = s.file('watch.yaml', seedWatchPolicy(repoText('examples/firewalling-docker.yaml')));
      watch = startWatch({ lab: s.lab, host: s.docker, dockerd: s.dockerd, policy, stateDir: s.stateDir });
      await watch.waitForLine((l) => l.msg === 'following Docker events', { timeoutMs: 20_000 });
      await pollUntil('policy whole under watch', whole, { timeoutMs: 10_000, everyMs: 200 });
    });
    afterAll(() => {
      if (watch?.running()) watch.signal('SIGTERM');
    });

    it('after a dockerd restart watch reconciles at once and the policy is whole; Docker untouched', async () => {
      const from = watch.lines.length;
      await s.dockerd.restart();
      const answered = Date.now();
      const ms = await pollUntil('policy whole after the restart', whole, {
        timeoutMs: 5_000,
        everyMs: 100,
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${watch.dump()}`);
      });
      expect(seen.length).toBeGreaterThan(0);
      const reconnect = await watch.waitForLine((l) => l.msg === 'Docker is back: reconciling at once', {
        from,
        timeoutMs: 5_000,
      });
      // Figures, not assertions (timings are for benchmarks): when watch saw Docker back and, where
      // dockerd's restart broke the policy (iptables), when it had restored it, after dockerd answered.
      const restored = watch.lines.slice(from).find((l) => l.msg.startsWith('restored the policy'));
      const when = (l: { time?: string } | undefined) => {
        if (!l?.time) return 'n/a';
        const d = Date.parse(l.time) - answered;
        return d < 0 ? `${-d} ms before` : `${d} ms after`;
      };
      console.log(
        `${daemon}: watch reconnected ${when(reconnect)} and restored ${restored ? when(restored) : 'nothing (nothing broken)'} dockerd answered; a dockwall plan said whole ${ms} ms after`,
      );
      await pollUntil('web and client running again', running, { timeoutMs: 20_000, everyMs: 200 });
      const docker = await s.dockerFirewall();
      await new Promise((r) => setTimeout(r, 1_200));
      expect(await s.dockerFirewall()).toBe(docker);
      expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    });

    it.runIf(nft)('restores drift in its own table (a flushed forward chain)', async () => {
      const from = watch.lines.length;
      watch.signal('SIGSTOP');
      try {
        await s.lab.execChecked(s.docker, ['nft', 'flush', 'chain', 'ip', 'dockwall', 'forward']);
        expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('open');
      } finally {
        watch.signal('SIGCONT');
      }
      const ms = await pollUntil('policy whole after the flush', whole, { timeoutMs: 5_000, everyMs: 100 });
      console.log(`${daemon}: a flushed forward chain whole again after ${ms} ms`);
      const restored = await watch.waitForLine((l) => l.msg.startsWith('restored the policy'), {
        from,
        timeoutMs: 1_000,
      });
      expect(JSON.stringify(restored.found)).toMatch(/nft-add-rule ip dockwall forward/);
      expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    });
  });
});
