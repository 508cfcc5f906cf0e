import { readFileSync } from 'node:fs';

/**
 * The processes dockwall started, told apart from every other process even when the kernel has
 * given one of their pids to another process since. `nft monitor` names who committed a change
 * only by pid (`# new generation 9 by process 20100 (iptables)`), and a pid is free again once its
 * process has ended: a process started later with the same pid is not dockwall's. So each pid is
 * kept with its process's start time (field 22 of /proc/PID/stat, in clock ticks since boot: it
 * differs between two processes that had the same pid), and when a change event names it:
 * - a process with that pid runs (or waits to be reaped): dockwall's if its start time is the same;
 * - none does: dockwall's while its own ended less than `endedGraceMs` ago (its events arrive
 *   milliseconds after it commits, and it commits before it ends), or, where its end was not seen,
 *   while it was started less than `keepMs` ago.
 */

export interface OwnProcessOptions {
  /** A process's start time (default: from /proc/PID/stat); undefined when there is no such process. */
  startTimeOf?: (pid: number) => string | undefined;
  now?: () => number;
  /** How long a pid counts as dockwall's after its process ended (5 s). */
  endedGraceMs?: number;
  /** How long a pid whose end was not seen counts as dockwall's after it was started (60 s). */
  keepMs?: number;
}

interface Known {
  start: string | undefined;
  startedAt: number;
  endedAt?: number;
}

export class OwnProcesses {
  private readonly known = new Map<number, Known>();
  private readonly startTimeOf: (pid: number) => string | undefined;
  private readonly now: () => number;
  private readonly endedGraceMs: number;
  private readonly keepMs: number;

  constructor(opts: OwnProcessOptions = {}) {
    this.startTimeOf = opts.startTimeOf ?? procStartTime;
    this.now = opts.now ?? Date.now;
    this.endedGraceMs = opts.endedGraceMs ?? 5_000;
    this.keepMs = opts.keepMs ?? 60_000;
  }

  /** A process dockwall just started (it exists: it has not been reaped yet). */
  add(pid: number, child?: { once(event: 'exit', listener: () => void): unknown }): void {
    const now = this.now();
    this.forget(now);
    const entry: Known = { start: this.startTimeOf(pid), startedAt: now };
    this.known.set(pid, entry);
    child?.once('exit', () => this.ended(pid, entry));
  }

  /** The process started as `pid` ended (its pid may be given to another process from now on). */
  ended(pid: number, entry = this.known.get(pid)): void {
    if (entry && this.known.get(pid) === entry) entry.endedAt = this.now();
  }

  /** Whether the process that now has, or last had, this pid is one dockwall started. */
  has(pid: number): boolean {
    const entry = this.known.get(pid);
    if (!entry) return false;
    const now = this.now();
    const start = this.startTimeOf(pid);
    if (start !== undefined && entry.start !== undefined) return start === entry.start;
    if (entry.endedAt !== undefined) return now - entry.endedAt <= this.endedGraceMs;
    return now - entry.startedAt <= this.keepMs;
  }

  private forget(now: number): void {
    for (const [pid, e] of this.known) {
      const ended = e.endedAt !== undefined && now - e.endedAt > this.endedGraceMs;
      if (ended || now - e.startedAt > this.keepMs) this.known.delete(pid);
    }
  }
}

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
export function procStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields 3… follow the last ')': state is field 3, so start time (22) is the 20th of them.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}
