import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandsFor } from '../../../src/cli/commands/index.js';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall } from './run-cli.js';

const names = (args: string[]) => commandsFor(args).flatMap((c) => c.names);
const scratch = mkdtempSync(join(tmpdir(), 'dockwall-loading-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `node BIN ARGS` (bin/dockwall.js unless given), as `npx dockwall` runs it, with a cache of its own. */
function viaBin(args: string[], env: Record<string, string> = {}, bin = join(repoRoot, 'bin/dockwall.js')) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', XDG_CACHE_HOME: join(scratch, 'cache'), ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('commands are loaded only when run', () => {
  it('a command loads only its own module (rollback also brings confirm and the reverter)', () => {
    expect(names(['validate', '-f', 'x.yaml'])).toEqual(['validate']);
    expect(names(['rollback'])).toEqual(['rollback', 'confirm', '__revert-pending']);
    expect(names(['apply', '-f', 'x.yaml'])).toEqual(['apply']);
    // completion and man describe every command: all are loaded, completion's module last.
    expect(names(['completion', 'bash']).slice(-2)).toEqual(['completion', 'man']);
    expect(names(['completion', 'bash'])).toContain('plan');
    expect(names(['import', 'pyfw', 'w.yaml'])).toEqual(['export', 'import']);
  });

  it('a lone --version loads no command; help, no command or an unknown one load them all', () => {
    expect(names(['--version'])).toEqual([]);
    expect(names(['-V'])).toEqual([]);
    for (const args of [[], ['--help'], ['help', 'plan'], ['valdate']]) {
      expect(names(args)).toContain('plan');
      expect(names(args)).toContain('tls');
    }
  });

  it('--help of the bundle still lists every command', () => {
    const r = dockwall(['--help']);
    expect(r.code).toBe(0);
    for (const c of [
      'plan',
      'apply',
      'rollback',
      'confirm',
      'watch',
      'tls',
      'export',
      'import',
      'validate',
      'schema',
    ])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('an unknown command is still suggested its nearest name', () => {
    const r = dockwall(['valdate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('validate');
  });

  it('bin/dockwall.js prints the version and validates the example', () => {
    expect(viaBin(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const r = viaBin(['validate', '-f', 'examples/firewalling-docker.yaml']);
    expect(r.stdout).toContain('valid dockwall policy');
    expect(r.code).toBe(0);
  });
});

describe('start-up loads only what the command needs', () => {
  it('a lone --version through bin/dockwall.js reads no bundle, and prints what the bundle prints', () => {
    // bin/ and package.json without dist/: the version still comes, and only from package.json.
    const tree = join(scratch, 'no-dist');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    for (const f of ['bin/dockwall.js', 'bin/package.json', 'package.json'])
      copyFileSync(join(repoRoot, f), join(tree, f));
    const bin = join(tree, 'bin/dockwall.js');
    for (const flag of ['--version', '-V'])
      expect(viaBin([flag], {}, bin)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(dockwall(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    // Anything else needs the bundle.
    const r = viaBin(['--version', '--help'], {}, bin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*dist\/dockwall\.cjs.*npm run build/);
  });

  it("bin/dockwall.js knows every command's name (one code cache each)", () => {
    const bin = createRequire(import.meta.url)(join(repoRoot, 'bin/dockwall.js')) as {
      COMMANDS: string[];
      cacheNameOf: (args: string[]) => string;
    };
    expect([...bin.COMMANDS].sort()).toEqual(names(['--help']).sort());
    expect(bin.cacheNameOf(['--tls-insecure', 'plan', '-f', 'x'])).toBe('plan');
    expect(bin.cacheNameOf(['--help'])).toBe('none');
    expect(bin.cacheNameOf(['valdate'])).toBe('other');
  });

  /**
   * The module initialisers of dist/dockwall.cjs (esbuild names each after its source file) that ran
   * in `dockwall ARGS` through bin/dockwall.js, from V8's precise coverage.
   */
  function modulesRun(args: string[]): string[] {
    const dir = mkdtempSync(join(scratch, 'coverage-'));
    const r = viaBin(args, { NODE_V8_COVERAGE: dir });
    expect(r.code, r.stderr).toBe(0);
    const ran: string[] = [];
    for (const f of readdirSync(dir)) {
      const { result } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
      };
      for (const script of result.filter((s) => s.url.endsWith('/dist/dockwall.cjs')))
        for (const fn of script.functions)
          if (/\.(?:ts|js|mjs|cjs)$/.test(fn.functionName) && fn.ranges[0]!.count > 0)
            ran.push(fn.functionName);
    }
    return ran;
  }

  const heavy = [
    /@peculiar\/x509/,
    /reflect-metadata/,
    /^src\/(?:sim|host|tls)\//,
    /^src\/docker\/(?:engine-client|connection|http-transport)\.ts$/,
    /commands\/plan\.ts$/,
  ];

  it("validate runs its own modules' code and no certificate, host, simulator or planner code", () => {
    const ran = modulesRun(['validate', '-f', 'examples/firewalling-docker.yaml']);
    expect(ran).toContain('src/cli/commands/validate.ts');
    expect(ran).toContain('src/policy/schema.ts');
    for (const h of heavy) expect(ran.filter((m) => h.test(m))).toEqual([]);
  });

  it("validate loads no node:child_process (commander's is required when first used)", () => {
    const probe = join(scratch, 'probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write(`loaded: ${process.moduleLoadList.join(',')}\\n`));\n",
    );
    const run = (args: string[]) => {
      const r = viaBin(args, { NODE_OPTIONS: `--require ${probe}` });
      expect(r.stderr).toMatch(/^loaded: /m);
      return r.stderr;
    };
    expect(run(['validate', '-f', 'examples/firewalling-docker.yaml'])).not.toMatch(
      /NativeModule child_process\b/,
    );
    // The probe sees it where it is loaded: status runs iptables.
    expect(run(['status', '--help'])).toMatch(/NativeModule child_process\b/);
  });

  it('the check sees them where they run: `tls --help` runs the certificate code', () => {
    const ran = modulesRun(['tls', '--help']);
    expect(ran.some((m) => /@peculiar\/x509/.test(m))).toBe(true);
    expect(ran.some((m) => /reflect-metadata/.test(m))).toBe(true);
  });
});

describe('the bundle', () => {
  const bundle = () => readFileSync(join(repoRoot, 'dist/dockwall.cjs'));

  it("leaves out zod's translations of its messages", () => {
    const all = bundle().toString('utf8');
    expect(all).toContain('node_modules/zod/v4/core/');
    for (const other of ['de', 'fr', 'ja'])
      expect(all).not.toContain(`node_modules/zod/v4/locales/${other}.js`);
  });

  it('is ASCII, so bin/dockwall.js loads it as a one-byte string', () => {
    expect(bundle().every((b) => b < 0x80)).toBe(true);
  });
});

describe('watch started by hand', () => {
  const require = createRequire(import.meta.url);
  const { WATCH_RUNTIME_FLAGS } = require(join(repoRoot, 'bin/dockwall.js')) as {
    WATCH_RUNTIME_FLAGS: string[];
  };

  it('gets V8 flags node knows (a misspelt one would only be ignored at run time)', () => {
    expect(WATCH_RUNTIME_FLAGS.length).toBeGreaterThan(0);
    const r = spawnSync(process.execPath, [...WATCH_RUNTIME_FLAGS, '-e', '0'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('still runs the command with them set', () => {
    const r = viaBin(['watch', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dockwall watch /);
  });
});
