import { describe, expect, it } from 'vitest';
import type { DockerInventory } from '../../../src/model/index.js';
import { audit, renderAudit, serviceMatrix, type DestinationResult } from '../../../src/sim/index.js';
import { fixtureRuleset } from '../../helpers/fixtures.js';
import { dockerHost, fixture, seedSets } from './hosts.js';
import { groupOf } from './sim-helpers.js';

function dest(results: DestinationResult[], port: number, kind = 'published') {
  const d = results.find((r) => r.destination.hostPort === port && r.destination.kind === kind);
  if (!d) throw new Error(`no destination for port ${port}`);
  return d;
}

describe('audit of fixture 02', () => {
  const report = audit({ rulesets: { ipv4: fixture('02-one-published-port') }, host: dockerHost });

  it('finds the published port in the DNAT rules and sees it open to every source', () => {
    expect(report.interfaces).toEqual(['eth0']);
    const d = dest(report.destinations, 8000);
    expect(d.destination).toEqual({
      kind: 'published',
      family: 'ipv4',
      proto: 'tcp',
      hostIp: '0.0.0.0',
      hostPort: 8000,
      target: { address: '172.17.0.2', port: 80 },
      origin: 'nat-rules',
    });
    expect(d.worldOpen).toBe(true);
    expect(d.probes).toHaveLength(1);
    const p = d.probes[0]!;
    expect([p.interface, p.dst, p.kind]).toEqual(['eth0', '192.168.122.190', 'address']);
    const g = groupOf(p, '8.8.8.8')!;
    expect(g.reachable).toBe(true);
    expect(g.decidedBy).toMatchObject({ kind: 'rule', chain: 'DOCKER', index: 1 });
    expect(groupOf(p, '127.0.0.1')!.verdict).toBe('drop');
    expect(report.findings.map((f) => f.code)).toEqual(['audit.world-open']);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('renders text', () => {
    const lines = renderAudit(report);
    expect(lines[0]).toBe('interfaces: eth0; ipv4 INPUT ACCEPT');
    expect(lines).toContain('0.0.0.0:8000/tcp published -> 172.17.0.2:80  [open to the world]');
    expect(
      lines.some((l) => l.startsWith('    reaches it: 1.0.0.0-126.255.255.255, 128.0.0.0-172.17.0.0')),
    ).toBe(true);
    expect(lines).toContain(
      'info: 0.0.0.0:8000/tcp published -> 172.17.0.2:80 is reachable from every source',
    );
  });

  it('takes published ports from the Docker inventory when given', () => {
    const docker: DockerInventory = {
      networks: [
        {
          id: 'n1',
          name: 'bridge',
          driver: 'bridge',
          bridge: 'docker0',
          subnets: ['172.17.0.0/16'],
          gateways: ['172.17.0.1'],
          internal: false,
        },
      ],
      containers: [
        {
          id: 'c1',
          name: 'web',
          labels: {},
          running: true,
          endpoints: [{ network: 'bridge', ipv4: '172.17.0.2' }],
          ports: [{ hostIp: '0.0.0.0', hostPort: 8000, containerPort: 80, proto: 'tcp' }],
        },
      ],
    };
    const r = audit({
      rulesets: { ipv4: fixture('02-one-published-port') },
      host: { interfaces: [{ name: 'eth0', addresses: ['192.168.122.190/24'] }] },
      docker,
    });
    expect(r.destinations).toHaveLength(1);
    expect(r.destinations[0]!.destination).toMatchObject({ origin: 'docker', container: 'web' });
    expect(r.destinations[0]!.worldOpen).toBe(true);
  });
});

describe('audit of fixture 07 (allowed_hosts_only in place)', () => {
  const report = audit({
    rulesets: { ipv4: fixture('07-seed003-wishes-applied') },
    sets: seedSets(),
    host: dockerHost,
    listening: [
      { port: 22, proto: 'tcp' },
      { port: 3306, proto: 'tcp', family: 'ipv4' },
    ],
  });

  it('only 192.168.122.193 reaches the published port; the rest is rejected by allowed_hosts_only', () => {
    const d = dest(report.destinations, 8000);
    expect(d.worldOpen).toBe(false);
    expect(d.reachableFrom).toEqual(['192.168.122.193/32']);
    const rejected = groupOf(d.probes[0]!, '192.168.122.50')!;
    expect(rejected.verdict).toBe('reject');
    expect(rejected.decidedBy).toMatchObject({ chain: 'DOCKER', index: 1 });
  });

  it('listening ports: ssh is open to all, 3306 to none', () => {
    expect(dest(report.destinations, 22, 'listening').worldOpen).toBe(true);
    const db = dest(report.destinations, 3306, 'listening');
    expect(db.reachableFrom).toEqual([]);
    expect(groupOf(db.probes[0]!, '192.168.122.50')!.decidedBy).toMatchObject({
      kind: 'policy',
      policy: 'INPUT',
    });
    expect(report.inputPolicy).toEqual({ ipv4: 'DROP' });
    expect(report.findings.map((f) => f.code)).toEqual(['audit.world-open']);
  });
});

describe('audit of fixture 08 (after the docker restart)', () => {
  it('flags the published port open to everyone although INPUT drops', () => {
    const report = audit({
      rulesets: { ipv4: fixture('08-seed003-after-docker-restart') },
      sets: seedSets(),
      host: dockerHost,
    });
    expect(dest(report.destinations, 8000).worldOpen).toBe(true);
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'audit.published-port-bypasses-input-drop' }),
    ]);
  });
});

describe('audit of fixture 03 (loopback-bound 9300)', () => {
  const m = serviceMatrix({ rulesets: { ipv4: fixture('03-custom-network-multi-ports') }, host: dockerHost });

  it('9300 is not reachable at the eth0 address, but a link neighbour reaches it through 127.0.0.1', () => {
    const d = dest(m.destinations, 9300);
    expect(d.destination.hostIp).toBe('127.0.0.1');
    expect(d.worldOpen).toBe(false);
    expect(d.reachableFrom).toEqual([]);
    const neighbour = d.probes.find((p) => p.kind === 'link-neighbour')!;
    expect(neighbour.dst).toBe('127.0.0.1');
    expect(groupOf(neighbour, '192.168.122.50')!.reachable).toBe(true);
  });

  it('9200/tcp and 5353/udp are open', () => {
    expect(dest(m.destinations, 9200).worldOpen).toBe(true);
    const dns = dest(m.destinations, 5353);
    expect(dns.destination.proto).toBe('udp');
    expect(dns.worldOpen).toBe(true);
  });

  it('reports the loopback finding', () => {
    const report = audit({ rulesets: { ipv4: fixture('03-custom-network-multi-ports') }, host: dockerHost });
    expect(report.findings.map((f) => f.code)).toContain('audit.loopback-port-reachable-from-link');
  });
});

describe('audit of fixture 06 (IPv6)', () => {
  it('covers both families', () => {
    const report = audit({
      rulesets: {
        ipv4: fixture('06-icc-false-no-userland-proxy-ipv6'),
        ipv6: fixture('06-icc-false-no-userland-proxy-ipv6', 'ipv6'),
      },
      host: dockerHost,
    });
    const v6 = report.destinations.find((r) => r.destination.family === 'ipv6')!;
    expect(v6.destination).toMatchObject({
      hostIp: '::',
      hostPort: 8000,
      target: { address: 'fd00:dead:beef::242:ac11:2', port: 80 },
    });
    expect(v6.probes[0]!.dst).toBe('2001:db8:122::190');
    expect(v6.worldOpen).toBe(true);
    expect(report.classes.ipv6).toBeGreaterThan(1);
  });
});

describe('audit on Docker 28+ and without IPv6 state', () => {
  const host = {
    interfaces: [
      { name: 'eth0', addresses: ['192.168.122.190/24'] },
      { name: 'docker0', addresses: ['172.17.0.1/16'] },
      { name: 'bridge1', addresses: ['192.0.2.1/24'] },
    ],
    routes: [{ destination: 'default', device: 'eth0', via: '192.168.122.1' }],
  };
  const rulesets = { ipv4: fixtureRuleset('docker-28.5.2/usernet-portmap-lo.iptables-save') };

  it("a bridge with its own name (bridge1) is known from Docker's chains, not taken for an outside interface", () => {
    const report = audit({ rulesets, host });
    expect(report.interfaces).toEqual(['eth0']);
    expect(report.destinations.flatMap((d) => d.probes.map((p) => p.interface))).not.toContain('bridge1');
  });

  it('a [::]:22 row says there is no IPv6 state instead of printing nothing', () => {
    const report = audit({ rulesets, host, listening: [{ port: 22, proto: 'tcp', family: 'ipv6' }] });
    const row = report.destinations.find((d) => d.destination.family === 'ipv6')!;
    expect(row.probes).toEqual([]);
    expect(row.unchecked).toBe('no IPv6 state: no ip6tables rules were read');
    const lines = renderAudit(report);
    expect(lines[lines.indexOf('[::]:22/tcp listening') + 1]).toBe(
      '  not checked: no IPv6 state: no ip6tables rules were read',
    );
  });
});
