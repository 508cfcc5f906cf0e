import { compileDesired } from '../src/compile/index.js';
import { WATCH_ENVIRONMENT, WATCH_NODE_FLAGS } from '../src/export/systemd-units.js';
import { createRunner, detectVariant, readSets, readTable } from '../src/host/index.js';
import type { HostState } from '../src/model/index.js';
import { parseIpsetSave, parseIptablesSave } from '../src/parse/index.js';
import { planChanges } from '../src/plan/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { labAvailable, ping, runContainer } from '../test/lab/helpers/index.js';
import { createSeedLab, repoText } from '../test/lab/seed-scenario.js';
import { seedWatchPolicy, startWatch, type WatchLine } from '../test/lab/watch-process.js';
import { fmt, type Row } from './timing.js';
import { eventRepairRows, idleRows } from './watch-idle.js';

const RESTARTS = 10;
/** Containers running while watch idles (the seed's two and these). */
const CONTAINERS = 20;
/**
 * Seconds watch is left idle: 60 by default, `BENCH_WATCH_IDLE_S=600` for the 10 minutes of issue 14
 * (with `BENCH_WATCH_PARTS=idle`, the polling-only run and the dockerd restarts are left out).
 */
const IDLE_S = Number(process.env.BENCH_WATCH_IDLE_S ?? 60);
const EVENT_ROUNDS = 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The seed's watch policy plus a `containers:` entry opening port 80 of each container to host 2. */
function withContainers(policy: string, names: string[]): string {
  const entries = names.map(
    (n) => `  - name: ${n}\n    container: ${n}\n    ports: [80]\n    sources: [192.168.122.193]`,
  );
  return `${policy}\ncontainers:\n${entries.join('\n')}\n`;
}

/**
 * First, with 20 containers and `dockwall watch` (its default intervals) keeping the seed's policy
 * plus a `containers:` entry for each: what watch costs when nothing happens, and how fast it puts
 * back a rule deleted by hand (from the kernel's change events).
 *
 * Then, in a lab with a real dockerd and `dockwall watch` (default intervals) keeping the seed's policy
 * (plus a FORWARD rule a dockerd restart pushes below Docker's jumps): restarts dockerd 10 times and
 * measures, for each, the time from dockerd answering `/_ping` to the policy being whole again
 * (the planner finds nothing to change in a fresh `iptables-save`, polled every 20 ms).
 */
export async function watchBench(): Promise<Row[]> {
  const avail = await labAvailable();
  if (!avail.ok) return [{ what: 'dockerd restart → policy whole', value: 'skipped', note: avail.reason }];

  const s = await createSeedLab();
  try {
    const extra = Array.from({ length: CONTAINERS - 2 }, (_, i) => `c${String(i + 3).padStart(2, '0')}`);
    for (const name of extra) await runContainer(s.dockerd, { name, cmd: ['sleep', '100000'] });
    const idlePolicy = s.file(
      'watch-containers.yaml',
      withContainers(seedWatchPolicy(repoText('examples/firewalling-docker.yaml')), [
        'web',
        'client',
        ...extra,
      ]),
    );
    // BENCH_WATCH_BASE names another build's dist/dockwall.cjs (e.g. the branch point's): its idle
    // cost and repairs are measured first, in the same lab and run, for a before/after comparison.
    // Last, this build as the unit of `dockwall install-service` runs it (node flags, malloc settings).
    const builds: Array<{ label: string; bundle?: string; unit?: boolean }> = [
      ...(process.env.BENCH_WATCH_BASE ? [{ label: 'before', bundle: process.env.BENCH_WATCH_BASE }] : []),
      { label: process.env.BENCH_WATCH_BASE ? 'after' : '' },
      { label: 'as the systemd unit runs it', unit: true },
    ];
    const idleAndEvents: Row[] = [];
    for (const b of builds) {
      const idle = startWatch({
        lab: s.lab,
        host: s.docker,
        dockerd: s.dockerd,
        policy: idlePolicy,
        stateDir: s.stateDir,
        intervalMs: 'default',
        ...(b.bundle ? { bundle: b.bundle } : {}),
        ...(b.unit ? { nodeArgs: [...WATCH_NODE_FLAGS], env: { ...WATCH_ENVIRONMENT } } : {}),
      });
      // The first watch puts the policy in place; the next ones find it there.
      if (b === builds[0])
        await idle.waitForLine((l) => l.msg.startsWith('restored the policy'), { timeoutMs: 60_000 });
      await idle.waitForLine((l) => l.msg === 'following Docker events', { timeoutMs: 20_000 });
      // Let the start settle (its garbage collected) before the idle minutes are counted.
      await sleep(5_000);
      const rows = [
        ...(await idleRows(idle.pid, IDLE_S, CONTAINERS)),
        ...(await eventRepairRows(s.lab, s.docker, 'DOCKWALL-FILTER', 'filter/web', EVENT_ROUNDS)),
      ];
      for (const r of rows) idleAndEvents.push(b.label ? { ...r, what: `${r.what} — ${b.label}` } : r);
      idle.signal('SIGTERM');
      await idle.exited;
    }
    // `BENCH_WATCH_PARTS=idle`: only the rows above (for the 10-minute idle run).
    if (process.env.BENCH_WATCH_PARTS === 'idle') return idleAndEvents;
    // The same, polling only (as on iptables-legacy): a check every second, whole tables every 30 s.
    const polling = startWatch({
      lab: s.lab,
      host: s.docker,
      dockerd: s.dockerd,
      policy: idlePolicy,
      stateDir: s.stateDir,
      intervalMs: 'default',
      extraArgs: ['--no-nft-events'],
    });
    await polling.waitForLine((l) => l.msg === 'following Docker events', { timeoutMs: 20_000 });
    await sleep(5_000);
    for (const r of await idleRows(polling.pid, IDLE_S, CONTAINERS))
      idleAndEvents.push({ ...r, what: `${r.what} — polling only (\`--no-nft-events\`, as on legacy)` });
    polling.signal('SIGTERM');
    await polling.exited;

    const text = seedWatchPolicy(repoText('examples/firewalling-docker.yaml'));
    const policyPath = s.file('watch.yaml', text);
    const loaded = loadPolicy(text, policyPath);
    if (!loaded.value) throw new Error('bench: the watch policy does not load');
    const desired = compileDesired(loaded.value);
    const runner = createRunner({ wrap: ['ip', 'netns', 'exec', s.docker.netns], timeoutMs: 30_000 });
    const v = await detectVariant(runner);
    const variant = v.docker !== 'none' ? v.docker : v.command;
    let sets: HostState['sets']['sets'] = [];
    const isWhole = async () => {
      const res = parseIptablesSave(await readTable(runner, 'ipv4', 'filter', { variant }), {
        file: 'iptables-save',
        family: 'ipv4',
      });
      const state: HostState = { rulesets: { ipv4: { ...res.value!, variant } }, sets: { sets } };
      return planChanges(state, desired, { families: desired.families }).operations.length === 0;
    };

    const watch = startWatch({
      lab: s.lab,
      host: s.docker,
      dockerd: s.dockerd,
      policy: policyPath,
      stateDir: s.stateDir,
      intervalMs: 'default',
    });
    await watch.waitForLine((l) => l.msg.startsWith('restored the policy'), { timeoutMs: 20_000 });
    for (const r of await readSets(
      runner,
      desired.sets.map((x) => x.name),
    )) {
      if (r.present) sets.push(...(parseIpsetSave(r.text, { file: 'ipset save' }).value?.sets ?? []));
    }
    sets = [...sets];
    if (!(await isWhole()))
      throw new Error(`bench: the policy is not whole after watch started\n${watch.dump()}`);

    const sinceBreak: number[] = [];
    const sincePing: number[] = [];
    const breakToPing: number[] = [];
    const fixes: WatchLine[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const from = watch.lines.length;
      // Samples of "is the policy whole?" every 20 ms for the whole restart, next to the /_ping times.
      const samples: Array<{ t: number; whole: boolean }> = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const whole = await isWhole();
          samples.push({ t: performance.now(), whole });
          await sleep(20);
        }
      })();
      const restarting = s.dockerd.restart();
      // Down first (the graceful stop), then up: the moment it answers again is the reference.
      while (await ping(s.dockerd.socketPath, 500)) await sleep(5);
      while (!(await ping(s.dockerd.socketPath, 500))) await sleep(5);
      const tPing = performance.now();
      await restarting;
      const deadline = performance.now() + 30_000;
      const settled = () => {
        const broke = samples.findIndex((x) => !x.whole);
        const last = samples.at(-1);
        // No break seen at all for 3 s after the ping: the policy was repaired between two samples.
        return !!last?.whole && last.t > tPing && (broke >= 0 || last.t > tPing + 3_000);
      };
      while (!settled()) {
        if (performance.now() > deadline)
          throw new Error(`bench: policy not whole 30 s after restart ${i + 1}\n${watch.dump()}`);
        await sleep(20);
      }
      sampling = false;
      await sampler;
      const broke = samples.findIndex((x) => !x.whole);
      if (broke >= 0) {
        const wholeAt = samples.slice(broke).find((x) => x.whole)!.t;
        sinceBreak.push(wholeAt - samples[broke]!.t);
        breakToPing.push(tPing - samples[broke]!.t);
        // Whole again after the last break (Docker may break it more than once while it starts).
        const lastBreak = samples.findLastIndex((x) => !x.whole);
        sincePing.push(Math.max(0, samples[lastBreak + 1]!.t - tPing));
      } else {
        sincePing.push(0);
      }
      // Let the containers come back and watch settle before the next restart.
      await sleep(1_500);
      const fix = watch.lines.slice(from).find((l) => l.msg.startsWith('restored the policy'));
      if (fix) fixes.push(fix);
    }
    watch.signal('SIGTERM');
    await watch.exited;

    const byTrigger = new Map<string, number>();
    for (const f of fixes) byTrigger.set(String(f.trigger), (byTrigger.get(String(f.trigger)) ?? 0) + 1);
    const durations = fixes.map((f) => Number(f.durationMs));
    const note = (xs: number[]) =>
      `max ${fmt(Math.max(...xs))}; each: ${xs.map((t) => Math.round(t)).join(', ')} ms`;
    return [
      ...idleAndEvents,
      {
        what: `/_ping answered → policy whole (median of ${RESTARTS})`,
        value: fmt(median(sincePing)),
        note: `target ≤ 100 ms; 0 when whole before the ping; ${note(sincePing)}`,
      },
      {
        what: 'policy seen broken → whole again (median)',
        value: fmt(median(sinceBreak)),
        note: note(sinceBreak),
      },
      {
        what: 'dockerd rebuilt its FORWARD jumps → answered /_ping (median)',
        value: fmt(median(breakToPing)),
        note: 'dockerd 20.10 sets up its rules, then restarts its containers, then serves the API',
      },
      {
        what: "watch's repairing reconcile (its own durationMs, median)",
        value: fmt(median(durations)),
        note: `max ${fmt(Math.max(...durations))}; triggered by ${[...byTrigger].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
      },
    ];
  } finally {
    await s.lab.destroy();
  }
}
