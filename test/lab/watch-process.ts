import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { commandEnv } from '../../src/host/runner.js';
import { DOCKWALL_BUNDLE, type Dockerd, type Lab, type LabHost } from './helpers/index.js';

/**
 * `dockwall watch` as a background process inside a lab host's namespace, with its JSON log lines
 * collected as they come. `ip netns exec` and `env` exec in place, so the spawned pid is node's:
 * signals reach watch itself.
 */

export interface WatchLine {
  time?: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface WatchExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WatchProcess {
  readonly pid: number;
  /** Every stdout line so far (non-JSON lines have level `raw`). */
  readonly lines: WatchLine[];
  stderr(): string;
  /** The first line at index `from` or later that matches; rejects after `timeoutMs`. */
  waitForLine(match: (l: WatchLine) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<WatchLine>;
  signal(sig: NodeJS.Signals): void;
  running(): boolean;
  readonly exited: Promise<WatchExit>;
  /** The log so far, for failure messages. */
  dump(): string;
}

export interface WatchStart {
  lab: Lab;
  host: LabHost;
  dockerd: Dockerd;
  policy: string;
  stateDir: string;
  /** Milliseconds between cheap drift checks (default 500). */
  intervalMs?: number;
  extraArgs?: string[];
}

export function startWatch(o: WatchStart): WatchProcess {
  const argv = [
    'ip',
    'netns',
    'exec',
    o.host.netns,
    'env',
    `DOCKER_HOST=unix://${o.dockerd.socketPath}`,
    'NO_COLOR=1',
    process.execPath,
    DOCKWALL_BUNDLE,
    'watch',
    '-f',
    o.policy,
    '--log-format',
    'json',
    '--interval',
    String(o.intervalMs ?? 500),
    '--state-dir',
    o.stateDir,
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: commandEnv() });
  if (!child.pid) throw new Error('could not start dockwall watch');
  o.lab.trackPid(child.pid);
  const lines: WatchLine[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: WatchLine;
    try {
      line = JSON.parse(text) as WatchLine;
    } catch {
      line = { level: 'raw', msg: text };
    }
    lines.push(line);
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let alive = true;
  const exited = new Promise<WatchExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  const dump = () => `watch log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`;

  return {
    pid: child.pid,
    lines,
    stderr: () => stderr,
    signal: (sig) => child.kill(sig),
    running: () => alive,
    exited,
    dump,
    waitForLine(match, opts = {}) {
      const from = opts.from ?? 0;
      const timeoutMs = opts.timeoutMs ?? 10_000;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find(match);
          if (found) {
            done();
            resolve(found);
          } else if (!alive) {
            done();
            reject(new Error(`watch exited before the expected line\n${dump()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching watch line within ${timeoutMs} ms\n${dump()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns true; returns the milliseconds it took, or throws. */
export async function pollUntil(
  what: string,
  fn: () => Promise<boolean>,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<number> {
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 3_000);
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${opts.timeoutMs ?? 3_000} ms`);
    await sleep(opts.everyMs ?? 50);
  }
}

/** `dockwall:NAME` tags per chain in an iptables-save dump: `CHAIN NAME` → how many rules carry it. */
export function tagCounts(save: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of save.split('\n')) {
    const m = /^-A (\S+) .*--comment "?dockwall:([^"\s]+)"?/.exec(line);
    if (!m) continue;
    const key = `${m[1]} ${m[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The rules of one chain as `iptables -S CHAIN` prints them (without the -N/-P line). */
export async function chainRules(lab: Lab, host: LabHost, chain: string): Promise<string[]> {
  const r = await lab.exec(host, ['iptables', '-S', chain]);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
}

/**
 * The seed's native policy plus a FORWARD rule of its own at the top of FORWARD: a dockerd restart
 * moves Docker's FORWARD jumps above it, so the policy is only whole again once dockwall moves it back.
 */
export function seedWatchPolicy(native: string): string {
  const anchor = 'ipv4:\n  filter:\n';
  if (!native.includes(anchor)) throw new Error('the native example no longer has an ipv4 filter section');
  return native.replace(
    anchor,
    `${anchor}    FORWARD:\n      rules:\n        - forward_established: -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n`,
  );
}

/** Child processes of `pid` with their command lines (read from /proc, every thread's children). */
export function childCommands(pid: number): string[] {
  const out: string[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) {
      try {
        out.push(readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').join(' ').trim());
      } catch {
        // Exited meanwhile.
      }
    }
  }
  return out;
}
