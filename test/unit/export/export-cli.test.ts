import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerExport } from '../../../src/cli/commands/export.js';
import { CliContext } from '../../../src/cli/context.js';
import { CliError } from '../../../src/cli/exit-codes.js';
import { makePaint } from '../../../src/cli/output.js';
import { loadPolicy } from '../../../src/policy/index.js';

const RESTORE_EXAMPLE = ['export', '--format', 'restore', '-f', 'examples/firewalling-docker.yaml'];
const SEED07 = 'test/fixtures/docker-20.10/07-seed003-wishes-applied';

/** Runs `dockwall ARGS` in process, capturing what it prints and its exit code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const output = {
    out: (t: string) => void out.push(t),
    err: (t: string) => void err.push(t),
    color: false,
    paint: makePaint(false),
  };
  const run = async (fn: (ctx: CliContext) => Promise<number>) => {
    const ctx = new CliContext(output, { NO_COLOR: '1' });
    try {
      code = await fn(ctx);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      ctx.flushDiagnostics();
      err.push(`dockwall: ${e.message}\n`);
      code = e.code;
    }
  };
  const program = new Command('dockwall')
    .exitOverride()
    .configureOutput({ writeErr: (t) => void err.push(t), writeOut: (t) => void out.push(t) });
  registerExport(program, run);
  await program.parseAsync(['node', 'dockwall', ...args]);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('dockwall export', () => {
  it('prints several files one after the other, each under its install path', async () => {
    const r = await cli(['export', '--format', 'restore', '-f', 'examples/firewalling-docker.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^==> \/etc\/dockwall\/iptables\.rules <==\n# IPv4 firewall/);
    expect(r.stdout).toContain('\n==> /etc/dockwall/ipsets.save <==\n');
  });

  it('-o DIR --unit writes the rules, the sets and the systemd unit', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dockwall-export-')), 'out');
    const r = await cli([...RESTORE_EXAMPLE, '--unit', '-o', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'dockwall-restore.service',
      'ip6tables.rules',
      'ipsets.save',
      'iptables.rules',
    ]);
    // The unit and the files' hints name where the files were written.
    expect(readFileSync(join(dir, 'dockwall-restore.service'), 'utf8')).toContain(
      `ExecStart=/sbin/iptables-restore --wait -n ${join(dir, 'iptables.rules')}`,
    );
    expect(r.stderr).toContain(`wrote ${join(dir, 'iptables.rules')}: IPv4 rules`);
    // export -o: single.rules, into a directory: each file's hints name the paths written.
    expect(readFileSync(join(dir, 'iptables.rules'), 'utf8')).toContain(
      `# Load with: iptables-restore -n ${join(dir, 'iptables.rules')}`,
    );
    expect(readFileSync(join(dir, 'ipsets.save'), 'utf8')).toContain(
      `ipset -exist -file ${join(dir, 'ipsets.save')} restore`,
    );
  });

  it('a single file goes to -o FILE; a dump with its sets exports to nft', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dockwall-export-')), 'rules.nft');
    const r = await cli([
      'export',
      '--format',
      'nft',
      '--state',
      `${SEED07}.iptables-save`,
      '--ipset-state',
      `${SEED07}.ipset-save`,
      '-o',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toContain(
      'ip saddr != @allowed_hosts counter reject comment "allowed_hosts_only"',
    );
  });

  it('fails (exit 1, nothing written) when a rule cannot be exported, naming it', async () => {
    const r = await cli([
      'export',
      '--format',
      'restore',
      '-f',
      'examples/pyfw-wishes-firewalling-docker.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'ipv4 filter DOCKER rule "allowed_hosts_only" is in Docker\'s chain DOCKER, which a restore file must not name',
    );
    expect(r.stderr).toContain('dockwall: cannot export to restore: 2 errors; nothing was changed');
  });

  it("ferm of the seed's pyfw wishes: exit 0, each rule moved to DOCKER-USER explained on stderr", async () => {
    const r = await cli(['export', '--format', 'ferm', '-f', 'examples/pyfw-wishes-firewalling-docker.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('chain DOCKER-USER {');
    expect(r.stderr.match(/^info\[export\.ferm-moved-to-docker-user\]/gm)).toHaveLength(2);
  });

  it('pf from the VM options alone, with the plist; refuses a Linux dump and misplaced options', async () => {
    const r = await cli([
      'export',
      '--format',
      'pf',
      '--vm-interface',
      'vboxnet1',
      '--nfs-ports',
      '111,2049',
      '--unit',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vm_if = "{ vboxnet1 }"');
    expect(r.stdout).toContain('==> /Library/LaunchDaemons/org.dockwall.pfctl.plist <==');
    expect((await cli(['export', '--format', 'pf', '--state', `${SEED07}.iptables-save`])).stderr).toContain(
      'not from a Linux rule dump',
    );
    expect(
      (
        await cli([
          'export',
          '--format',
          'nft',
          '-f',
          'examples/firewalling-docker.yaml',
          '--vm-subnet',
          '10.0.0.0/8',
        ])
      ).code,
    ).toBe(1);
    expect((await cli(['export', '--format', 'yaml', '-f', 'x'])).stderr).toContain('unknown format "yaml"');
    expect((await cli(['export', '--format', 'nft'])).stderr).toContain(
      'give either -f POLICY or --state DUMP',
    );
  });
});

describe('export -o: single.rules', () => {
  it('refuses to make a directory of a file name when the export is several files; nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-export-'));
    const file = join(dir, 'single.rules');
    const r = await cli([...RESTORE_EXAMPLE, '-o', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `this export is 3 files (iptables.rules, ip6tables.rules, ipsets.save): -o ${file} names a file; give a directory to write them into`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('writes a single file to the name given, and its "load with" hint names that file', async () => {
    const policy = join(mkdtempSync(join(tmpdir(), 'dockwall-export-')), 'p.yaml');
    writeFileSync(
      policy,
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - ssh: -p tcp --dport 22 -j ACCEPT\n',
    );
    const file = join(dirname(policy), 'single.rules');
    const r = await cli(['export', '--format', 'restore', '-f', policy, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`# Load with: iptables-restore -n ${file}`);
    expect(text).not.toContain('/etc/dockwall');
    expect(r.stderr).toContain(`wrote ${file}: IPv4 rules: load with \`iptables-restore -n ${file}\``);
  });
});

describe('dockwall import pyfw', () => {
  it('writes the converted policy, which loads; the explanations go to stderr', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dockwall-import-')), 'policy.yaml');
    const r = await cli(['import', 'pyfw', 'examples/pyfw-wishes-firewalling-docker.yaml', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('info[import.moved-to-docker-user]');
    const loaded = loadPolicy(readFileSync(file, 'utf8'), file);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.value!.families.ipv4!.tables[0]!.chains.map((c) => c.name)).toEqual([
      'INPUT',
      'FORWARD',
      'DOCKER-USER',
    ]);
  });

  it('--json gives the policy and the diagnostics', async () => {
    const r = await cli(['import', 'pyfw', 'examples/pyfw-wishes-firewalling-docker.yaml', '--json']);
    const data = JSON.parse(r.stdout) as { policy: string; diagnostics: Array<{ code: string }> };
    expect(data.policy).toMatch(/^# Converted from/);
    expect(data.diagnostics.map((d) => d.code)).toContain('import.moved-to-docker-user');
  });
});
