import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorFacts, Finding } from '../../src/doctor/index.js';
import { overlaps, parsePrefix } from '../../src/doctor/index.js';
import {
  createLab,
  DOCKWALL_BUNDLE,
  importBusyboxImage,
  labGate,
  probeTcp,
  runContainer,
  startDockerd,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

interface DoctorRun {
  code: number;
  findings: Finding[];
  notes: string[];
  facts: DoctorFacts;
  stdout: string;
  stderr: string;
}

/**
 * `dockwall doctor` against real hosts: one docker host (one dockerd, reused: each problem is made,
 * checked and undone in turn) and one host without Docker whose chains are in iptables-legacy.
 */
describe.skipIf(gate.skip)('doctor on real hosts', () => {
  let lab: Lab;
  let docker: LabHost;
  let other: LabHost;
  let dockerd: Dockerd;
  let daemonJson: string;

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    // The host's own network is 10.200.0.0/24: the first range doctor would otherwise suggest.
    docker = await lab.addHost('docker', {
      address: '10.200.0.10/24',
      extraAddresses: ['fd00:200::10/64'],
      gateway: '10.200.0.1',
    });
    other = await lab.addHost('other', { address: '10.200.0.20/24', extraAddresses: ['fd00:200::20/64'] });
    dockerd = await startDockerd(docker);
    // The lab's own daemon.json (dockerd runs with --config-file pointing at it).
    daemonJson = join(dockerd.dir, 'daemon.json');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  async function doctor(
    host: LabHost,
    args: string[],
    dockerHost = `unix://${dockerd.socketPath}`,
  ): Promise<DoctorRun> {
    const r = await lab.exec(host, [
      'env',
      `DOCKER_HOST=${dockerHost}`,
      'NO_COLOR=1',
      process.execPath,
      DOCKWALL_BUNDLE,
      'doctor',
      ...args,
    ]);
    if (!args.includes('--json'))
      return {
        code: r.code,
        findings: [],
        notes: [],
        facts: {} as DoctorFacts,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    let parsed: { findings: Finding[]; notes: string[]; facts: DoctorFacts };
    try {
      parsed = JSON.parse(r.stdout) as typeof parsed;
    } catch {
      throw new Error(`doctor printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, ...parsed, stdout: r.stdout, stderr: r.stderr };
  }

  const ids = (run: DoctorRun) => run.findings.map((f) => f.id);
  const file = (name: string, text: string) => {
    const path = join(lab.dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('a clean docker host: no findings, exit 0, in JSON and in text', async () => {
    const run = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
    expect(run.findings, run.stdout).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.facts.docker).toMatchObject({ reachable: true });
    expect(run.facts.iptables).toMatchObject({ docker: 'nf_tables', mismatch: false });
    expect(run.facts.daemonJson).toMatchObject({ state: 'ok' });
    const text = await doctor(docker, ['--daemon-json', daemonJson]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('No problems found.');
  });

  it("a VPN route over Docker's subnets: found, and the fix avoids every routed range", async () => {
    await dockerd.dockerChecked(['network', 'create', '--subnet', '192.168.99.0/24', 'legacyapp']);
    // The "VPN": an interface with a route over all of 172.16.0.0/12 and a more specific one into legacyapp.
    await lab.execChecked(docker, ['ip', 'link', 'add', 'vpn0', 'type', 'veth', 'peer', 'name', 'vpn0p']);
    await lab.execChecked(docker, ['ip', 'link', 'set', 'vpn0', 'up']);
    await lab.execChecked(docker, ['ip', 'link', 'set', 'vpn0p', 'up']);
    await lab.execChecked(docker, ['ip', 'route', 'add', '172.16.0.0/12', 'dev', 'vpn0']);
    await lab.execChecked(docker, ['ip', 'route', 'add', '192.168.99.128/25', 'dev', 'vpn0']);
    try {
      // The kernel really sends the containers' addresses out of the VPN.
      const get = await lab.execChecked(docker, ['ip', 'route', 'get', '192.168.99.130']);
      expect(get.stdout).toContain('dev vpn0');

      const run = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
      expect(run.code).toBe(2);
      const overlapsFound = run.findings.filter((f) => f.id === 'subnet-overlap');
      expect(overlapsFound.map((f) => [f.subject, f.severity])).toEqual([
        ['legacyapp', 'error'],
        ['bridge', 'warning'],
      ]);
      expect(ids(run)).toEqual(['subnet-overlap', 'subnet-overlap']);
      expect(overlapsFound[0]!.detail).toContain(
        '192.168.99.128/25 dev vpn0 is as specific as 192.168.99.0/24 or more',
      );
      expect(overlapsFound[1]!.detail).toContain('172.16.0.0/12 dev vpn0 covers 172.17.0.0/16');

      const fix = overlapsFound[0]!.fix;
      const proposed = JSON.parse(fix.slice(fix.indexOf('{'), fix.lastIndexOf('}') + 1)) as {
        bip: string;
        'default-address-pools': Array<{ base: string; size: number }>;
        'deprecated-key-path'?: string;
      };
      // 10.200.0.0/16 holds the host's own network: the suggestion skips it.
      expect(proposed.bip).toBe('10.202.0.1/24');
      expect(proposed['default-address-pools']).toEqual([{ base: '10.201.0.0/16', size: 24 }]);
      expect(proposed['deprecated-key-path']).toBeDefined();
      for (const suggested of [proposed.bip, proposed['default-address-pools'][0]!.base]) {
        const s = parsePrefix(suggested)!;
        for (const r of run.facts.routes ?? []) {
          const p = parsePrefix(r.destination)!;
          if (p.length > 0) expect(overlaps(p, s), `${suggested} vs ${r.destination}`).toBe(false);
        }
      }
    } finally {
      await lab.execChecked(docker, ['ip', 'link', 'del', 'vpn0']);
      await dockerd.dockerChecked(['network', 'rm', 'legacyapp']);
    }
    expect((await doctor(docker, ['--json', '--daemon-json', daemonJson])).findings).toEqual([]);
  });

  it("a VPN's routes in a table of its own (strongSwan's 220) count once an ip rule looks that table up", async () => {
    await lab.execChecked(docker, ['ip', 'link', 'add', 'vpn1', 'type', 'veth', 'peer', 'name', 'vpn1p']);
    await lab.execChecked(docker, ['ip', 'link', 'set', 'vpn1', 'up']);
    // Wider than docker0's 172.17.0.0/16: in main it would lose to Docker's route.
    await lab.execChecked(docker, ['ip', 'route', 'add', '172.16.0.0/12', 'dev', 'vpn1', 'table', '220']);
    try {
      // No rule looks table 220 up yet: the kernel never uses that route.
      const before = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
      expect(before.facts.routes).toContainEqual({
        family: 'ipv4',
        destination: '172.16.0.0/12',
        device: 'vpn1',
        table: '220',
      });
      expect(before.findings.filter((f) => f.id === 'subnet-overlap')).toEqual([]);
      // What strongSwan sets up: table 220 before main. Now the VPN takes the containers' addresses.
      await lab.execChecked(docker, ['ip', 'rule', 'add', 'pref', '220', 'table', '220']);
      const run = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
      expect(run.facts.rules?.ipv4).toContainEqual({ priority: 220, table: '220' });
      const found = run.findings.filter((f) => f.id === 'subnet-overlap');
      expect(found.map((f) => [f.subject, f.severity])).toEqual([['bridge', 'error']]);
      expect(found[0]!.detail).toContain(
        '`ip rule pref 220 from all lookup 220` has table 220 looked up before main',
      );
      // The kernel agrees: a container address is routed into the VPN.
      const got = await lab.execChecked(docker, ['ip', 'route', 'get', '172.17.0.2']);
      expect(got.stdout).toContain('dev vpn1');
    } finally {
      await lab.exec(docker, ['ip', 'rule', 'del', 'pref', '220']);
      await lab.execChecked(docker, ['ip', 'link', 'del', 'vpn1']);
    }
  });

  it('"iptables": false in daemon.json, and a daemon.json that is not JSON', async () => {
    const off = file('iptables-off.json', `${JSON.stringify({ iptables: false }, null, 2)}\n`);
    const run = await doctor(docker, ['--json', '--daemon-json', off]);
    expect(run.code).toBe(2);
    expect(ids(run)).toEqual(['iptables-disabled']);
    expect(run.findings[0]!.detail).toContain('nothing is NATed');
    expect(run.findings[0]!.detail).toContain('bypasses the INPUT rules');
    // dockerd itself runs with Docker's rules: the finding says they are still there.
    expect(run.findings[0]!.detail).toContain("Docker's chains are still in the nf_tables tables");

    const broken = file('broken.json', '{\n  "iptables": false,\n  "bip": "10.9.0.1/24",\n}\n');
    const bad = await doctor(docker, ['--json', '--daemon-json', broken]);
    expect(bad.code).toBe(2);
    expect(bad.findings.map((f) => [f.id, f.title])).toEqual([
      ['daemon-json-invalid', `${broken} is not valid JSON (line 3, column 23)`],
    ]);
    const text = await doctor(docker, ['--daemon-json', broken]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(`${broken}:3:23: trailing comma before }`);
  });

  it('Docker IPv6 with nothing in ip6tables: an unpublished container port is open over IPv6 until ip6tables filters', async () => {
    await importBusyboxImage(dockerd);
    await dockerd.dockerChecked(['network', 'create', '--ipv6', '--subnet', 'fd00:dead:1::/64', 'v6net']);
    // The host forwards IPv6, as a host routing a prefix to its containers does.
    await lab.execChecked(docker, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    await runContainer(dockerd, { name: 'v6web', network: 'v6net' });
    const addr = (
      await dockerd.dockerChecked([
        'inspect',
        '-f',
        '{{.NetworkSettings.Networks.v6net.GlobalIPv6Address}}',
        'v6web',
      ])
    ).trim();
    expect(addr).toMatch(/^fd00:dead:1::/);
    await lab.execChecked(other, ['ip', '-6', 'route', 'add', 'fd00:dead:1::/64', 'via', 'fd00:200::10']);
    try {
      const run = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
      expect(run.code).toBe(2);
      expect(ids(run)).toEqual(['ipv6-unfiltered']);
      expect(run.findings[0]!.detail).toContain('network "v6net" (fd00:dead:1::/64)');
      // What the finding says, for real: port 80 was never published, yet another host reaches it.
      // IPv6 addresses stay tentative (duplicate address detection) for a moment after they appear.
      let reached = await probeTcp(lab, other, addr, 80);
      for (let i = 0; i < 10 && reached !== 'open'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        reached = await probeTcp(lab, other, addr, 80);
      }
      expect(reached).toBe('open');

      // A rule in ip6tables DOCKER-USER, entered from FORWARD: the finding goes, and so does the access.
      for (const argv of [
        ['ip6tables', '-N', 'DOCKER-USER'],
        ['ip6tables', '-A', 'DOCKER-USER', '-i', 'eth0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'],
        ['ip6tables', '-I', 'FORWARD', '-j', 'DOCKER-USER'],
      ]) {
        await lab.execChecked(docker, argv);
      }
      const guarded = await doctor(docker, ['--json', '--daemon-json', daemonJson]);
      expect(guarded.findings).toEqual([]);
      expect(guarded.code).toBe(0);
      expect(await probeTcp(lab, other, addr, 80)).toBe('timeout');
    } finally {
      await lab.exec(docker, ['ip6tables', '-D', 'FORWARD', '-j', 'DOCKER-USER']);
      await lab.exec(docker, ['ip6tables', '-F', 'DOCKER-USER']);
      await lab.exec(docker, ['ip6tables', '-X', 'DOCKER-USER']);
      await dockerd.dockerChecked(['rm', '-f', 'v6web']);
      await dockerd.dockerChecked(['network', 'rm', 'v6net']);
    }
  });

  it("Docker's chains only in iptables-legacy: the variant mismatch, on a host where Docker does not answer", async () => {
    await lab.execChecked(other, ['iptables-legacy', '-N', 'DOCKER']);
    await lab.execChecked(other, ['iptables-legacy', '-N', 'DOCKER-USER']);
    // The `iptables` command (nf_tables) does not see them.
    const own = await lab.exec(other, ['iptables', '-S']);
    expect(own.stdout).not.toContain('DOCKER');

    const run = await doctor(
      other,
      ['--json', '--daemon-json', join(lab.dir, 'none.json')],
      `unix://${join(lab.dir, 'no-docker.sock')}`,
    );
    expect(run.code).toBe(2);
    expect(ids(run)).toEqual(['iptables-variant-mismatch']);
    expect(run.findings[0]!.title).toBe(
      "Docker's chains are in the legacy tables, but `iptables` is nf_tables",
    );
    expect(run.facts.docker).toMatchObject({ reachable: false });
    expect(run.notes.join('\n')).toContain('Docker did not answer');
  });
});
