import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandsFor } from '../../../src/cli/commands/index.js';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall } from './run-cli.js';

const names = (args: string[]) => commandsFor(args).flatMap((c) => c.names);

/** `node bin/dockwall.js ARGS` (the code-split build), as `npx dockwall` runs it. */
function viaBin(args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/dockwall.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

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

  it('bin/dockwall.js (the code-split build) prints the version and validates the example', () => {
    expect(viaBin(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const r = viaBin(['validate', '-f', 'examples/firewalling-docker.yaml']);
    expect(r.stdout).toContain('valid dockwall policy');
    expect(r.code).toBe(0);
  });
});

/** The files of the code-split build that `file` imports before it runs (not its dynamic imports). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(repoRoot, 'dist/esm', file), 'utf8');
  for (const m of text.matchAll(/^import (?:[^;]*? from )?"\.\/(chunk-[A-Z0-9]+\.mjs)"/gms))
    staticClosure(m[1]!, seen);
  return seen;
}

const sourcesOf = (files: Set<string>) =>
  [...files].map((f) => readFileSync(join(repoRoot, 'dist/esm', f), 'utf8')).join('\n');

describe('start-up loads only what the entry point needs', () => {
  it('the entry point (what --version runs) imports no policy, YAML, zod or planner code before it runs', () => {
    const code = sourcesOf(staticClosure('dockwall.mjs'));
    expect(code).toContain('// src/cli/main.ts');
    for (const heavy of ['node_modules/zod/', 'node_modules/yaml/', 'src/policy/', 'src/plan/', 'src/parse/'])
      expect(code).not.toMatch(new RegExp(`^// (?:\\S*/)?${heavy}`, 'm'));
  });

  it("the bundle leaves out zod's translations of its messages", () => {
    const all = readdirSync(join(repoRoot, 'dist/esm'))
      .map((f) => readFileSync(join(repoRoot, 'dist/esm', f), 'utf8'))
      .join('\n');
    expect(all).toContain('node_modules/zod/v4/core/');
    for (const other of ['de', 'fr', 'ja'])
      expect(all).not.toContain(`node_modules/zod/v4/locales/${other}.js`);
  });
});
