import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOnPath } from '../../../src/host/read-batch.js';
import { commandEnv, createRunner, observeSpawns, type RunResult } from '../../../src/host/runner.js';

/** What is compared: everything but the duration. */
const answer = (r: RunResult) => ({ ...r, durationMs: 0 });

/** Runs `argvs` as reads started in one turn, counting the processes this process starts. */
async function batchedRun(argvs: string[][], timeoutMs?: number) {
  const runner = createRunner();
  const pids: number[] = [];
  const stop = observeSpawns((pid) => pids.push(pid));
  try {
    const got = await Promise.all(
      argvs.map((argv) => runner.run(argv, { batch: true, ...(timeoutMs ? { timeoutMs } : {}) })),
    );
    return { got, processes: pids.length };
  } finally {
    stop();
  }
}

describe('reads batched in one shell', () => {
  const argvs = [
    ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    ['echo', 'it\'s $HOME; `id` "quoted"'],
    ['true'],
    ['false'],
    ['printf', 'no newline at the end'],
    ['dockwall-no-such-command-here', '-x'],
    ['cat', '/nonexistent/dockwall-test'],
  ];

  it('answer each command exactly as it run alone answers (status, output, errors), in one process', async () => {
    const alone = await Promise.all(argvs.map((argv) => createRunner().run(argv)));
    const { got, processes } = await batchedRun(argvs);
    expect(got.map(answer)).toEqual(alone.map(answer));
    expect(got[0]).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(got[5]).toMatchObject({ code: 127, stderr: 'dockwall-no-such-command-here: command not found\n' });
    // One shell for the six found on PATH; the one not found is tried the usual way (no process).
    expect(processes).toBe(1);
  });

  it('under a temporary directory others may write (not sticky), each read runs alone', async () => {
    const open = mkdtempSync(join(tmpdir(), 'dockwall-read-batch-open-'));
    chmodSync(open, 0o777);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = open;
    try {
      const { got, processes } = await batchedRun([
        ['echo', 'a'],
        ['echo', 'b'],
      ]);
      expect(got.map((r) => r.stdout)).toEqual(['a\n', 'b\n']);
      expect(processes).toBe(2);
      expect(readdirSync(open)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('a read alone in its turn runs as any command', async () => {
    const { got, processes } = await batchedRun([['echo', 'alone']]);
    expect(got[0]).toMatchObject({ code: 0, stdout: 'alone\n', stderr: '' });
    expect(processes).toBe(1);
  });

  it('a read past the timeout is ended and reported as timed out; the others keep their answers', async () => {
    const { got } = await batchedRun(
      [
        ['sleep', '5'],
        ['echo', 'quick'],
      ],
      300,
    );
    expect(got[0]).toMatchObject({ code: 124, timedOut: true });
    expect(got[1]).toMatchObject({ code: 0, stdout: 'quick\n' });
  });

  it('flushReads starts the reads at once, before the turn ends', () => {
    const runner = createRunner();
    const pids: number[] = [];
    const stop = observeSpawns((pid) => pids.push(pid));
    try {
      const reads = [runner.run(['true'], { batch: true }), runner.run(['true'], { batch: true })];
      expect(pids).toHaveLength(0);
      runner.flushReads!();
      expect(pids).toHaveLength(1);
      return Promise.all(reads).then((rs) => expect(rs.map((r) => r.code)).toEqual([0, 0]));
    } finally {
      stop();
    }
  });

  it('resolves commands on PATH as execvp does, or leaves them to the usual way', () => {
    const path = commandEnv().PATH;
    expect(resolveOnPath('sh', path)).toMatch(/^\/.*\/sh$/);
    expect(resolveOnPath('/bin/sh', path)).toBe('/bin/sh');
    expect(resolveOnPath('dockwall-no-such-command-here', path)).toBeUndefined();
    // A file that is not executable: execvp's EACCES is the usual way's to report.
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-read-batch-'));
    try {
      writeFileSync(join(dir, 'plain'), 'x', { mode: 0o644 });
      expect(resolveOnPath(join(dir, 'plain'), path)).toBeUndefined();
      expect(resolveOnPath('plain', dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
