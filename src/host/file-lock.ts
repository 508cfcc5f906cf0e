import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { commandEnv } from './runner.js';

/**
 * An exclusive flock(2) on a file, held by this process: util-linux `flock` takes the lock on a
 * descriptor it inherits from us and exits, and the lock stays with the open file, which only this
 * process (and the commands it hands the descriptor to) holds. The kernel releases it when the last
 * of them exits, however they end, so a dead holder never leaves a stale lock behind.
 */
export interface FileLock {
  /** The locked descriptor: pass it to commands that must keep the lock until they end. */
  readonly fd: number;
  release(): void;
}

export type LockAttempt = { ok: true; lock: FileLock } | { ok: false; reason: 'busy' | 'timeout' };

/** Exit status flock is told to use when the lock is held by someone else. */
const BUSY = 75;

/**
 * Takes the lock on `path` (created 0600 if missing; never through a symbolic link). `waitSeconds`:
 * 0 fails at once when someone holds it, Infinity waits as long as it takes.
 */
export async function lockFile(path: string, waitSeconds: number): Promise<LockAttempt> {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const wait = waitSeconds === 0 ? ['-n'] : Number.isFinite(waitSeconds) ? ['-w', String(waitSeconds)] : [];
  let code: number;
  try {
    code = await new Promise<number>((resolve, reject) => {
      const child = spawn('flock', ['-x', '-E', String(BUSY), ...wait, '3'], {
        env: commandEnv(),
        stdio: ['ignore', 'ignore', 'pipe', fd],
      });
      let err = '';
      child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            e.code === 'ENOENT' ? 'flock (util-linux) is needed to lock the state directory' : e.message,
          ),
        ),
      );
      child.on('close', (c, signal) => {
        if (c === 0 || c === BUSY) resolve(c);
        // flock -w reports a timeout with the conflict status too; anything else is a failure.
        else reject(new Error(`flock failed (${signal ?? `exit status ${c}`}): ${err.trim()}`));
      });
    });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (code !== 0) {
    closeSync(fd);
    return { ok: false, reason: waitSeconds === 0 ? 'busy' : 'timeout' };
  }
  let released = false;
  return {
    ok: true,
    lock: {
      fd,
      release() {
        if (released) return;
        released = true;
        closeSync(fd);
      },
    },
  };
}
