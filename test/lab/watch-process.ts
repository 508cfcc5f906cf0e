import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { commandEnv } from '../../src/host/runner.js';
import { DOCKWALL_BUNDLE, findBinary, type Dockerd, type Lab, type LabHost } from './helpers/index.js';

/**
 * `dockwall watch` as a background process inside a lab host's network namespace, with its JSON log
 * lines collected as they come. `nsenter` and `env` exec in place, so the spawned pid is node's:
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
  waitForLine(
    match: (l: WatchLine) => boolean,
    opts?: { from?: number; timeoutMs?: number },
  ): Promise<WatchLine>;
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
  /** Milliseconds between cheap drift checks (default 500; `'default'`: watch's own default). */
  intervalMs?: number | 'default';
  extraArgs?: string[];
  /** Environment variables for watch (e.g. a PATH that starts with {@link slowTools}' directory). */
  env?: Record<string, string>;
  /** The CLI file node runs (default: the one-file bundle of this checkout), e.g. another build to compare. */
  bundle?: string;
  /** Flags for node before the script (e.g. `--max-semi-space-size=1`). */
  nodeArgs?: string[];
}

export function startWatch(o: WatchStart): WatchProcess {
  // nsenter (like the lab's dockerd), not `ip netns exec`: the latter gives watch a mount namespace of
  // its own holding copies of the containers' network-namespace mounts, which keeps those namespaces
  // (and their veths on docker0) alive after dockerd removes them.
  const argv = [
    'nsenter',
    `--net=/run/netns/${o.host.netns}`,
    'env',
    `DOCKER_HOST=unix://${o.dockerd.socketPath}`,
    'NO_COLOR=1',
    ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
    process.execPath,
    ...(o.nodeArgs ?? []),
    o.bundle ?? DOCKWALL_BUNDLE,
    'watch',
    '-f',
    o.policy,
    '--log-format',
    'json',
    ...(o.intervalMs === 'default' ? [] : ['--interval', String(o.intervalMs ?? 500)]),
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

/** A native policy of `containers:` entries, each opening a container's port 80 to one source. */
export function containersPolicy(
  entries: Array<{ name: string; container: string; source: string }>,
): string {
  const lines = ['dockwall: 1', 'containers:'];
  for (const e of entries)
    lines.push(
      `  - name: ${e.name}`,
      `    container: ${e.container}`,
      '    ports: [80]',
      `    sources: [${e.source}]`,
    );
  return lines.join('\n') + '\n';
}

/** Child processes of `pid` with their command lines (read from /proc, every thread's children). */
export function childCommands(pid: number): string[] {
  const out: string[] = [];
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined; // Exited meanwhile.
    }
  };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const kids = (read(`/proc/${pid}/task/${t}/children`) ?? '').trim().split(/\s+/).filter(Boolean);
    for (const k of kids) {
      const cmd = read(`/proc/${k}/cmdline`);
      if (cmd !== undefined) out.push(cmd.split('\0').join(' ').trim());
    }
  }
  return out;
}

export interface SlowTools {
  /** PATH for watch: the wrappers' directory first. */
  path: string;
  /** While on, every wrapped tool waits `delayMs` before it runs, so a test can catch watch in it. */
  on(): void;
  off(): void;
}

/**
 * Wrappers for host tools that wait a moment before running the real tool, while a marker file
 * exists. A test can then see which tool watch is running and kill watch right there.
 */
export function slowTools(lab: Lab, tools: string[], delayMs = 300): SlowTools {
  const dir = join(lab.dir, 'slow-bin');
  const marker = join(lab.dir, 'slow-tools.on');
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const real = findBinary(tool);
    if (!real) throw new Error(`${tool} not found`);
    const script = `#!/bin/sh\n[ -e '${marker}' ] && sleep ${delayMs / 1000}\nexec '${real}' "$@"\n`;
    writeFileSync(join(dir, tool), script);
    chmodSync(join(dir, tool), 0o755);
  }
  return {
    path: `${dir}:${commandEnv().PATH ?? ''}`,
    on: () => writeFileSync(marker, ''),
    off: () => {
      if (existsSync(marker)) rmSync(marker);
    },
  };
}
