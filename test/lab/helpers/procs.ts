import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** Reading /proc: which processes exist, their parents, command lines and network namespaces. */

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process state letter from /proc/PID/stat (`Z` for a zombie). */
  state: string;
  /** Start time in clock ticks since boot: with the pid, identifies one process. */
  startTime: string;
  /** Arguments joined with spaces. */
  cmdline: string;
  /** Inode of the network namespace (`net:[N]`), when readable. */
  netns?: number;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0] ?? '?';
    const ppid = Number(rest[1]);
    const startTime = rest[19] ?? '';
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      // Exited meanwhile, or a kernel thread.
    }
    const info: ProcInfo = { pid, ppid, state, startTime, cmdline };
    try {
      const link = readlinkSync(`/proc/${pid}/ns/net`);
      const m = /^net:\[(\d+)\]$/.exec(link);
      if (m?.[1]) info.netns = Number(m[1]);
    } catch {
      // Not ours to read, or gone.
    }
    return info;
  } catch {
    return undefined;
  }
}

export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** A live (not zombie) process with this pid, and the same start time when one is given. */
export function isAlive(pid: number, startTime?: string): boolean {
  const info = readProc(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  return startTime === undefined || info.startTime === startTime;
}

/** Inode of a named network namespace (/run/netns/NAME), or undefined when it does not exist. */
export function netnsInode(name: string): number | undefined {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** The given processes and everything they started, transitively. */
export function withDescendants(roots: Iterable<number>, procs: ProcInfo[] = listProcs()): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return seen;
}

/** This process and its ancestors: never to be killed by the lab. */
export function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    const info = readProc(pid);
    if (!info) break;
    pid = info.ppid;
  }
  out.add(1);
  return out;
}

/** Sleeps without yielding to the event loop (for cleanup inside a process 'exit' handler). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Sends SIGKILL to the processes and waits (up to `waitMs`) until none is alive. Returns survivors. */
export function killAllSync(pids: Iterable<number>, waitMs = 5_000): number[] {
  const targets = [...pids];
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + waitMs;
  let alive = targets.filter((p) => isAlive(p));
  while (alive.length > 0 && Date.now() < deadline) {
    sleepSync(25);
    alive = alive.filter((p) => isAlive(p));
  }
  return alive;
}

/**
 * Waits until a background helper prints `ready` on stdout (10 s at most), then lets it run on
 * unwatched: its pipes are closed and it no longer keeps the test process alive.
 */
export async function untilReady(child: ChildProcess, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 10 s`)), 10_000);
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${err.trim()}`));
    });
  });
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
}
