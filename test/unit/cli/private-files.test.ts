import {
  chownSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileSafely } from '../../../src/cli/private-files.js';
import { dockwall } from './run-cli.js';

const dir = () => mkdtempSync(join(tmpdir(), 'dockwall-files-'));

describe('writing files safely (tls keys, state files)', () => {
  it('never writes through a symbolic link: a dangling key.pem link is refused, and --force replaces the link itself', () => {
    const d = dir();
    const target = join(d, 'elsewhere.pem');
    symlinkSync(target, join(d, 'key.pem'));
    expect(() => writeFileSafely(join(d, 'key.pem'), 'KEY', { mode: 0o600, replace: false })).toThrow(
      /key.pem exists \(a symbolic link\); pass --force/,
    );
    writeFileSafely(join(d, 'key.pem'), 'KEY', { mode: 0o600, replace: true });
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(join(d, 'key.pem')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(d, 'key.pem'), 'utf8')).toBe('KEY');
  });

  it('gives a replaced file this process as owner and exactly the mode asked, whatever the umask', () => {
    const d = dir();
    const path = join(d, 'key.pem');
    writeFileSync(path, 'old', { mode: 0o644 });
    if (process.getuid?.() === 0) chownSync(path, 65534, 65534);
    const umask = process.umask(0o000);
    try {
      writeFileSafely(path, 'new', { mode: 0o600, replace: true, durable: true });
    } finally {
      process.umask(umask);
    }
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid?.());
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('`dockwall tls ca` refuses a dangling key link and writes no key through it, even with --force', () => {
    const d = dir();
    const target = join(d, 'stolen-key.pem');
    symlinkSync(target, join(d, 'ca-key.pem'));
    const refused = dockwall(['tls', 'ca', '--dir', d]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ca-key.pem exists');
    const forced = dockwall(['tls', 'ca', '--dir', d, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(join(d, 'ca-key.pem')).isSymbolicLink()).toBe(false);
    expect(statSync(join(d, 'ca-key.pem')).mode & 0o777).toBe(0o600);
  });
});
