import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { RunResult } from './runner.js';

/**
 * Reads started in the same turn of the event loop (say, `ip -4 route`, `ip -6 route`, `ip addr`,
 * `ip6tables-save` and `ipset list -n` for a reachability difference) run as the children of one
 * `/bin/sh`: the whole Node process is forked once for all of them instead of once each (a few
 * milliseconds of this process's only thread each), and no pipes are set up. Each command still runs
 * by its argument vector (quoted, resolved on PATH here first), with standard input from /dev/null and
 * its output, errors and exit status in files of a private temporary directory; every answer is as
 * the runner gives it (see `runProcess`), but for the signal name of a command a signal ended (its
 * status is 128+N as there). Commands that are not certain to start (not found on PATH, not
 * executable) and any batch that cannot be set up run the usual way instead.
 */

/** One read waiting for its turn's batch. */
export interface BatchedRead {
  argv: string[];
  timeoutMs: number;
  resolve: (r: RunResult) => void;
}

export type RunOne = (argv: string[], timeoutMs: number) => Promise<RunResult>;

/** The absolute path execvp would run for `file`, when it is certain to be an executable file. */
export function resolveOnPath(file: string, path: string | undefined): string | undefined {
  const candidates = file.includes('/')
    ? [file]
    : (path ?? '')
        .split(delimiter)
        .filter((d) => d !== '')
        .map((d) => join(d, file));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
    } catch {
      continue;
    }
    try {
      accessSync(c, fsConstants.X_OK);
      return c.startsWith('/') ? c : undefined;
    } catch {
      // execvp would report EACCES for this one: the usual way gives that answer.
      return undefined;
    }
  }
  return undefined;
}

function trustedParent(st: { mode: number; uid: number }): boolean {
  const own = st.uid === (process.getuid?.() ?? -1) && (st.mode & 0o022) === 0;
  return own || (st.mode & 0o1000) !== 0;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Time between SIGTERM and SIGKILL when the batch overruns its timeout (as the runner's). */
const KILL_GRACE_MS = 1_000;

/**
 * Runs `reads` (all with the same timeout) in one shell, resolving each; `runOne` runs those that
 * cannot be batched, and every read when the batch cannot be set up.
 */
export function runBatch(
  reads: BatchedRead[],
  env: Record<string, string>,
  runOne: RunOne,
  onSpawn: (child: ChildProcess) => void,
): void {
  // The shell finds each command on the same PATH; it is looked up here first only to know that it
  // will start (argv[0] stays the name given: some tools print it, iptables-nft's multi-binary is
  // chosen by it).
  const batched: Array<{ read: BatchedRead }> = [];
  for (const read of reads) {
    if (resolveOnPath(read.argv[0] ?? '', env.PATH) === undefined)
      void runOne(read.argv, read.timeoutMs).then(read.resolve);
    else batched.push({ read });
  }
  if (batched.length < 2) {
    for (const { read } of batched) void runOne(read.argv, read.timeoutMs).then(read.resolve);
    return;
  }
  let dir: string;
  try {
    const parent = tmpdir();
    // The shell writes into this directory as this user (root): only under a parent where no one
    // else can rename it away and put links in its place (sticky, as /tmp is, or one's own).
    if (!trustedParent(statSync(parent))) throw new Error('untrusted');
    dir = mkdtempSync(join(parent, 'dockwall-reads-'));
  } catch {
    for (const { read } of batched) void runOne(read.argv, read.timeoutMs).then(read.resolve);
    return;
  }
  const file = (i: number, ext: string) => join(dir, `${i}.${ext}`);
  // Each command in a subshell of its own that records its status when it ends; all at once.
  const script =
    batched
      .map(
        ({ read }, i) =>
          `( ( exec ${read.argv.map(quote).join(' ')} ) </dev/null >${quote(file(i, 'out'))} 2>${quote(file(i, 'err'))}; echo $? >${quote(file(i, 'code'))} ) &`,
      )
      .join('\n') + '\nwait\n';
  const started = process.hrtime.bigint();
  const timeoutMs = batched[0]!.read.timeoutMs;
  const timers: NodeJS.Timeout[] = [];
  let child;
  try {
    child = spawn('/bin/sh', ['-c', script], { env, shell: false, detached: true, stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    for (const { read } of batched) void runOne(read.argv, read.timeoutMs).then(read.resolve);
    return;
  }
  onSpawn(child);
  let timedOut = false;
  let done = false;
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const finish = () => {
    if (done) return;
    done = true;
    for (const t of timers) clearTimeout(t);
    const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const text = (i: number, ext: string) => {
      try {
        return readFileSync(file(i, ext), 'utf8');
      } catch {
        return undefined;
      }
    };
    const results = batched.map((_, i) => ({
      code: text(i, 'code'),
      out: text(i, 'out'),
      err: text(i, 'err'),
    }));
    rmSync(dir, { recursive: true, force: true });
    batched.forEach(({ read }, i) => {
      const r = results[i]!;
      const code = r.code === undefined ? NaN : Number(r.code.trim());
      if (!Number.isInteger(code)) {
        // The shell could not start, or was killed before this command ended.
        // Otherwise (no shell, no room for the status file): a read changes nothing, so it is run
        // again, the usual way.
        if (timedOut)
          read.resolve({ code: 124, stdout: r.out ?? '', stderr: r.err ?? '', durationMs, timedOut: true });
        else void runOne(read.argv, read.timeoutMs).then(read.resolve);
        return;
      }
      read.resolve({ code, stdout: r.out ?? '', stderr: r.err ?? '', durationMs });
    });
  };
  child.on('error', finish);
  child.on('exit', finish);
  if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS));
      }, timeoutMs),
    );
  }
}
