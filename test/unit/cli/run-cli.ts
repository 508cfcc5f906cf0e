import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/fixtures.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI bundle (never as a shell command) from the repository root. */
export function dockwall(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/dockwall.cjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
