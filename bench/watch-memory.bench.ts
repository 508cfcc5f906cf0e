import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WATCH_ENVIRONMENT, WATCH_NODE_FLAGS } from '../src/export/systemd-units.js';
import { labAvailable, REPO_ROOT, runContainer } from '../test/lab/helpers/index.js';
import { createSeedLab, repoText } from '../test/lab/seed-scenario.js';
import { seedWatchPolicy, startWatch, type WatchProcess } from '../test/lab/watch-process.js';
import type { Row } from './timing.js';
import { eventRepairRows, idleRows } from './watch-idle.js';

/**
 * `npm run bench -- watch-memory`: the resident memory of `dockwall watch`, several builds and ways of
 * starting it side by side in one lab (20 containers), idle for the same `BENCH_WATCH_IDLE_S` seconds
 * (600 by default: issue 14's 10 minutes), so that a shared machine's load weighs on all alike. Then,
 * one at a time, 10 rules deleted by hand and put back (as in the `watch` section).
 *
 * Each is started as the systemd unit of `install-service` runs it (node's flags and the malloc
 * settings, `node FLAGS bin/dockwall.js watch` with its code cache in the unit's cache directory; the
 * `BENCH_WATCH_BASE_DIR` build's unit ran the bundle alone: `node FLAGS dist/dockwall.cjs watch`) and as by hand (`node bin/dockwall.js watch`, its V8
 * code cache written by a first start). `BENCH_WATCH_BASE_DIR`: another checkout, built (e.g. the
 * branch point), measured the same way with `BENCH_WATCH_BASE_FLAGS` (default: the node flags its unit
 * had, `--max-semi-space-size=1`).
 */

const IDLE_S = Number(process.env.BENCH_WATCH_IDLE_S ?? 600);
const CONTAINERS = 20;
const ROUNDS = 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Build {
  label: string;
  script: string;
  nodeArgs: string[];
  env: Record<string, string>;
  /** Started once before the measurement, for its code cache. */
  warm: boolean;
}

/** Resident (RSS), proportional (PSS), anonymous and file-backed memory, from smaps_rollup. */
function smapsMb(pid: number): { rss: number; pss: number; anon: number; file: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? NaN);
  const mb = (x: number) => x / 1024;
  return {
    rss: mb(kb('Rss')),
    pss: mb(kb('Pss')),
    anon: mb(kb('Anonymous')),
    file: mb(kb('Rss') - kb('Anonymous')),
  };
}

function builds(): Build[] {
  const out: Build[] = [];
  const add = (who: string, dir: string, flags: string[], unitCache: boolean) => {
    // This build's unit runs the launcher install-service names, with the cache directory it gives it.
    out.push({
      label: `${who}, as the systemd unit runs it`,
      script: join(dir, unitCache ? 'bin/dockwall.js' : 'dist/dockwall.cjs'),
      nodeArgs: flags,
      env: unitCache
        ? { ...WATCH_ENVIRONMENT, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'dockwall-bench-unit-cache-')) }
        : { ...WATCH_ENVIRONMENT },
      warm: unitCache,
    });
    out.push({
      label: `${who}, started by hand (bin/dockwall.js)`,
      script: join(dir, 'bin', 'dockwall.js'),
      nodeArgs: [],
      env: {},
      warm: true,
    });
  };
  const base = process.env.BENCH_WATCH_BASE_DIR;
  if (base)
    add(
      'before',
      base,
      (process.env.BENCH_WATCH_BASE_FLAGS ?? '--max-semi-space-size=1').split(/\s+/),
      false,
    );
  add(base ? 'after' : 'this build', REPO_ROOT, [...WATCH_NODE_FLAGS], true);
  // `BENCH_WATCH_EXTRA_BUNDLE`: one more bundle (a variant of this build), run as this build's unit.
  const extra = process.env.BENCH_WATCH_EXTRA_BUNDLE;
  if (extra)
    out.push({
      label: `${extra}, as the systemd unit runs it`,
      script: extra,
      nodeArgs: [...WATCH_NODE_FLAGS],
      env: { ...WATCH_ENVIRONMENT },
      warm: false,
    });
  return out;
}

export async function watchMemoryBench(): Promise<Row[]> {
  const avail = await labAvailable();
  if (!avail.ok) return [{ what: 'watch memory', value: 'skipped', note: avail.reason }];
  const all = builds();
  const s = await createSeedLab();
  try {
    const extra = Array.from({ length: CONTAINERS - 2 }, (_, i) => `c${String(i + 3).padStart(2, '0')}`);
    for (const name of extra) await runContainer(s.dockerd, { name, cmd: ['sleep', '100000'] });
    const entries = ['web', 'client', ...extra].map(
      (n) => `  - name: ${n}\n    container: ${n}\n    ports: [80]\n    sources: [192.168.122.193]`,
    );
    const policy = s.file(
      'watch-containers.yaml',
      `${seedWatchPolicy(repoText('examples/firewalling-docker.yaml'))}\ncontainers:\n${entries.join('\n')}\n`,
    );
    const start = (b: Build, i: number) =>
      startWatch({
        lab: s.lab,
        host: s.docker,
        dockerd: s.dockerd,
        policy,
        // A state directory each: they run side by side.
        stateDir: `${s.stateDir}-${i}`,
        intervalMs: 'default',
        bundle: b.script,
        nodeArgs: b.nodeArgs,
        env: b.env,
      });
    const started = async (b: Build, i: number) => {
      const w = start(b, i);
      await w.waitForLine((l) => l.msg === 'following Docker events', { timeoutMs: 60_000 });
      return w;
    };
    const stop = async (w: WatchProcess) => {
      w.signal('SIGTERM');
      await w.exited;
    };
    // The first puts the policy in place; a first start of each hand-started one writes its code cache.
    for (const [i, b] of all.entries()) {
      if (i > 0 && !b.warm) continue;
      const w = await started(b, i);
      await sleep(2_000);
      await stop(w);
    }
    const running: WatchProcess[] = [];
    for (const [i, b] of all.entries()) running.push(await started(b, i));
    await sleep(5_000);
    const idle = await Promise.all(running.map((w) => idleRows(w.pid, IDLE_S, CONTAINERS)));
    const mem = running.map((w) => smapsMb(w.pid));
    for (const w of running) await stop(w);

    const rows: Row[] = [];
    for (const [i, b] of all.entries()) {
      const w = await started(b, i);
      await sleep(3_000);
      const repair = await eventRepairRows(s.lab, s.docker, 'DOCKWALL-FILTER', 'filter/web', ROUNDS);
      await sleep(2_000);
      const after = smapsMb(w.pid);
      await stop(w);
      const m = mem[i]!;
      const f = (x: number) => `${x.toFixed(1)} MB`;
      rows.push(
        ...idle[i]!.map((r) => ({ ...r, what: `${r.what} — ${b.label}` })),
        {
          what: `… at the end of the idle time: PSS, anonymous, file-backed — ${b.label}`,
          value: `${f(m.pss)}, ${f(m.anon)}, ${f(m.file)}`,
          note: `RSS ${f(m.rss)}; ${all.length} watches side by side (they share node's file pages: PSS)`,
        },
        ...repair.map((r) => ({ ...r, what: `${r.what} — ${b.label}` })),
        {
          what: `… resident memory 2 s after those repairs — ${b.label}`,
          value: f(after.rss),
          note: `PSS ${f(after.pss)}, anonymous ${f(after.anon)}, file-backed ${f(after.file)}`,
        },
      );
    }
    return rows;
  } finally {
    await s.lab.destroy();
    for (const b of all)
      if (b.env.XDG_CACHE_HOME) rmSync(b.env.XDG_CACHE_HOME, { recursive: true, force: true });
  }
}
