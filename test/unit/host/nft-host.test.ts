import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nftLoad, removeLeftoverScripts } from '../../../src/host/nft-host.js';
import type { RunOptions, RunResult, Runner } from '../../../src/host/runner.js';

const JSON_SCRIPT = '{"nftables": [{"add": {"table": {"family": "ip", "name": "dockwall"}}}]}\n';

/** A pid that no process has now: a child's, once it has exited and been reaped. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('an nft JSON load leaves nothing behind if dockwall is killed during it', () => {
  let dir: string;
  const saved = process.env.TMPDIR;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockwall-unit-tmp-'));
    process.env.TMPDIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A runner that looks at the temporary directory and at the script nft would read, while "nft" runs. */
  function watchingRunner(): Runner & { seen: Array<{ argv: string[]; entries: string[]; script: string }> } {
    const seen: Array<{ argv: string[]; entries: string[]; script: string }> = [];
    return {
      wrap: [],
      seen,
      run: (argv: readonly string[], opts?: RunOptions): Promise<RunResult> => {
        const fds = opts?.inheritFds ?? [];
        // `/dev/fd/N` in nft is the descriptor at index N - 3 of the inherited ones.
        const n = Number(/^\/dev\/fd\/(\d+)$/.exec(argv.at(-1)!)?.[1]);
        const script = Number.isInteger(n) ? readFileSync(`/proc/self/fd/${fds[n - 3]!}`, 'utf8') : '';
        seen.push({ argv: [...argv], entries: readdirSync(dir), script });
        return Promise.resolve({ code: 0, stdout: '', stderr: '', durationMs: 1 });
      },
    };
  }

  it('nft reads the JSON from a descriptor of a file that has no name: nothing to leave in the temporary directory', async () => {
    const runner = watchingRunner();
    await nftLoad(runner, JSON_SCRIPT);
    await nftLoad(runner, JSON_SCRIPT, { check: true, inheritFds: [0] });
    expect(runner.seen).toEqual([
      { argv: ['nft', '-j', '-f', '/dev/fd/3'], entries: [], script: JSON_SCRIPT },
      { argv: ['nft', '-j', '-c', '-f', '/dev/fd/4'], entries: [], script: JSON_SCRIPT },
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a text script still goes through standard input', async () => {
    const runner = watchingRunner();
    await nftLoad(runner, 'table ip dockwall\n');
    expect(runner.seen[0]!.argv).toEqual(['nft', '-f', '-']);
  });

  it("leftovers of dead processes and of earlier versions' directories are removed at the next JSON load; others stay", async () => {
    const dead = `dockwall-nft-${deadPid()}-0123456789ab.json`;
    const alive = `dockwall-nft-${process.pid}-0123456789ab.json`;
    writeFileSync(join(dir, dead), JSON_SCRIPT);
    writeFileSync(join(dir, alive), JSON_SCRIPT);
    // mkdtemp's directory of earlier versions, with the script in it: old, and just made.
    for (const d of ['dockwall-nft-AbC123', 'dockwall-nft-xyz789']) {
      mkdirSync(join(dir, d));
      writeFileSync(join(dir, d, 'restore.json'), JSON_SCRIPT);
    }
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'dockwall-nft-AbC123'), hourAgo, hourAgo);
    writeFileSync(join(dir, 'unrelated.json'), '{}');
    const runner = watchingRunner();
    await nftLoad(runner, JSON_SCRIPT);
    expect(runner.seen[0]!.entries.sort()).toEqual([alive, 'dockwall-nft-xyz789', 'unrelated.json']);
    expect(removeLeftoverScripts(dir)).toEqual([]);
  });
});
