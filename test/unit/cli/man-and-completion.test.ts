import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../../src/cli/commands/index.js';
import { EXIT_CODE_TABLE } from '../../../src/cli/exit-codes.js';
import { repoRoot } from '../../helpers/fixtures.js';
import { toolGate } from '../../helpers/tool-gate.js';

/** The program as main() builds it; its help texts are what `dockwall … --help` prints. */
async function program(): Promise<Command> {
  const p = new Command('dockwall').description('A declarative firewall for Linux hosts that run Docker.');
  p.version('0.1.0');
  // No arguments: every command is registered, as for `--help`.
  await registerCommands(p, async () => undefined, []);
  return p;
}

/** The commands and the flags of each, read from the `--help` texts (not from the definitions). */
function fromHelp(cmd: Command, path: string[] = []): { path: string[]; flags: string[] }[] {
  const text = cmd.helpInformation();
  const section = (title: string) => {
    const m = new RegExp(`^${title}:\\n((?:  .*\\n?)*)`, 'm').exec(text);
    return (m?.[1] ?? '').split('\n').filter((l) => /^ {2}\S/.test(l));
  };
  const flags = section('Options').flatMap(
    (l) =>
      l
        .trim()
        .split(/ {2,}/)[0]!
        .match(/--?[\w-]+/g) ?? [],
  );
  const subs = section('Commands')
    .map((l) => l.trim().split(/\s/)[0]!)
    .filter((n) => n !== 'help');
  return [
    { path, flags },
    ...subs.flatMap((n) =>
      fromHelp(
        cmd.commands.find((c) => c.name() === n)!,
        [...path, n],
      ),
    ),
  ];
}

const DIST = join(repoRoot, 'dist');

describe('the man page dockwall(8)', () => {
  const page = readFileSync(join(DIST, 'man/man8/dockwall.8'), 'utf8');
  const plain = page.replace(/\\-/g, '-').replace(/\\e/g, '\\');

  it('lists every command and every option --help shows, under its command', async () => {
    const commands = fromHelp(await program());
    expect(commands.length).toBeGreaterThan(20);
    const sections = plain.split('\n.SS "');
    for (const { path, flags } of commands) {
      const body =
        path.length === 0
          ? plain.slice(plain.indexOf('.SH OPTIONS'), plain.indexOf('.SH COMMANDS'))
          : sections.find(
              (s) =>
                s.startsWith(`dockwall ${path.join(' ')} `) || s.startsWith(`dockwall ${path.join(' ')}"`),
            );
      expect(body, `no section for dockwall ${path.join(' ')}`).toBeDefined();
      const bold = body!.split('\n').filter((l) => l.startsWith('.B '));
      for (const f of flags) {
        expect(
          bold.some((l) => l.split(/[ ,]+/).includes(f)),
          `${path.join(' ')} ${f}`,
        ).toBe(true);
      }
    }
  });

  it('has the exit codes table, the environment and is clean roff (no unescaped non-ASCII)', () => {
    expect(plain).toMatch(/^\.TH DOCKWALL 8 /);
    expect(plain).toContain('.SH EXIT STATUS');
    expect(plain).toContain(
      '0 nothing found, 2 findings, 3 nothing found but Docker did not answer, 1 error',
    );
    expect(plain).toContain('.B DOCKER_CERT_PATH');
    expect(page).not.toMatch(/[\u0080-\u{10FFFF}]/u);
  });

  it("exit codes: README's table says what the man page's says, command by command", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const row of EXIT_CODE_TABLE) {
      const commands = row.commands
        .split(', ')
        .map((c) => `\`${c}\``)
        .join(', ');
      expect(readme).toContain(`| ${commands} | ${row.codes} |`);
      expect(plain).toContain(`.B ${row.commands}\n${row.codes.replace(/`/g, '')}\n`);
    }
  });

  it('is shipped by the package (package.json man and files)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.man).toEqual(['./dist/man/man8/dockwall.8']);
    expect(pkg.files).toContain('dist');
  });
});

describe('shell completion', () => {
  const bash = toolGate('bash', 'bash');
  const zsh = toolGate('zsh', 'zsh');
  const fish = toolGate('fish', 'fish');

  /** Completes the words (the last one being typed) with the bash script sourced, like a shell would. */
  function complete(...words: string[]): string[] {
    const script = `source ${JSON.stringify(join(DIST, 'completions/dockwall.bash'))}
COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _dockwall; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script, 'bash', ...words], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  describe.skipIf(bash.skip)('bash', () => {
    beforeAll(() => bash.assertAvailable());

    it('completes the commands', () => {
      expect(complete('dockwall', 'pl')).toEqual(['plan']);
      expect(complete('dockwall', '')).toEqual(
        expect.arrayContaining(['plan', 'apply', 'tls', 'completion']),
      );
    });

    it("completes a command's options, and a subcommand's", () => {
      expect(complete('dockwall', 'plan', '--st')).toEqual(['--state']);
      expect(complete('dockwall', 'tls', '')).toEqual(['ca', 'server', 'client', 'check']);
      // `check` under `tls` is `tls check`, whose options differ from `dockwall check`'s.
      expect(complete('dockwall', 'tls', 'check', '--h')).toEqual(['--host', '--help']);
      expect(complete('dockwall', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    });

    it('leaves the value of an option to file name completion', () => {
      expect(complete('dockwall', 'plan', '-f', '')).toEqual([]);
    });
  });

  describe.skipIf(zsh.skip)('zsh', () => {
    beforeAll(() => zsh.assertAvailable());
    it('the script is valid zsh', () => {
      const r = spawnSync('zsh', ['-n', join(DIST, 'completions/_dockwall')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
  });

  describe.skipIf(fish.skip)('fish', () => {
    beforeAll(() => fish.assertAvailable());
    it('the script is valid fish and completes subcommands and options', () => {
      const file = join(DIST, 'completions/dockwall.fish');
      const syntax = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
      expect(syntax.status, syntax.stderr).toBe(0);
      const r = spawnSync(
        'fish',
        [
          '--no-config',
          '-c',
          `source ${file}; complete -C 'dockwall tls '; complete -C 'dockwall check --st'`,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(
        expect.arrayContaining(['ca', 'server', 'client', 'check', '--state']),
      );
    });
  });
});
