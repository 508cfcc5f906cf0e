import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal, Snapshot } from '../apply/index.js';
import { lockFile, type FileLock } from '../host/file-lock.js';
import { CliError, EXIT_LOCKED } from './exit-codes.js';
import { removeDurably, writeFileSafely } from './private-files.js';

/** Where the lock, journal and snapshots live unless `--state-dir` says otherwise. */
export const DEFAULT_STATE_DIR = process.env.DOCKWALL_STATE_DIR || '/var/lib/dockwall';

/** State files larger than this are written without indentation. */
const PRETTY_MAX_CHARS = 256 * 1024;

/** What {@link StateDir.changeMark} looks at. */
const CHANGE_FILES = ['journal.json', 'last-snapshot.json', 'pending.json', 'hold.json', 'last-confirm.json'];

/** How long any command waits for a kernel command left running by a dead holder of the lock. */
const ORPHAN_WAIT_S = 300;

/** Who holds the state lock, as the holder wrote it down. */
export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

/** An apply waiting for `dockwall confirm`, and what restores the previous rules if nobody does. */
export interface Pending {
  applyId: string;
  pid: number;
  command: string;
  policyFile: string;
  policyHash: string;
  /** When the previous rules come back unless confirmed. */
  deadline: string;
  reverter?: { kind: 'systemd'; unit: string } | { kind: 'helper'; pid: number };
}

/** How the last `--confirm` window ended. */
export interface ConfirmOutcome {
  applyId: string;
  outcome: 'confirmed' | 'reverted';
  at: string;
  by: string;
  detail?: string;
}

/**
 * A policy that `watch` must not put back by itself: the user rolled it back, or did not confirm it.
 * watch resumes when its policy file's text differs, or after the next `dockwall apply`.
 */
export interface Hold {
  policyHash: string;
  policyFile: string;
  reason: 'rollback' | 'not-confirmed';
  applyId: string;
  at: string;
}

/**
 * dockwall's files on the host (all 0600, the directory 0700, every write durable):
 * `lock` (flock) and `lock-holder.json`; `journal.json` while a change is under way; the last
 * apply's `last-snapshot.json`; `pending.json` during a `--confirm` window, `last-confirm.json`
 * after it; `hold.json` (see Hold).
 */
export class StateDir {
  constructor(readonly dir: string = DEFAULT_STATE_DIR) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  private write(name: string, value: unknown, durable = true): void {
    // Indented for a person to read, unless large (a snapshot of a 100,000-member set): then compact,
    // which is a third of the bytes to write and to fsync.
    const compact = JSON.stringify(value);
    const text = compact.length > PRETTY_MAX_CHARS ? compact : JSON.stringify(value, null, 2);
    writeFileSafely(this.path(name), text + '\n', {
      mode: 0o600,
      replace: true,
      durable,
    });
  }

  private read<T>(name: string, check: (v: T) => boolean): T | undefined {
    const path = this.path(name);
    if (!existsSync(path)) return undefined;
    let value: T;
    try {
      value = JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (e) {
      throw new CliError(`${path} is not readable JSON: ${(e as Error).message}`);
    }
    if (!value || typeof value !== 'object' || !check(value))
      throw new CliError(`${path} is not a dockwall ${name.replace(/\.json$/, '')} file`);
    return value;
  }

  private remove(name: string): void {
    if (existsSync(this.path(name))) removeDurably(this.path(name));
  }

  /**
   * Takes the state lock (the one lock for apply, rollback, confirm and watch's repairs). Waits up to
   * `waitSeconds` (Infinity: as long as it takes); otherwise fails naming the holder.
   */
  async lock(command: string, waitSeconds: number, onWait?: (holder: string) => void): Promise<FileLock> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let attempt = await lockFile(this.path('lock'), 0);
    // A holder that has died leaves only the kernel command it was running, which ends by itself
    // (within its time limit): wait for that whatever --wait says.
    const wait = !attempt.ok && !this.holderAlive() ? Math.max(waitSeconds, ORPHAN_WAIT_S) : waitSeconds;
    if (!attempt.ok && wait > 0) {
      onWait?.(this.describeHolder());
      attempt = await lockFile(this.path('lock'), wait);
    }
    if (!attempt.ok)
      throw new CliError(
        `${this.dir} is locked by ${this.describeHolder()}${
          wait > 0 ? ` (waited ${wait} s)` : '; pass --wait SECONDS to wait for it'
        }`,
        EXIT_LOCKED,
      );
    this.write('lock-holder.json', { pid: process.pid, command, since: new Date().toISOString() }, false);
    return attempt.lock;
  }

  private holderAlive(): boolean {
    try {
      const h = this.read<LockHolder>('lock-holder.json', (v) => typeof v.pid === 'number');
      return !h || processAlive(h.pid);
    } catch {
      return true;
    }
  }

  /** Who holds the lock, in words: pid, command and since when (or that the holder has exited). */
  describeHolder(): string {
    let h: LockHolder | undefined;
    try {
      h = this.read<LockHolder>('lock-holder.json', (v) => typeof v.pid === 'number');
    } catch {
      h = undefined;
    }
    if (!h) return 'another process';
    const alive = processAlive(h.pid);
    return alive
      ? `process ${h.pid} (${h.command}, since ${h.since})`
      : `a command started by process ${h.pid} (${h.command}, since ${h.since}), which has exited; the command it ran is still finishing`;
  }

  /**
   * The files an apply, rollback or confirm leaves or changes (journal, snapshot, pending window,
   * hold), as they are now: an equal mark later means none of those ran in between.
   */
  changeMark(): string {
    return CHANGE_FILES.map((name) => {
      try {
        const st = statSync(this.path(name), { bigint: true });
        return `${st.ino}:${st.mtimeNs}`;
      } catch {
        return '-';
      }
    }).join(' ');
  }

  journal(): Journal | undefined {
    return this.read<Journal>('journal.json', (j) => isFormat(j.formatVersion) && !!j.snapshot && !!j.id);
  }

  /** Writes the journal durably (file and directory fsync'd): call before the first kernel change. */
  writeJournal(j: Journal): void {
    this.write('journal.json', j);
  }

  dropJournal(): void {
    this.remove('journal.json');
  }

  saveSnapshot(snap: Snapshot): void {
    this.write('last-snapshot.json', snap);
  }

  /** The last apply's snapshot, if any (not checked for what it belongs to: see rollback). */
  snapshot(): Snapshot | undefined {
    return this.read<Snapshot>(
      'last-snapshot.json',
      (s) => isFormat(s.formatVersion) && Array.isArray(s.chains) && Array.isArray(s.sets),
    );
  }

  pending(): Pending | undefined {
    const p = this.read<Pending>('pending.json', (v) => !!v.deadline);
    if (p && typeof p.applyId !== 'string') {
      // Left by an older dockwall, whose window ended with its process: nothing restores or needs it.
      this.dropPending();
      return undefined;
    }
    return p;
  }

  writePending(p: Pending): void {
    this.write('pending.json', p);
  }

  dropPending(): void {
    this.remove('pending.json');
  }

  lastConfirm(): ConfirmOutcome | undefined {
    return this.read<ConfirmOutcome>('last-confirm.json', (c) => typeof c.applyId === 'string');
  }

  writeLastConfirm(c: ConfirmOutcome): void {
    this.write('last-confirm.json', c);
  }

  hold(): Hold | undefined {
    return this.read<Hold>('hold.json', (h) => typeof h.policyHash === 'string');
  }

  writeHold(h: Hold): void {
    this.write('hold.json', h);
  }

  dropHold(): void {
    this.remove('hold.json');
  }
}

/** Journal and snapshot formats this dockwall reads (2: sets recorded by their changes). */
function isFormat(v: unknown): boolean {
  return v === 1 || v === 2;
}

/** Whether a process with this id exists (a zombie or a process of another user counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
