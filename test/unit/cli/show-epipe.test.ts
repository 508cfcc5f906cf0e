import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { tempFile } from './run-cli.js';

describe('output into a pipe that closes early', () => {
  it('`dockwall show --state X | head -1` stops quietly: no EPIPE stack trace, exit 0', async () => {
    const rules = Array.from(
      { length: 20_000 },
      (_, i) => `-A INPUT -s 10.${i >> 8}.${i & 255}.1/32 -j ACCEPT`,
    );
    const dump = tempFile(
      'big.iptables-save',
      ['*filter', ':INPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n'),
    );
    const child = spawn(process.execPath, [join(repoRoot, 'dist/dockwall.cjs'), 'show', '--state', dump], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Like `head -1`: read the first chunk, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});
