import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../apply/index.js';
import { CliError } from './exit-codes.js';

export const DEFAULT_STATE_DIR = '/var/lib/dockwall';

/** dockwall's files on the host: the last snapshot and a pending confirmation. All 0600, dir 0700. */
export class StateDir {
  constructor(readonly dir: string = DEFAULT_STATE_DIR) {}

  private ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private writePrivate(name: string, text: string): string {
    this.ensure();
    const path = join(this.dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    return path;
  }

  saveSnapshot(snap: Snapshot): string {
    return this.writePrivate('last-snapshot.json', JSON.stringify(snap, null, 2) + '\n');
  }

  lastSnapshot(): Snapshot {
    const path = join(this.dir, 'last-snapshot.json');
    if (!existsSync(path)) throw new CliError(`no snapshot in ${this.dir}: nothing to roll back`);
    try {
      const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
      if (snap.formatVersion !== 1 || !Array.isArray(snap.chains)) throw new Error('unknown format');
      return snap;
    } catch (e) {
      throw new CliError(`${path} is not a dockwall snapshot: ${(e as Error).message}`);
    }
  }

  /** Marks an apply as waiting for `dockwall confirm` until `deadline`. */
  beginPending(deadline: Date): void {
    rmSync(join(this.dir, 'confirmed'), { force: true });
    this.writePrivate(
      'pending.json',
      JSON.stringify({ pid: process.pid, deadline: deadline.toISOString() }) + '\n',
    );
  }

  pending(): { pid: number; deadline: string } | undefined {
    const path = join(this.dir, 'pending.json');
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as { pid: number; deadline: string };
  }

  confirm(): void {
    this.writePrivate('confirmed', new Date().toISOString() + '\n');
  }

  isConfirmed(): boolean {
    return existsSync(join(this.dir, 'confirmed'));
  }

  endPending(): void {
    rmSync(join(this.dir, 'pending.json'), { force: true });
    rmSync(join(this.dir, 'confirmed'), { force: true });
  }
}
