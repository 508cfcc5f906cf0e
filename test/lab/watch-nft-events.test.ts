import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCH_ENVIRONMENT, WATCH_NODE_FLAGS } from '../../src/export/systemd-units.js';
import { labGate, probeTcp } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';
import {
  chainRules,
  pollUntil,
  seedWatchPolicy,
  startWatch,
  tagCounts,
  type WatchLine,
  type WatchProcess,
} from './watch-process.js';

const gate = await labGate();

const restoredLine = (l: WatchLine) => l.msg.startsWith('restored the policy');
const found = (l: WatchLine) => (Array.isArray(l.found) ? (l.found as string[]) : []);
/** Longer than any test here: a repair seen in these tests came from a change event, never a check. */
const NO_POLL_MS = 600_000;
const METRICS_PORT = 9417;

/**
 * watch on iptables-nft follows the kernel's change events (`nft monitor`): a rule someone deletes
 * by hand is put back without waiting for a periodic check (the checks are set to 10 minutes here).
 * watch runs as the unit of `install-service` runs it: node in lite mode, the unit's malloc settings.
 */
describe.skipIf(gate.skip)('watch repairs drift from nf_tables change events', () => {
  let s: SeedLab;
  let policy: string;
  let watch: WatchProcess;
  let baseline: Map<string, number>;

  const ipt = (args: string[]) => s.lab.execChecked(s.docker, ['iptables', ...args]);
  const webRule = async () =>
    (await chainRules(s.lab, s.docker, 'DOCKWALL-FILTER')).find((l) => l.includes('dockwall:filter/web'));
  /** `dockwall_reconciles_total` from watch's metrics, read inside the namespace. */
  const reconciles = async () => {
    const script = `fetch('http://127.0.0.1:${METRICS_PORT}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const out = (await s.lab.execChecked(s.docker, [process.execPath, '-e', script])).stdout;
    return Number(/^dockwall_reconciles_total (\d+)$/m.exec(out)?.[1]);
  };

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    policy = s.file('watch.yaml', seedWatchPolicy(repoText('examples/firewalling-docker.yaml')));
    watch = startWatch({
      lab: s.lab,
      host: s.docker,
      dockerd: s.dockerd,
      policy,
      stateDir: s.stateDir,
      intervalMs: NO_POLL_MS,
      extraArgs: ['--full-interval', String(NO_POLL_MS), '--metrics', `127.0.0.1:${METRICS_PORT}`],
      nodeArgs: [...WATCH_NODE_FLAGS],
      env: { ...WATCH_ENVIRONMENT },
    });
    await watch.waitForLine(restoredLine, { timeoutMs: 20_000 });
    await watch.waitForLine((l) => l.msg === 'following nf_tables change events', { timeoutMs: 5_000 });
    baseline = tagCounts(await s.save());
  });
  afterAll(async () => {
    if (watch?.running()) watch.signal('SIGTERM');
    await s?.lab.destroy();
  });

  it('says it follows change events and that checks are the slow backstop', () => {
    const started = watch.lines.find((l) => l.msg.startsWith('watching'))!;
    expect(started.nftEvents).toBe(true);
    expect(started.interval).toBe(NO_POLL_MS);
    expect(baseline.get('DOCKWALL-FILTER filter/web')).toBe(1);
    // Nothing from node about its flags (lite mode announces that it turns WebAssembly off unless told).
    expect(watch.stderr()).toBe('');
  });

  it('a rule deleted by hand (`iptables -D`) is back from the change event, and host 2 reaches the web port again', async () => {
    const from = watch.lines.length;
    const rule = await webRule();
    expect(rule).toBeDefined();
    await ipt(
      rule!
        .replace(/^-A /, '-D ')
        .split(' ')
        .map((w) => w.replace(/^"|"$/g, '')),
    );
    const line = await watch.waitForLine(restoredLine, { from, timeoutMs: 5_000 });
    expect(line.trigger).toBe('nft-event');
    expect(found(line)).toEqual(
      expect.arrayContaining(['insert-rule ipv4 filter DOCKWALL-FILTER (filter/web)']),
    );
    expect(await webRule()).toBeDefined();
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(tagCounts(await s.save())).toEqual(baseline);
  });

  it("watch's own repair does not trigger another reconcile: one change by hand costs exactly one", async () => {
    const before = await reconciles();
    await ipt(['-F', 'DOCKWALL-FILTER']);
    await pollUntil('DOCKWALL-FILTER restored', async () => (await webRule()) !== undefined, {
      timeoutMs: 5_000,
      everyMs: 25,
    });
    // nft monitor shows the repair's own transaction too; were it taken for someone else's, it
    // would start a second reconcile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await reconciles()).toBe(before + 1);
  });

  it('nft monitor killed: watch starts it again, checks at once, and repairs from events afterwards', async () => {
    const following = watch.lines.find((l) => l.msg === 'following nf_tables change events')!;
    const monitorPid = Number(following.monitorPid);
    expect(monitorPid).toBeGreaterThan(0);
    let from = watch.lines.length;
    const before = await reconciles();
    process.kill(monitorPid, 'SIGKILL');
    const died = await watch.waitForLine((l) => l.msg.startsWith('nft monitor ended'), { from });
    expect(died.level).toBe('warn');
    await watch.waitForLine((l) => l.msg.startsWith('nft monitor started again'), { from });
    // The check made at once for the gap (nothing to repair), before the next change.
    await pollUntil('the check after the restart', async () => (await reconciles()) > before, {
      timeoutMs: 5_000,
    });

    from = watch.lines.length;
    await ipt(['-F', 'DOCKWALL-FILTER']);
    const line = await watch.waitForLine(restoredLine, { from, timeoutMs: 5_000 });
    expect(line.trigger).toBe('nft-event');
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(tagCounts(await s.save())).toEqual(baseline);
  });

  it('a change to a chain dockwall does not keep (Docker rule added by hand) starts no reconcile', async () => {
    const before = await reconciles();
    await ipt(['-A', 'DOCKER', '-s', '198.51.100.1', '-j', 'RETURN']);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await reconciles()).toBe(before);
    await ipt(['-D', 'DOCKER', '-s', '198.51.100.1', '-j', 'RETURN']);
  });

  it('watch killed with SIGKILL: its nft monitor ends with it, within a second', async () => {
    const started = watch.lines.filter((l) => /^(following nf_tables|nft monitor started again)/.test(l.msg));
    const monitorPid = Number(started.at(-1)!.monitorPid);
    expect(running(monitorPid), `nft monitor ${monitorPid}`).toBe(true);
    expect(readFileSync(`/proc/${monitorPid}/cmdline`, 'utf8').split('\0')).toEqual(['nft', 'monitor', '']);
    watch.signal('SIGKILL');
    await watch.exited;
    const ms = await pollUntil('nft monitor gone', async () => !running(monitorPid), {
      timeoutMs: 1_000,
      everyMs: 20,
    });
    expect(ms).toBeLessThanOrEqual(1_000);
  });
});

/** Whether a process runs (a zombie no longer does: it waits only to be reaped). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
