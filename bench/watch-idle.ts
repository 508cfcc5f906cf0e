import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Lab, LabHost } from '../test/lab/helpers/index.js';
import { fmt, type Row } from './timing.js';

/**
 * What `dockwall watch` costs while nothing happens (CPU and memory read from /proc), and how long
 * it takes to undo a change to its rules, seen from the kernel's own change events.
 */

const TICKS_PER_S = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU seconds of a process: its own, and of the children it waited for (iptables, ipset, nft). */
function cpuSeconds(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 of stat(5), counted from after the command name (field 3 is f[0]).
  const n = (i: number) => Number(f[i - 3]);
  return { own: (n(14) + n(15)) / TICKS_PER_S, children: (n(16) + n(17)) / TICKS_PER_S };
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** The pids of `pid`'s children whose command line matches. */
function childrenMatching(pid: number, re: RegExp): number[] {
  const out: number[] = [];
  for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
    if (!t) continue;
    try {
      if (re.test(readFileSync(`/proc/${t}/cmdline`, 'utf8').split('\0').join(' '))) out.push(Number(t));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * Watch (pid `pid`) left alone for `seconds`: CPU of watch with its finished children, and of its
 * `nft monitor`; resident memory at the end and at its peak.
 */
export async function idleRows(pid: number, seconds: number, containers: number): Promise<Row[]> {
  const monitor = childrenMatching(pid, /nft monitor/)[0];
  const cpu0 = cpuSeconds(pid);
  const mon0 = monitor ? cpuSeconds(monitor).own : 0;
  const t0 = performance.now();
  const rss: number[] = [];
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(5_000, end - performance.now()));
    rss.push(statusKb(pid, 'VmRSS'));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(pid);
  const mon1 = monitor ? cpuSeconds(monitor).own : 0;
  const own = cpu1.own - cpu0.own;
  const kids = cpu1.children - cpu0.children;
  const mon = mon1 - mon0;
  const pct = (x: number) => `${((100 * x) / wall).toFixed(3)}%`;
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  const monRss = monitor ? statusKb(monitor, 'VmRSS') : NaN;
  return [
    {
      what: `watch idle, ${containers} containers, ${Math.round(wall)} s: CPU (watch + the commands it ran + nft monitor)`,
      value: pct(own + kids + mon),
      note: `target ≤ 0.2%; watch ${pct(own)}, its commands ${pct(kids)}, nft monitor ${pct(mon)} (${(own + kids + mon).toFixed(2)} s of CPU)`,
    },
    {
      what: '… resident memory of watch (end / peak)',
      value: `${mb(rss.at(-1)!)} / ${mb(statusKb(pid, 'VmHWM'))}`,
      note: `target ≤ 50 MB; nft monitor ${mb(monRss)}; samples every 5 s: ${mb(Math.min(...rss))}–${mb(Math.max(...rss))}`,
    },
  ];
}

/**
 * A rule of dockwall's deleted by hand `rounds` times; each time, the time from the kernel's event of
 * the deletion to its event of the rule put back, both seen by one `nft monitor` of the bench's own.
 */
export async function eventRepairRows(
  lab: Lab,
  host: LabHost,
  chain: string,
  tag: string,
  rounds: number,
): Promise<Row[]> {
  const mon = spawn('ip', ['netns', 'exec', host.netns, 'nft', 'monitor'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const events: Array<{ t: number; line: string }> = [];
  createInterface({ input: mon.stdout }).on('line', (line) => events.push({ t: performance.now(), line }));
  await sleep(300);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const rules = (await lab.execChecked(host, ['iptables', '-S', chain])).stdout.split('\n');
      const rule = rules.find((l) => l.includes(`dockwall:${tag}`));
      if (!rule) throw new Error(`bench: no rule tagged ${tag} in ${chain}`);
      const from = events.length;
      const words = rule
        .replace(/^-A /, '-D ')
        .split(' ')
        .map((w) => w.replace(/^"|"$/g, ''));
      await lab.execChecked(host, ['iptables', ...words]);
      const deadline = performance.now() + 10_000;
      let deleted: number | undefined;
      let back: number | undefined;
      while (back === undefined && performance.now() < deadline) {
        for (let k = from; k < events.length; k++) {
          const l = events[k]!.line;
          if (deleted === undefined && l.startsWith(`delete rule ip filter ${chain} `))
            deleted = events[k]!.t;
          if (deleted !== undefined && /^(add|insert) rule ip filter /.test(l) && l.includes(chain))
            back = events[k]!.t;
        }
        if (back === undefined) await sleep(5);
      }
      if (deleted === undefined || back === undefined)
        throw new Error(`bench: ${tag} not put back within 10 s (round ${i + 1})`);
      times.push(back - deleted);
      await sleep(500);
    }
  } finally {
    mon.kill();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return [
    {
      what: `a rule deleted by hand → put back (kernel event to kernel event, median of ${rounds})`,
      value: fmt(sorted[Math.floor(sorted.length / 2)]!),
      note: `target ≤ 100 ms; min ${fmt(sorted[0]!)}, max ${fmt(sorted.at(-1)!)}; each: ${times.map((t) => Math.round(t)).join(', ')} ms`,
    },
  ];
}
