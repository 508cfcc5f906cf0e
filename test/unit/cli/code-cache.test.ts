import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall } from './run-cli.js';

/**
 * bin/dockwall.js's V8 code cache, on a copy of bin/ and the bundle (so the bundle can be changed),
 * with XDG_CACHE_HOME in a scratch directory.
 */
const scratch = mkdtempSync(join(tmpdir(), 'dockwall-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tree = join(scratch, 'tree');
mkdirSync(join(tree, 'bin'), { recursive: true });
mkdirSync(join(tree, 'dist'));
for (const f of ['bin/dockwall.js', 'bin/package.json', 'package.json', 'dist/dockwall.cjs'])
  copyFileSync(join(repoRoot, f), join(tree, f));
const bundle = join(tree, 'dist/dockwall.cjs');
const example = join(repoRoot, 'examples/firewalling-docker.yaml');

let cacheHome = '';
const v8Dir = () => join(cacheHome, 'dockwall', 'v8');
const caches = () => readdirSync(v8Dir()).sort();
const mode = (p: string) => statSync(p).mode & 0o777;

beforeEach(() => {
  cacheHome = mkdtempSync(join(scratch, 'cache-'));
});

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(tree, 'bin/dockwall.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome, ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const validates = (r: ReturnType<typeof run>) => {
  expect(r).toEqual({ code: 0, stdout: `${example}: valid dockwall policy\n`, stderr: '' });
};

/** The one cache file of `command`. */
function cacheOf(command: string): string {
  const hits = caches().filter((f) => f.endsWith(`.${command}.v8`));
  expect(hits).toHaveLength(1);
  return join(v8Dir(), hits[0]!);
}

describe('the code cache of bin/dockwall.js', () => {
  it("is written on the first run, the user's own (0700 directories, 0600 file), one per command", () => {
    validates(run(['validate', '-f', example]));
    expect(mode(join(cacheHome, 'dockwall'))).toBe(0o700);
    expect(mode(v8Dir())).toBe(0o700);
    const file = cacheOf('validate');
    expect(mode(file)).toBe(0o600);
    expect(statSync(file).uid).toBe(process.getuid!());
    expect(caches()).toHaveLength(1); // no temporary file left
    expect(run(['schema']).code).toBe(0);
    expect(caches().map((f) => f.split('.').at(-2))).toEqual(['schema', 'validate']);
  });

  it('is used, not rewritten, on the next runs', () => {
    validates(run(['validate', '-f', example]));
    const first = statSync(cacheOf('validate'));
    validates(run(['validate', '-f', example]));
    validates(run(['validate', '-f', example]));
    const after = statSync(cacheOf('validate'));
    expect([after.ino, after.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
  });

  it('that V8 rejects is replaced, and the command runs as without it', () => {
    validates(run(['validate', '-f', example]));
    const file = cacheOf('validate');
    writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    validates(run(['validate', '-f', example]));
    const replaced = readFileSync(cacheOf('validate'));
    expect(replaced.length).not.toBe(4096);
    // The new one is accepted: a further run leaves it alone.
    const ino = statSync(cacheOf('validate')).ino;
    validates(run(['validate', '-f', example]));
    expect(statSync(cacheOf('validate')).ino).toBe(ino);
  });

  it('is ignored (and replaced) when others may write it', () => {
    validates(run(['validate', '-f', example]));
    const file = cacheOf('validate');
    chmodSync(file, 0o620);
    const ino = statSync(file).ino;
    validates(run(['validate', '-f', example]));
    expect(statSync(cacheOf('validate')).ino).not.toBe(ino);
    expect(mode(cacheOf('validate'))).toBe(0o600);
  });

  it.runIf(process.getuid?.() === 0)('is ignored (and replaced) when another user owns it', () => {
    validates(run(['validate', '-f', example]));
    const file = cacheOf('validate');
    chownSync(file, 65534, 65534);
    validates(run(['validate', '-f', example]));
    expect(statSync(cacheOf('validate')).uid).toBe(0);
  });

  it('is neither read nor written in a directory others may write', () => {
    mkdirSync(v8Dir(), { recursive: true, mode: 0o700 });
    chmodSync(v8Dir(), 0o777);
    validates(run(['validate', '-f', example]));
    expect(caches()).toEqual([]);
  });

  it('is never fatal: an unusable cache directory only costs the speed', () => {
    const file = join(cacheHome, 'not-a-directory');
    writeFileSync(file, 'x');
    validates(run(['validate', '-f', example], { XDG_CACHE_HOME: file }));
    // No home to put it in either.
    validates(run(['validate', '-f', example], { XDG_CACHE_HOME: '', HOME: '/nonexistent/home' }));
  });

  it('is off with DOCKWALL_CODE_CACHE=0', () => {
    validates(run(['validate', '-f', example], { DOCKWALL_CODE_CACHE: '0' }));
    expect(() => caches()).toThrow(/ENOENT/);
  });

  it("belongs to one build of the bundle: a changed bundle makes a new one and removes the old build's", () => {
    validates(run(['validate', '-f', example]));
    const old = cacheOf('validate');
    // Another bundle elsewhere keeps its own.
    const other = join(v8Dir(), 'zzzzzz-v20.0.0-x64-1-2-3-4-5.validate.v8');
    writeFileSync(other, 'x', { mode: 0o600 });
    const original = readFileSync(bundle);
    try {
      appendFileSync(bundle, '\n// rebuilt\n');
      validates(run(['validate', '-f', example]));
      const mine = caches().filter((f) => !f.startsWith('zzzzzz-'));
      expect(mine).toHaveLength(1);
      expect(join(v8Dir(), mine[0]!)).not.toBe(old);
      expect(mine[0]).toMatch(/\.validate\.v8$/);
      expect(caches()).toContain('zzzzzz-v20.0.0-x64-1-2-3-4-5.validate.v8');
    } finally {
      writeFileSync(bundle, original);
    }
  });
});

describe('the bundle run through bin/dockwall.js', () => {
  it('prints, exits and reports errors exactly as `node dist/dockwall.cjs` does', () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, 'dockwall: 1\nfilter:\n  interfaces: eth0\n');
    for (const args of [
      ['schema'],
      ['completion', 'bash'],
      ['validate', '-f', bad],
      ['validate', '-f', join(scratch, 'missing.yaml')],
      ['valdate'],
      ['check', '-f', join(repoRoot, 'examples/firewalling-docker.yaml')],
    ]) {
      const direct = dockwall(args);
      // Twice: without the cache, then with it.
      for (let i = 0; i < 2; i++) expect(run(args), args.join(' ')).toEqual(direct);
    }
  });

  it('runs the same beside the bundle, as dist/dockwall-launch.cjs (the image, the Ansible role)', () => {
    const lib = join(scratch, 'lib');
    mkdirSync(lib, { recursive: true });
    copyFileSync(join(repoRoot, 'bin/dockwall.js'), join(lib, 'dockwall-launch.cjs'));
    copyFileSync(bundle, join(lib, 'dockwall.cjs'));
    const beside = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(lib, 'dockwall-launch.cjs'), ...args], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome },
        timeout: 60_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    for (const args of [['--version'], ['validate', '-f', example], ['valdate']]) {
      const direct = dockwall(args);
      for (let i = 0; i < 2; i++) expect(beside(args), args.join(' ')).toEqual(direct);
    }
    // Its cache is that bundle's (a file of its own path), written once.
    expect(caches().filter((f) => f.endsWith('.validate.v8'))).toHaveLength(1);
  });

  it('keeps process.argv as node gives it (the confirm reverter starts argv[1] again)', () => {
    const r = run(['install-service', '--dry-run', '-f', example]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(tree, 'bin/dockwall.js'));
  });
});
