import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { runBatch, type BatchedRead } from './read-batch.js';

/**
 * The one place dockwall starts processes. Commands run by argument vector (never through a
 * shell), in the C locale, with a timeout that kills the whole process group.
 */

export interface RunOptions {
  /** Text written to the command's standard input (closed when absent). */
  stdin?: string;
  /** Overrides the runner's timeout for this command; 0 means no timeout. */
  timeoutMs?: number;
  /**
   * Descriptors the command inherits (as 3, 4, …): a lock passed on this way stays held until the
   * command ends, even if dockwall dies first.
   */
  inheritFds?: number[];
  /**
   * A read that changes nothing: it may run in one shell with the other such reads started in the
   * same turn of the event loop, forking this process once for all of them (see read-batch.ts).
   * Never for a command whose pid matters (`watch` tells its own changes by the pids it started).
   */
  batch?: boolean;
}

export interface RunResult {
  /**
   * Exit status. Shell conventions for what is not an exit: 127 command not found, 126 not
   * executable, 124 timed out, 128+N killed by signal N.
   */
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The command was killed because it ran past its timeout. */
  timedOut?: boolean;
  /** The signal that ended the command, when one did. */
  signal?: string;
}

export interface Runner {
  /** Words put before every command, e.g. `['ip', 'netns', 'exec', 'lab-host']`. */
  readonly wrap: readonly string[];
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Starts a command that keeps running (`nft monitor`) and hands over its output line by line;
   * absent where a runner cannot (test doubles).
   */
  follow?(argv: readonly string[], onLine: (line: string) => void): FollowedCommand;
  /**
   * Starts the reads batched so far (`batch`) now, not at the end of this turn of the event loop:
   * for a caller that starts reads and then works on this thread before it waits for them.
   */
  flushReads?(): void;
}

/** A command started by {@link Runner.follow}. */
export interface FollowedCommand {
  readonly pid: number | undefined;
  /** Ends the command (its whole process group). */
  stop(): void;
  /** How it ended, with the end of what it wrote to standard error. */
  readonly exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}

const spawnObservers = new Set<(pid: number, child: ChildProcess) => void>();

/**
 * Calls `fn` with the pid (and the process) of every command any runner of this process starts,
 * until the returned function is called: `watch` tells its own changes to the tables from everyone
 * else's by it.
 */
export function observeSpawns(fn: (pid: number, child: ChildProcess) => void): () => void {
  spawnObservers.add(fn);
  return () => spawnObservers.delete(fn);
}

function spawned(child: ChildProcess): void {
  if (child.pid !== undefined) for (const fn of spawnObservers) fn(child.pid, child);
}

export interface RunnerOptions {
  /** Default timeout per command (default 30 s); 0 means no timeout. */
  timeoutMs?: number;
  /** Prepended to every argument vector, so a whole run can target another namespace. */
  wrap?: string[];
  /** Extra environment variables; LANG and LC_ALL are always `C`. */
  env?: Record<string, string>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Time between SIGTERM and SIGKILL when a command overruns its timeout. */
const KILL_GRACE_MS = 1_000;
/** How long to wait for the pipes to close once the process has exited or been killed. */
const CLOSE_GRACE_MS = 2_000;

/** A host command that failed: which one, how it ended and what it printed. */
export class HostCommandError extends Error {
  readonly argv: string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(argv: readonly string[], result: RunResult, context?: string) {
    const how = result.timedOut ? 'timed out' : `failed with exit status ${result.code}`;
    const detail = firstLine(result.stderr) || firstLine(result.stdout);
    super(`${context ? `${context}: ` : ''}\`${argv.join(' ')}\` ${how}${detail ? `: ${detail}` : ''}`);
    this.name = 'HostCommandError';
    this.argv = [...argv];
    this.code = result.code;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.timedOut = result.timedOut === true;
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** Runs a command and throws HostCommandError unless it exits with status 0. */
export async function runChecked(
  runner: Runner,
  argv: readonly string[],
  opts?: RunOptions,
): Promise<RunResult> {
  const result = await runner.run(argv, opts);
  if (result.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], result);
  return result;
}

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The environment commands run with: ours, sbin directories on PATH, the C locale. */
export function commandEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const path = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const dir of SBIN_DIRS) if (!path.includes(dir)) path.push(dir);
  env.PATH = path.join(':');
  return { ...env, ...extra, LANG: 'C', LC_ALL: 'C' };
}

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

export function createRunner(opts: RunnerOptions = {}): Runner {
  const wrap = [...(opts.wrap ?? [])];
  const env = commandEnv(opts.env);
  const defaultTimeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let turn: BatchedRead[] | undefined;
  const runOne = (argv: string[], timeoutMs: number) => runProcess(argv, env, timeoutMs, {});
  const flushReads = () => {
    const reads = turn;
    turn = undefined;
    if (!reads) return;
    // One batch per timeout; a read alone runs as any command.
    const byTimeout = new Map<number, BatchedRead[]>();
    for (const r of reads) byTimeout.set(r.timeoutMs, [...(byTimeout.get(r.timeoutMs) ?? []), r]);
    for (const group of byTimeout.values())
      if (group.length === 1) void runOne(group[0]!.argv, group[0]!.timeoutMs).then(group[0]!.resolve);
      else runBatch(group, env, runOne, spawned);
  };
  const batched = (argv: string[], timeoutMs: number) =>
    new Promise<RunResult>((resolve) => {
      if (!turn) {
        turn = [];
        // Once this turn's code (and the promise callbacks it queued) has run, unless flushed before.
        setImmediate(flushReads);
      }
      turn.push({ argv, timeoutMs, resolve });
    });
  return {
    wrap,
    run: (argv, runOpts = {}) => {
      const timeoutMs = runOpts.timeoutMs ?? defaultTimeout;
      if (runOpts.batch && runOpts.stdin === undefined && !runOpts.inheritFds?.length) {
        if (argv.length === 0 || argv[0] === '') throw new Error('runner: empty argument vector');
        return batched([...wrap, ...argv], timeoutMs);
      }
      return runProcess([...wrap, ...argv], env, timeoutMs, runOpts);
    },
    follow: (argv, onLine) => followProcess([...wrap, ...argv], env, onLine),
    flushReads,
  };
}

/** How much of a followed command's standard error is kept for its exit report. */
const FOLLOW_STDERR_KEEP = 4096;

function followProcess(
  argv: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
): FollowedCommand {
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new Error('runner: empty argument vector');
  const child = spawn(file, args, { env, shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned(child);
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-FOLLOW_STDERR_KEEP);
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.once('error', (e) => resolve({ code: 127, signal: null, stderr: `${file}: ${e.message}` }));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    pid: child.pid,
    exited,
    stop: () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    },
  };
}

function runProcess(
  argv: string[],
  env: Record<string, string>,
  timeoutMs: number,
  opts: RunOptions,
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new Error('runner: empty argument vector');
  // process.hrtime, not the global `performance`: that loads node:perf_hooks at the first command.
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(file, args, {
      env,
      shell: false,
      // Own process group, so a timeout also ends whatever the command started.
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(opts.inheritFds ?? [])],
    });
    spawned(child);

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
      }
    };

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
      const out = Buffer.concat(stdout).toString('utf8');
      let err = Buffer.concat(stderr).toString('utf8');
      let code: number;
      let signal: string | undefined;
      if (spawnError) {
        code = spawnError.code === 'ENOENT' ? 127 : 126;
        err += `${err && !err.endsWith('\n') ? '\n' : ''}${file}: ${
          spawnError.code === 'ENOENT' ? 'command not found' : spawnError.message
        }\n`;
      } else if (timedOut && (exit === undefined || exit.signal !== null)) {
        code = 124;
        signal = exit?.signal ?? undefined;
      } else if (exit?.signal) {
        signal = exit.signal;
        code = 128 + signalNumber(exit.signal);
      } else {
        code = exit?.code ?? 1;
      }
      const result: RunResult = { code, stdout: out, stderr: err, durationMs };
      if (timedOut && code === 124) result.timedOut = true;
      if (signal) result.signal = signal;
      resolve(result);
    };

    child.stdout?.on('data', (b: Buffer) => stdout.push(b));
    child.stderr?.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Only spawn failures end up here before 'exit'; later errors (kill failures) are ignored.
      if (exit === undefined && child.pid === undefined) {
        spawnError = e;
        finish();
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Output normally ends with 'close'; do not wait forever for pipes held by leftovers.
      timers.push(setTimeout(finish, CLOSE_GRACE_MS));
    });
    child.on('close', finish);

    if (opts.stdin !== undefined && child.stdin) {
      // A command may exit without reading its input (EPIPE): its exit status tells the story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }

    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timers.push(
        setTimeout(() => {
          if (exit !== undefined || settled) return;
          timedOut = true;
          killGroup('SIGTERM');
          timers.push(
            setTimeout(() => {
              killGroup('SIGKILL');
              timers.push(setTimeout(finish, CLOSE_GRACE_MS));
            }, KILL_GRACE_MS),
          );
        }, timeoutMs),
      );
    }
  });
}
