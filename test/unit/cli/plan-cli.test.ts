import { describe, expect, it } from 'vitest';
import { dockwall, tempFile } from './run-cli.js';

const EXAMPLE = [
  '-f',
  'examples/firewalling-docker.yaml',
  '--state',
  'examples/state/seed-host.iptables-save',
];
const SEED = 'test/fixtures/docker-20.10';

describe('dockwall plan', () => {
  it('on the bundled example: changes pending (exit 2), rendered like terraform plan', () => {
    const r = dockwall(['plan', ...EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^dockwall will make these changes:/);
    expect(r.stdout).toContain('+ create chain DOCKWALL-FILTER');
    expect(r.stdout).toContain('~ policy ACCEPT → DROP');
    expect(r.stdout).toMatch(
      /Plan: 12 to add, 1 to change, 0 to remove\.\n\nReachability after this plan:\n/,
    );
  });

  it('--json prints the same plan as data', () => {
    const text = dockwall(['plan', ...EXAMPLE]).stdout;
    const r = dockwall(['plan', ...EXAMPLE, '--json']);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(plan.formatVersion).toBe(1);
    expect(plan.summary).toEqual({ add: 12, change: 1, remove: 0 });
    const inserts = plan.operations.filter((o: { op: string }) => o.op === 'insert-rule');
    for (const o of inserts) expect(text).toContain(o.rule);
  });

  it("the seed's pyfw wishes against 07 plan nothing (exit 0), against 08 the move and the re-insert (exit 2)", () => {
    const wishes = [
      '-f',
      'examples/pyfw-wishes-firewalling-docker.yaml',
      '--ipset-state',
      `${SEED}/07-seed003-wishes-applied.ipset-save`,
    ];
    const applied = dockwall([
      'plan',
      ...wishes,
      '--state',
      `${SEED}/07-seed003-wishes-applied.iptables-save`,
    ]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe('No changes. The host matches the policy.\n');
    const restarted = dockwall([
      'plan',
      ...wishes,
      '--state',
      `${SEED}/08-seed003-after-docker-restart.iptables-save`,
    ]);
    expect(restarted.code).toBe(2);
    expect(restarted.stdout).toContain('~ 7→1');
    expect(restarted.stdout).toContain('Plan: 1 to add, 1 to change, 0 to remove.');
  });

  it('ends with who gains and who loses access; --json carries it; offline without a host model it says why not', () => {
    const host = tempFile(
      'host.json',
      JSON.stringify({
        interfaces: [
          { name: 'lo', addresses: ['127.0.0.1/8'] },
          { name: 'eth0', addresses: ['192.168.122.190/24'] },
          { name: 'docker0', addresses: ['172.17.0.1/16'] },
        ],
        routes: [{ destination: 'default', device: 'eth0', via: '192.168.122.1' }],
      }),
    );
    const args = [
      'plan',
      '-f',
      'examples/pyfw-wishes-firewalling-docker.yaml',
      '--ipset-state',
      `${SEED}/07-seed003-wishes-applied.ipset-save`,
      '--state',
      `${SEED}/08-seed003-after-docker-restart.iptables-save`,
    ];
    expect(dockwall(args).stdout).toMatch(
      /\nReachability: not computed \(offline, the host is unknown: .*\)\.\n$/,
    );
    const text = dockwall([...args, '--host-model', host, '--listen', '22/tcp']).stdout;
    expect(text).toContain(
      'Reachability after this plan:\n  0.0.0.0:8000/tcp published -> 172.17.0.2:80 ipv4 in eth0 to 192.168.122.190:\n    - lose access: every source but 192.168.122.193/32',
    );
    const json = JSON.parse(dockwall([...args, '--host-model', host, '--json']).stdout);
    expect(json.reachability.unchanged).toBe(false);
    const [c] = json.reachability.changes;
    expect(c).toMatchObject({
      port: 8000,
      proto: 'tcp',
      family: 'ipv4',
      interface: 'eth0',
      gained: [],
      depends: [],
    });
    expect(c.lost).toContain('192.0.0.0/9');
    expect(c.lostAllBut).toEqual(['192.168.122.193/32']);
  });

  it('colours only when asked for (FORCE_COLOR) and never with NO_COLOR', () => {
    expect(dockwall(['plan', ...EXAMPLE]).stdout).not.toContain('\u001b[');
    expect(dockwall(['plan', ...EXAMPLE], { NO_COLOR: '', FORCE_COLOR: '1' }).stdout).toContain(
      '\u001b[32m+',
    );
    expect(dockwall(['plan', ...EXAMPLE], { NO_COLOR: '1', FORCE_COLOR: '1' }).stdout).not.toContain(
      '\u001b[',
    );
  });
});

describe('bad input: positioned message, exit 1, nothing planned', () => {
  const expectRefused = (r: ReturnType<typeof dockwall>, where: RegExp, what: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(where);
    expect(r.stderr).toMatch(what);
    expect(r.stdout).not.toMatch(/will make these changes|Plan:/);
  };

  it('malformed YAML', () => {
    const f = tempFile('bad.yaml', 'dockwall: 1\nipv4:\n  filter: [\n');
    expectRefused(
      dockwall(['plan', '-f', f, '--state', 'examples/state/seed-host.iptables-save']),
      new RegExp(`${f}:\\d+:\\d+`),
      /error/,
    );
  });

  it('an unknown key', () => {
    const f = tempFile('bad.yaml', 'dockwall: 1\nfilters:\n  interfaces: [eth0]\n');
    expectRefused(
      dockwall(['plan', '-f', f, '--state', 'examples/state/seed-host.iptables-save']),
      new RegExp(`${f}:2:1`),
      /filters/,
    );
  });

  it('a rule with a COMMIT line smuggled inside it', () => {
    const f = tempFile(
      'bad.yaml',
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - sneaky: "-j ACCEPT\\nCOMMIT\\n*nat"\n',
    );
    expectRefused(
      dockwall(['plan', '-f', f, '--state', 'examples/state/seed-host.iptables-save']),
      new RegExp(`${f}:6:\\d+`),
      /spans 3 lines.*COMMIT/,
    );
  });

  it('an ipset member of the wrong family', () => {
    const f = tempFile(
      'bad.yaml',
      'dockwall: 1\nipsets:\n  hosts:\n    type: hash:ip\n    members: [192.168.1.1, "fd00::1"]\n',
    );
    expectRefused(
      dockwall(['plan', '-f', f, '--state', 'examples/state/seed-host.iptables-save']),
      new RegExp(`${f}:5:\\d+`),
      /fd00::1/,
    );
  });

  it('a dump with junk lines', () => {
    const dump = tempFile(
      'junk.save',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nthis is not iptables\nCOMMIT\n',
    );
    expectRefused(
      dockwall(['plan', ...EXAMPLE.slice(0, 2), '--state', dump]),
      new RegExp(`${dump}:4:1`),
      /error/,
    );
  });

  it('validate --json reports the same problems as data', () => {
    const f = tempFile('bad.yaml', 'dockwall: 1\nfilters: {}\n');
    const r = dockwall(['validate', '-f', f, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.diagnostics[0].pos).toMatchObject({ file: f, line: 2, column: 1 });
  });
});

describe('plan output: error words', () => {
  it('a missing file is "no such file or directory", not ENOENT', () => {
    const r = dockwall(['plan', '-f', 'examples/no-such-policy.yaml', '--state', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read examples/no-such-policy.yaml: no such file or directory');
    expect(r.stderr).not.toContain('ENOENT');
  });
});

describe('dockwall show', () => {
  it('prints a parsed dump back line for line', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of [
      '05-port-range-with-counters.iptables-save',
      '07-seed003-wishes-applied.iptables-save',
    ]) {
      const r = dockwall(['show', '--state', `${SEED}/${f}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(`${SEED}/${f}`, 'utf8'));
    }
  });
});
