import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_LOCKED } from '../../../src/cli/exit-codes.js';
import { StateDir } from '../../../src/cli/state-dir.js';

const stateDir = () => new StateDir(join(mkdtempSync(join(tmpdir(), 'dockwall-lock-')), 'state'));

describe('the state lock', () => {
  it('a second holder fails at once naming the first (pid, command, since), and gets it once released', async () => {
    const dir = stateDir();
    const first = await dir.lock('dockwall apply -f a.yaml', 0);
    expect(statSync(join(dir.dir, 'lock')).mode & 0o777).toBe(0o600);
    expect(statSync(dir.dir).mode & 0o777).toBe(0o700);
    const err = await dir.lock('dockwall apply -f b.yaml', 0).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err.code).toBe(EXIT_LOCKED);
    expect(err.message).toMatch(
      new RegExp(
        `locked by process ${process.pid} \\(dockwall apply -f a.yaml, since \\d{4}-.*\\); pass --wait SECONDS`,
      ),
    );
    first.release();
    const second = await dir.lock('dockwall apply -f b.yaml', 0);
    second.release();
  });

  it('--wait waits for the holder to let go', async () => {
    const dir = stateDir();
    const first = await dir.lock('first', 0);
    setTimeout(() => first.release(), 300);
    const waited: string[] = [];
    const second = await dir.lock('second', 10, (h) => waited.push(h));
    expect(waited[0]).toMatch(/process \d+ \(first/);
    second.release();
  });

  it('is released when its holder dies, however it dies (kill -9)', async () => {
    const dir = stateDir();
    (await dir.lock('setup', 0)).release();
    // flock(1) holding the same lock file, its command's copy of the descriptor closed (-o).
    const holder = spawn('flock', ['-x', '-o', join(dir.dir, 'lock'), 'sleep', '60'], {
      stdio: 'ignore',
      detached: true,
    });
    await new Promise((r) => setTimeout(r, 300));
    const busy = await dir.lock('second', 0).catch((e) => e);
    expect(busy.code).toBe(EXIT_LOCKED);
    process.kill(-holder.pid!, 'SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const got = await dir.lock('third', 0);
    got.release();
  });
});
