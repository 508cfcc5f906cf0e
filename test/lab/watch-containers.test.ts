import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectContainer, labGate, probeTcp, runContainer } from './helpers/index.js';
import { createSeedLab, type SeedLab } from './seed-scenario.js';
import {
  chainRules,
  containersPolicy,
  pollUntil,
  startWatch,
  type WatchLine,
  type WatchProcess,
} from './watch-process.js';

const gate = await labGate();

const restoredLine = (l: WatchLine) => l.msg.startsWith('restored the policy');
const found = (l: WatchLine) => (Array.isArray(l.found) ? (l.found as string[]) : []);

/**
 * Container-aware rules kept by watch: `web` (published 8000:80) is open to host 2 only; `api`
 * (not running at first) is open to host 3 only; every other published port is refused
 * (deny_unlisted_published defaults to true with `containers:`). Drift checks are a minute apart, so
 * every reconcile after the first is caused by a Docker event.
 */
describe.skipIf(gate.skip)('watch keeps container-aware rules through container changes', () => {
  let s: SeedLab;
  let policy: string;
  let watch: WatchProcess;

  // status in watch's own state directory: it first settles a repair a killed watch left half done
  // (under the lock), so "whole" is never judged in the middle of that.
  const whole = async () =>
    (await s.dockwall(['status', '-f', policy, '--state-dir', s.stateDir])).code === 0;
  const tcp = (from: 'host2' | 'host3', port: number) => probeTcp(s.lab, s[from], s.docker.address, port);

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    policy = s.file(
      'containers.yaml',
      containersPolicy([
        { name: 'web-from-host2', container: 'web', source: s.host2.address },
        { name: 'api-from-host3', container: 'api', source: s.host3.address },
      ]),
    );
    // Periodic checks a minute apart: every change below must come from following Docker's events.
    watch = startWatch({
      lab: s.lab,
      host: s.docker,
      dockerd: s.dockerd,
      policy,
      stateDir: s.stateDir,
      intervalMs: 60_000,
      extraArgs: ['--full-interval', '60000'],
    });
    await watch.waitForLine(restoredLine, { timeoutMs: 20_000 });
  });
  afterAll(async () => {
    if (watch?.running()) watch.signal('SIGTERM');
    await s?.lab.destroy();
  });

  it("web's published port: host 2 open, host 3 refused; the rule matches the original port, not the address", async () => {
    expect(await whole(), watch.dump()).toBe(true);
    expect(await tcp('host2', 8000)).toBe('open');
    expect(await tcp('host3', 8000)).toBe('refused');
    const rules = await chainRules(s.lab, s.docker, 'DOCKWALL-CONTAINERS');
    const web = rules.find((r) => r.includes('dockwall:containers/web-from-host2'));
    expect(web).toMatch(/-s 192\.168\.122\.193\/32 .*--ctorigdstport 8000/);
    expect(rules.some((r) => r.includes('containers/api-from-host3'))).toBe(false);
    expect(rules.at(-1)).toMatch(/--ctstate DNAT .*dockwall:containers\/deny-unlisted.* -j REJECT/);
  });

  it('web recreated with another address: host 2 still reaches it and host 3 is still refused, with no manual step', async () => {
    const before = await inspectContainer(s.dockerd, 'web');
    let from = watch.lines.length;
    await s.dockerd.dockerChecked(['rm', '-f', 'web']);
    // watch follows the removal: web's rule goes (its port is no longer published).
    const removed = await watch.waitForLine((l) => restoredLine(l) && l.trigger === 'docker-event', {
      from,
      timeoutMs: 5_000,
    });
    expect(found(removed)).toContain(
      'delete-rule ipv4 filter DOCKWALL-CONTAINERS (containers/web-from-host2)',
    );

    // Another container first, so web cannot get its old address back.
    await runContainer(s.dockerd, { name: 'filler', cmd: ['sleep', '100000'] });
    from = watch.lines.length;
    await runContainer(s.dockerd, { name: 'web', publish: ['8000:80'], extraArgs: ['--restart', 'always'] });
    const after = await inspectContainer(s.dockerd, 'web');
    expect(after.ip).not.toBe(before.ip);
    expect(after.id).not.toBe(before.id);

    const back = await watch.waitForLine(
      (l) => restoredLine(l) && found(l).some((f) => f.includes('containers/web-from-host2')),
      {
        from,
        timeoutMs: 5_000,
      },
    );
    expect(back.trigger).toBe('docker-event');
    await pollUntil('host 2 reaches the new web', async () => (await tcp('host2', 8000)) === 'open', {
      timeoutMs: 3_000,
      everyMs: 100,
    });
    expect(await tcp('host3', 8000)).toBe('refused');
    expect(await whole()).toBe(true);
  });

  it('a rule for a container that is not running yet takes effect when it starts; other published ports stay refused', async () => {
    await runContainer(s.dockerd, { name: 'other', publish: ['8002:80'] });
    const from = watch.lines.length;
    await runContainer(s.dockerd, { name: 'api', publish: ['8001:80'] });
    const line = await watch.waitForLine(
      (l) => restoredLine(l) && found(l).some((f) => f.includes('containers/api-from-host3')),
      {
        from,
        timeoutMs: 5_000,
      },
    );
    expect(line.trigger).toBe('docker-event');
    await pollUntil('host 3 reaches api', async () => (await tcp('host3', 8001)) === 'open', {
      timeoutMs: 3_000,
      everyMs: 100,
    });
    expect(await tcp('host2', 8001)).toBe('refused');
    // A published port no entry names is refused to everyone.
    expect(await tcp('host2', 8002)).toBe('refused');
    expect(await tcp('host3', 8002)).toBe('refused');
    // web is unchanged.
    expect(await tcp('host2', 8000)).toBe('open');
    expect(await tcp('host3', 8000)).toBe('refused');
    expect(await whole()).toBe(true);
    expect(watch.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
