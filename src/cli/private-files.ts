import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './exit-codes.js';

export interface WriteOptions {
  /** Permission bits of the new file. */
  mode: number;
  /** Replace an existing file (or a symbolic link, which is replaced, never followed). */
  replace: boolean;
  /** fsync the file and its directory, so the write survives a crash or power loss. */
  durable?: boolean;
  /** Mode of directories created on the way (default 0700). */
  dirMode?: number;
}

/**
 * Writes a file without ever following a symbolic link or keeping someone else's file: the contents
 * go to a new file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) next to the target, with `mode`
 * and owned by this process, and are renamed over the target. A dangling `key.pem` link therefore
 * cannot send a key elsewhere, and a replaced file does not keep a foreign owner who could read it.
 */
export function writeFileSafely(path: string, contents: string, opts: WriteOptions): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: opts.dirMode ?? 0o700 });
  const existing = lstatOrUndefined(path);
  if (existing && !opts.replace) {
    const what = existing.isSymbolicLink() ? 'exists (a symbolic link)' : 'exists';
    throw new CliError(`${path} ${what}; pass --force to replace it`);
  }
  if (existing?.isDirectory()) throw new CliError(`${path} is a directory`);
  const tmp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    opts.mode,
  );
  try {
    writeSync(fd, contents);
    // The umask may have taken bits away; a private key must be exactly 0600 either way.
    fchmodSync(fd, opts.mode);
    if (opts.durable) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Closed above.
    }
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (opts.durable) syncDirectory(dir);
}

/** Removes a file and makes the removal durable (fsync of the directory). */
export function removeDurably(path: string): void {
  rmSync(path, { force: true });
  syncDirectory(dirname(path));
}

/** fsync of a directory: a rename or removal in it survives a crash. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
