import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { watchUnit, type WatchUnitOptions } from '../../../src/export/index.js';
import { repoRoot } from '../../helpers/fixtures.js';
import { toolGate } from '../../helpers/tool-gate.js';
import { dockwall, tempFile } from '../cli/run-cli.js';

const BUNDLE = join(repoRoot, 'dist/dockwall.cjs');
const STANDARD: WatchUnitOptions = {
  execStart: [process.execPath, BUNDLE],
  policyFile: '/etc/dockwall/policy.yaml',
  stateDir: '/var/lib/dockwall',
};

/** docker.service as Debian ships it, as far as ordering goes: after network-online.target. */
const DEBIAN_DOCKER = `[Unit]
Description=Docker Application Container Engine (ordering as Debian's)
After=network-online.target docker.socket firewalld.service containerd.service
Wants=network-online.target containerd.service

[Service]
ExecStart=/bin/true
`;

const systemd = toolGate('systemd-analyze', 'systemd');
const hasMan = spawnSync('sh', ['-c', 'command -v man'], { encoding: 'utf8' }).status === 0;

/**
 * The unit beside Debian's docker.service and a target that starts both (so `verify` builds the
 * transaction where an ordering cycle would show), with our man page on MANPATH.
 */
function verify(unitText: string): { code: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-unit-'));
  writeFileSync(join(dir, 'dockwall.service'), unitText);
  writeFileSync(join(dir, 'docker.service'), DEBIAN_DOCKER);
  writeFileSync(
    join(dir, 'probe.target'),
    '[Unit]\nDescription=both\nWants=dockwall.service docker.service\n',
  );
  const r = spawnSync(
    'systemd-analyze',
    ['verify', `--man=${hasMan ? 'yes' : 'no'}`, join(dir, 'dockwall.service'), join(dir, 'probe.target')],
    {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:`, MANPATH: join(repoRoot, 'dist/man') },
    },
  );
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(systemd.skip)('install-service: the unit under systemd-analyze', () => {
  beforeAll(() => systemd.assertAvailable());

  it('verify is clean: no ordering cycle with docker.service, and the man page it names is shipped', () => {
    const unit = watchUnit(STANDARD);
    expect(unit.text).toContain('Documentation=man:dockwall(8)');
    expect(existsSync(join(repoRoot, 'dist/man/man8/dockwall.8'))).toBe(true);
    const r = verify(unit.text);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('verify finds the cycle the old ordering made (the check can fail)', () => {
    const old = watchUnit(STANDARD).text.replace(
      'After=docker.service',
      'After=docker.service\nBefore=network-online.target',
    );
    expect(verify(old).output).toMatch(/ordering cycle/);
  });

  it('security rates it at most 2.5', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-unit-'));
    writeFileSync(join(dir, 'dockwall.service'), watchUnit(STANDARD).text);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', join(dir, 'dockwall.service')], {
      encoding: 'utf8',
    });
    const m = /Overall exposure level for dockwall\.service: (\d+\.\d)/.exec(r.stdout + r.stderr);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.5);
  });

  it('% and $ in paths are escaped, and paths with spaces and quotes are quoted', () => {
    // An executable under a directory whose name holds a specifier, a `$` and a space.
    const dir = join(mkdtempSync(join(tmpdir(), 'dockwall-unit-')), 'node %Z $HOME x');
    mkdirSync(dir);
    symlinkSync(process.execPath, join(dir, 'node'));
    const unit = watchUnit({
      execStart: [join(dir, 'node'), '/opt/dock "wall"/dockwall.cjs'],
      policyFile: '/etc/dockwall/a %Z $HOME b.yaml',
      stateDir: '/srv/dockwall %Z',
    });
    expect(unit.text).toContain('"/etc/dockwall/a %%Z $$HOME b.yaml"');
    expect(unit.text).toContain('"/opt/dock \\"wall\\"/dockwall.cjs"');
    expect(unit.text).toContain('ReadWritePaths="/srv/dockwall %%Z"');
    // An unescaped %Z is an unknown specifier: verify would fail on it.
    const r = verify(unit.text);
    expect(r.output).toBe('');
  });
});

describe('install-service: the unit', () => {
  it('creates /var/lib/dockwall (StateDirectory=) and is not ordered before the network', () => {
    const { text } = watchUnit(STANDARD);
    expect(text).toContain('StateDirectory=dockwall\n');
    expect(text).not.toMatch(/^Before=/m);
    expect(text).toMatch(/^ProtectHome=yes$/m);
    expect(text).toMatch(/^PrivateTmp=yes$/m);
  });

  it("gives the launcher's V8 code cache a directory of the service's own (ProtectHome hides ~/.cache)", () => {
    const { text } = watchUnit(STANDARD);
    expect(text).toMatch(/^CacheDirectory=dockwall$/m);
    expect(text).toMatch(/^CacheDirectoryMode=0700$/m);
    expect(text).toMatch(/^Environment=XDG_CACHE_HOME=\/var\/cache\/dockwall$/m);
  });

  it('relaxes ProtectHome/PrivateTmp, saying why, when a file lives where they hide it', () => {
    const home = watchUnit({ ...STANDARD, policyFile: '/root/policy.yaml' });
    expect(home.text).toMatch(/^ProtectHome=read-only$/m);
    expect(home.relaxed).toEqual([
      'the policy (/root/policy.yaml) is under /root: ProtectHome=read-only instead of yes',
    ]);
    const tmp = watchUnit({ ...STANDARD, execStart: [process.execPath, '/tmp/x/dockwall.cjs'] });
    expect(tmp.text).toMatch(/^PrivateTmp=no$/m);
    expect(tmp.relaxed[0]).toMatch(/is under \/tmp: PrivateTmp=no instead of yes/);
  });

  it('runs node with its memory flags between node and the script, and sets malloc up for a sleeper', () => {
    const { text } = watchUnit(STANDARD);
    expect(text).toMatch(
      new RegExp(
        `^ExecStart=\\S+ --max-semi-space-size=1 --lite-mode --no-expose-wasm \\S+/dockwall\\.cjs watch -f `,
        'm',
      ),
    );
    expect(text).toMatch(/^Environment=MALLOC_ARENA_MAX=2$/m);
    expect(text).toMatch(/^Environment=MALLOC_TRIM_THRESHOLD_=131072$/m);
    expect(text).toMatch(/^Environment=MALLOC_MMAP_THRESHOLD_=32768$/m);
    // A dockwall executable of its own (no node before it) gets no node flags.
    expect(watchUnit({ ...STANDARD, execStart: ['/usr/local/bin/dockwall'] }).text).toMatch(
      /^ExecStart=\/usr\/local\/bin\/dockwall watch -f /m,
    );
    expect(watchUnit({ ...STANDARD, nodeFlags: [] }).text).toMatch(
      /^ExecStart=\S+ \S+\/dockwall\.cjs watch /m,
    );
  });

  it('refuses an executable name systemd would not run', () => {
    expect(watchUnit({ ...STANDARD, execStart: ['/opt/"x"/node', BUNDLE] }).error).toMatch(
      /quote, a backslash/,
    );
  });

  it('--dry-run with a missing policy fails (exit 1) with a clear message and prints no unit', () => {
    const r = dockwall(['install-service', '-f', 'examples/missing.yaml', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot read ${join(repoRoot, 'examples/missing.yaml')}: no such file or directory`,
    );
    expect(r.stdout).toBe('');
  });

  it('--dry-run with an invalid policy fails with a positioned error', () => {
    const bad = tempFile('bad.yaml', 'dockwall: 1\nfilter:\n  alow: []\n');
    const r = dockwall(['install-service', '-f', bad, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:3:3/);
  });

  it('--dry-run warns when the policy lives under /tmp, and prints the adjusted unit', () => {
    const policy = tempFile('policy.yaml', 'dockwall: 1\n');
    const r = dockwall(['install-service', '-f', policy, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the policy \(.*\) is under \/tmp: PrivateTmp=no instead of yes/);
    expect(r.stdout).toMatch(/^PrivateTmp=no$/m);
  });
});
