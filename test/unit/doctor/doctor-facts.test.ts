import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ApiNetwork, InfoResult } from '../../../src/docker/index.js';
import { diagnose } from '../../../src/doctor/index.js';
import { gatherDoctorFacts, type FileReader } from '../../../src/host/index.js';
import { fakeRunner } from '../host/fake-runner.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/docker-20.10/${name}`, import.meta.url), 'utf8');
const NETWORKS = JSON.parse(fixture('05-port-range.networks.json')) as ApiNetwork[];
const DOCKER_SAVE = fixture('02-one-published-port.iptables-save');

function files(map: Record<string, string>): FileReader & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    readText: async (path) => {
      read.push(path);
      if (path === '/forbidden')
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return map[path];
    },
  };
}

const docker = (info: Partial<InfoResult> = {}) => ({
  info: async (): Promise<InfoResult> => ({ serverVersion: '20.10.24', raw: {}, ...info }),
  listNetworks: async () => NETWORKS,
});

const ROUTES_V4 = JSON.stringify([
  { dst: 'default', gateway: '192.168.122.1', dev: 'eth0', flags: [] },
  { dst: '10.9.9.9', dev: 'tun0', scope: 'link', flags: [] },
  { dst: '172.16.0.0/12', dev: 'tun0', scope: 'link', flags: [] },
  {
    dst: '172.17.0.0/16',
    dev: 'docker0',
    protocol: 'kernel',
    scope: 'link',
    prefsrc: '172.17.0.1',
    flags: ['linkdown'],
  },
  { type: 'blackhole', dst: '192.168.99.0/24', flags: [] },
  // A VPN's own table, and the local table (the host's own addresses), which is left out.
  { dst: '172.20.0.0/16', dev: 'ipsec0', table: '220', flags: [] },
  { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local', protocol: 'kernel', flags: [] },
  { type: 'broadcast', dst: '172.17.255.255', dev: 'docker0', table: 'local', flags: [] },
]);
const ROUTES_V6 = JSON.stringify([
  { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
  { type: 'unreachable', dst: 'fd00:9::/64', dev: 'lo', metric: 1024, flags: [], pref: 'medium' },
]);

// strongSwan's table 220 before main, and wg-quick's pair of rules (as `ip -4 -j rule show` prints them).
const RULES_V4 = JSON.stringify([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 220, src: 'all', table: '220' },
  { priority: 32764, src: 'all', table: 'main', suppress_prefixlen: 0 },
  { priority: 32765, not: null, src: 'all', fwmark: '0xca6c', table: '51820' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
]);
const RULES_V6 = JSON.stringify([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 100, src: 'fd00:1::', srclen: 64, ipproto: 'tcp', table: '7' },
  { priority: 200, src: 'all', dst: 'fd00:9::', dstlen: 64, action: 'unreachable' },
  { priority: 32766, src: 'all', table: 'main' },
]);

/** A Docker 20.10 host on nf_tables, with ufw and firewall-cmd missing. */
function hostReplies(extra: Record<string, Parameters<typeof fakeRunner>[0][string]> = {}) {
  return {
    'ip -4 -j route show table all': { stdout: ROUTES_V4 },
    'ip -6 -j route show table all': { stdout: ROUTES_V6 },
    'ip -4 -j rule show': { stdout: RULES_V4 },
    'ip -6 -j rule show': { stdout: RULES_V6 },
    'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
    'iptables-save': { stdout: DOCKER_SAVE },
    'iptables-legacy-save': { stdout: '' },
    'iptables-save -t filter': { stdout: DOCKER_SAVE },
    'ip6tables-save': { stdout: '' },
    'nft list tables': { stdout: 'table ip filter\ntable ip nat\n' },
    ...extra,
  };
}

const PROC = { '/proc/sys/net/ipv4/ip_forward': '1\n', '/proc/sys/net/ipv6/conf/all/forwarding': '0\n' };

describe('gatherDoctorFacts', () => {
  it('doctor labels IPv6 routes as IPv4 no more: routes are read with -4 and -6, an IPv6 route in the IPv4 listing is left to -6', async () => {
    const both = JSON.stringify([...JSON.parse(ROUTES_V4), ...JSON.parse(ROUTES_V6)]);
    const runner = fakeRunner(hostReplies({ 'ip -4 -j route show table all': { stdout: both } }));
    const facts = await gatherDoctorFacts({ runner, files: files(PROC), docker: docker() });
    const v6 = facts.routes!.filter((r) => r.destination.includes(':'));
    expect(v6.map((r) => [r.family, r.destination])).toEqual([
      ['ipv6', 'fe80::/64'],
      ['ipv6', 'fd00:9::/64'],
    ]);
  });

  it('reads routes of both families, Docker, daemon.json, variants, managers, ip6tables, nft and forwarding', async () => {
    const runner = fakeRunner(hostReplies());
    const f = files({ ...PROC, '/etc/docker/daemon.json': '{ "log-level": "warn" }' });
    const facts = await gatherDoctorFacts({ runner, files: f, docker: docker() });
    expect(facts.routes).toEqual([
      { family: 'ipv4', destination: '0.0.0.0/0', device: 'eth0', via: '192.168.122.1' },
      { family: 'ipv4', destination: '10.9.9.9/32', device: 'tun0' },
      { family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' },
      { family: 'ipv4', destination: '172.17.0.0/16', device: 'docker0', protocol: 'kernel' },
      { family: 'ipv4', destination: '192.168.99.0/24', type: 'blackhole' },
      { family: 'ipv4', destination: '172.20.0.0/16', device: 'ipsec0', table: '220' },
      { family: 'ipv6', destination: 'fe80::/64', device: 'eth0', protocol: 'kernel', metric: 256 },
      { family: 'ipv6', destination: 'fd00:9::/64', device: 'lo', type: 'unreachable', metric: 1024 },
    ]);
    expect(facts.rules).toEqual({
      ipv4: [
        { priority: 0, table: 'local' },
        { priority: 220, table: '220' },
        { priority: 32764, table: 'main', suppressPrefixLength: 0 },
        { priority: 32765, table: '51820', fwmark: '0xca6c', not: true },
        { priority: 32766, table: 'main' },
        { priority: 32767, table: 'default' },
      ],
      ipv6: [
        { priority: 0, table: 'local' },
        { priority: 100, table: '7', from: 'fd00:1::/64', otherSelectors: ['ipproto tcp'] },
        { priority: 200, action: 'unreachable', to: 'fd00:9::/64' },
        { priority: 32766, table: 'main' },
      ],
    });
    expect(facts.docker).toMatchObject({ reachable: true, serverVersion: '20.10.24' });
    expect(facts.docker.reachable && facts.docker.networks.map((n) => [n.name, n.bridge, n.subnets])).toEqual(
      [
        ['bridge', 'docker0', ['172.17.0.0/16']],
        ['esnet', expect.stringMatching(/^br-[0-9a-f]{12}$/), ['172.18.0.0/16']],
        ['internalnet', expect.stringMatching(/^br-[0-9a-f]{12}$/), ['172.19.0.0/16']],
      ],
    );
    expect(facts.daemonJson).toEqual({
      path: '/etc/docker/daemon.json',
      state: 'ok',
      config: { 'log-level': 'warn' },
    });
    expect(facts.iptables).toEqual({
      command: 'nf_tables',
      version: '1.8.9',
      docker: 'nf_tables',
      mismatch: false,
    });
    expect(facts.ufw).toEqual({ active: false, evidence: 'no ufw chains in iptables-save' });
    expect(facts.firewalld).toEqual({ active: false, evidence: 'no /run/firewalld/firewalld.pid' });
    expect(facts.ip6Filter).toEqual({
      dockerChains: false,
      dockerUser: 'missing',
      forwardFilters: 0,
      forwardAccepts: 0,
    });
    expect(facts.nftTables).toEqual(['ip filter', 'ip nat']);
    expect(facts.forwarding).toEqual({ ipv4: true, ipv6: false });
    expect(facts.unread).toEqual([]);
    // The VPN route over docker0's subnet is found from these facts.
    expect(diagnose(facts).findings.map((x) => [x.id, x.subject])).toEqual([
      ['subnet-overlap', 'bridge'],
      ['subnet-overlap', 'esnet'],
      ['subnet-overlap', 'internalnet'],
    ]);
  });

  it('tolerates every missing piece: no ip, no iptables, no Docker, no daemon.json, no /proc', async () => {
    const facts = await gatherDoctorFacts({
      runner: fakeRunner({}),
      files: files({}),
      daemonJsonPath: '/x/daemon.json',
    });
    expect(facts.routes).toBeUndefined();
    expect(facts.docker).toEqual({ reachable: false, error: 'no Docker endpoint given' });
    expect(facts.daemonJson).toEqual({ path: '/x/daemon.json', state: 'missing' });
    expect(facts.iptables).toBeUndefined();
    expect(facts.ip6Filter).toBeUndefined();
    expect(facts.nftTables).toBeUndefined();
    expect(facts.forwarding).toEqual({});
    expect(facts.unread.join('\n')).toMatch(
      /ipv4 routes \(`ip -4 -j route show table all`: ip: command not found\)/,
    );
    expect(facts.unread.join('\n')).toMatch(/ipv4 routing rules \(`ip -4 -j rule show`/);
    expect(facts.rules).toBeUndefined();
    expect(facts.unread.join('\n')).toMatch(/the iptables variants/);
    expect(facts.unread.join('\n')).toMatch(/ip6tables/);
    const report = diagnose(facts);
    expect(report.findings).toEqual([]);
    expect(report.notes.length).toBeGreaterThanOrEqual(5);
  });

  it('Docker failing is a fact; daemon.json broken or unreadable is a fact', async () => {
    const failing = {
      info: async () => {
        throw new Error(
          'cannot talk to the Docker daemon at unix:///var/run/docker.sock: connect ECONNREFUSED',
        );
      },
      listNetworks: async () => [],
    };
    const bad = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies()),
      files: files({ ...PROC, '/d.json': '{\n  "iptables": false,\n}' }),
      docker: failing,
      daemonJsonPath: '/d.json',
    });
    expect(bad.docker).toEqual({ reachable: false, error: expect.stringContaining('ECONNREFUSED') });
    expect(bad.daemonJson).toEqual({
      path: '/d.json',
      state: 'invalid',
      error: 'trailing comma before }',
      line: 2,
      column: 20,
    });
    const unreadable = await gatherDoctorFacts({
      runner: fakeRunner({}),
      files: files({}),
      daemonJsonPath: '/forbidden',
    });
    expect(unreadable.daemonJson).toEqual({
      path: '/forbidden',
      state: 'unreadable',
      error: 'permission denied',
    });
  });

  it('ufw: `ufw status` when installed, its chains in iptables-save otherwise', async () => {
    const active = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies({ 'ufw status': { stdout: 'Status: active\n\nTo Action From\n' } })),
      files: files(PROC),
    });
    expect(active.ufw).toEqual({ active: true, evidence: 'ufw status: active' });
    const ufwSave =
      '*filter\n:INPUT DROP [0:0]\n:ufw-before-input - [0:0]\n-A INPUT -j ufw-before-input\nCOMMIT\n';
    const byChains = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies({ 'iptables-save -t filter': { stdout: ufwSave } })),
      files: files(PROC),
    });
    expect(byChains.ufw).toEqual({
      active: true,
      evidence: 'INPUT jumps to ufw-before-input (iptables-save)',
    });
  });

  it('firewalld: firewall-cmd --state, else its pid file and process, else what dockerd reports', async () => {
    const running = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies({ 'firewall-cmd --state': { stdout: 'running\n' } })),
      files: files(PROC),
    });
    expect(running.firewalld).toEqual({ active: true, evidence: 'firewall-cmd --state: running' });
    const stopped = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies({ 'firewall-cmd --state': { code: 252, stdout: 'not running\n' } })),
      files: files(PROC),
    });
    expect(stopped.firewalld?.active).toBe(false);
    const pidFile = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies()),
      files: files({
        ...PROC,
        '/run/firewalld/firewalld.pid': '812\n',
        '/proc/812/cmdline': '/usr/bin/python3\0/usr/sbin/firewalld\0--nofork\0',
      }),
    });
    expect(pidFile.firewalld).toEqual({
      active: true,
      evidence: '/run/firewalld/firewalld.pid names running process 812',
    });
    const stale = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies()),
      files: files({ ...PROC, '/run/firewalld/firewalld.pid': '812\n' }),
    });
    expect(stale.firewalld?.active).toBe(false);
    const fromDocker = await gatherDoctorFacts({
      runner: fakeRunner(hostReplies()),
      files: files(PROC),
      docker: docker({ firewallBackend: 'iptables+firewalld', firewallDriver: 'iptables+firewalld' }),
    });
    expect(fromDocker.firewalld?.active).toBe(true);
  });

  it("reads ip6tables of the variant holding Docker's chains when the variants differ", async () => {
    const runner = fakeRunner(
      hostReplies({
        'iptables-save': { stdout: fixture('09-legacy-backend.iptables-nft-save-with-warning') },
        'iptables-legacy-save': { stdout: fixture('09-legacy-backend.iptables-legacy-save') },
        'ip6tables-legacy-save': {
          stdout:
            '*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j DROP\nCOMMIT\n',
        },
      }),
    );
    const facts = await gatherDoctorFacts({ runner, files: files(PROC) });
    expect(facts.iptables).toMatchObject({ command: 'nf_tables', docker: 'legacy', mismatch: true });
    expect(runner.calls.map((c) => c.argv.join(' '))).toContain('ip6tables-legacy-save');
    expect(facts.ip6Filter).toMatchObject({ dockerUser: 'rules', forwardPolicy: 'DROP' });
    expect(diagnose(facts).findings.map((x) => x.id)).toContain('iptables-variant-mismatch');
  });
});
