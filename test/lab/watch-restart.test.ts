import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate, probeTcp } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';
import { chainRules, pollUntil, seedWatchPolicy, startWatch, type WatchProcess } from './watch-process.js';

const gate = await labGate();

/**
 * `dockwall watch` against a real dockerd restart: dockerd re-creates its chains and moves its FORWARD
 * jumps above dockwall's FORWARD rule; watch must put the policy back by itself, quickly, without
 * changing any of Docker's rules.
 */
describe.skipIf(gate.skip)('watch keeps the policy across a dockerd restart', () => {
  let s: SeedLab;
  let policy: string;
  let watch: WatchProcess;

  const status = async () => (await s.dockwall(['status', '-f', policy])).code;
  const whole = async () => (await status()) === 0;
  const forwardTop = async () => (await chainRules(s.lab, s.docker, 'FORWARD'))[0] ?? '';
  const containersRunning = async () =>
    (await s.dockerd.docker(['inspect', '-f', '{{.State.Running}}', 'web', 'client'])).stdout.trim() ===
    'true\ntrue';

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    policy = s.file('watch.yaml', seedWatchPolicy(repoText('examples/firewalling-docker.yaml')));
    watch = startWatch({ lab: s.lab, host: s.docker, dockerd: s.dockerd, policy, stateDir: s.stateDir });
    await watch.waitForLine((l) => l.msg.startsWith('restored the policy'), { timeoutMs: 20_000 });
  });
  afterAll(async () => {
    if (watch?.running()) watch.signal('SIGTERM');
    await s?.lab.destroy();
  });

  it('applies the policy on start: host 2 reaches 8000, host 3 is refused, FORWARD starts with the policy rule', async () => {
    expect(await status(), watch.dump()).toBe(0);
    expect(await forwardTop()).toContain('dockwall:forward_established');
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(watch.lines.find((l) => l.msg === 'following Docker events')).toBeDefined();
  });

  // How fast is measured in bench/watch.bench.ts (BENCHMARKS.md), not asserted here.
  it('a dockerd restart breaks the policy; watch makes it whole again, and host 3 is refused again', async () => {
    const from = watch.lines.length;
    await s.dockerd.restart();
    await pollUntil('policy whole after the restart', whole, {
      timeoutMs: 5_000,
      everyMs: 100,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${watch.dump()}`);
    });
    // watch found the FORWARD rule out of place (Docker's jumps above it) and moved it back.
    // (Change events may have brought an earlier repair while dockerd was still starting.)
    const restored = await watch.waitForLine(
      (l) =>
        l.msg.startsWith('restored the policy') &&
        /FORWARD \(forward_established\)/.test(JSON.stringify(l.found)),
      { from, timeoutMs: 1_000 },
    );
    expect(restored.level).toBe('info');
    expect(await forwardTop()).toContain('dockwall:forward_established');
    await pollUntil('web and client running again', containersRunning, { timeoutMs: 20_000, everyMs: 200 });
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
    expect(watch.lines.slice(from).some((l) => l.msg.startsWith('Docker event stream lost'))).toBe(true);
  });

  it("watch changes none of Docker's rules: they are exactly as dockerd left them after its restart", async () => {
    // Freeze watch so the restart's effect can be seen and recorded before watch acts on it.
    watch.signal('SIGSTOP');
    try {
      await s.dockerd.restart();
      await pollUntil('web and client running again', containersRunning, { timeoutMs: 20_000, everyMs: 200 });
      await new Promise((r) => setTimeout(r, 500));
      const dockerAfterRestart = await s.dockerRules();
      expect(await forwardTop()).not.toContain('dockwall:');
      expect(await status()).toBe(2);
      const from = watch.lines.length;
      watch.signal('SIGCONT');
      await pollUntil('policy whole after SIGCONT', whole, { timeoutMs: 5_000, everyMs: 100 });
      await watch.waitForLine((l) => l.msg.startsWith('restored the policy'), { from, timeoutMs: 1_000 });
      // Two more check intervals: watch is at rest and still has not touched Docker's rules.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await s.dockerRules()).toEqual(dockerAfterRestart);
      expect(dockerAfterRestart.filter((l) => l.startsWith('-A FORWARD')).length).toBeGreaterThan(2);
    } finally {
      watch.signal('SIGCONT');
    }
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
  });

  it('SIGTERM: watch exits 0', async () => {
    watch.signal('SIGTERM');
    const exit = await Promise.race([
      watch.exited,
      new Promise((r) => setTimeout(() => r('still running'), 3_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
