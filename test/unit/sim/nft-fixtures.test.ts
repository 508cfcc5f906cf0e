import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerInventory, HostModel } from '../../../src/model/index.js';
import { parseNftJson } from '../../../src/parse/index.js';
import { audit, simulate, type Packet, type SimInput, type Trace } from '../../../src/sim/index.js';
import { NFT_FIXTURE_DIR, NFT_SCENARIOS, repoRoot } from '../../helpers/fixtures.js';
import { match, meta, nft, payload } from './nft-build.js';

/**
 * The rule sets Docker 29.7.2 wrote with --firewall-backend=nftables, and what real TCP connects
 * from a host on the docker host's link gave (test/fixtures/docker-29.7.2-nftables/README.md).
 */

const DIR = join(repoRoot, NFT_FIXTURE_DIR);

interface Recorded {
  from: string;
  to: string;
  port: number;
  result: 'open' | 'refused' | 'timeout';
}

function load(name: string): SimInput {
  const read = (f: string) => readFileSync(join(DIR, name, f), 'utf8');
  const nft = parseNftJson(read('ruleset.json'), { file: `${name}/ruleset.json` });
  return {
    rulesets: {},
    nft: nft.value!,
    host: JSON.parse(read('host.json')) as HostModel,
    docker: JSON.parse(read('docker.json')) as DockerInventory,
  };
}

const OUTSIDE = '192.168.122.193';
const DOCKER_HOST = '192.168.122.190';

function packet(from: string, to: string, port: number): Packet {
  const family = to.includes(':') ? 'ipv6' : 'ipv4';
  const p: Packet = { family, src: from, dst: to, proto: 'tcp', sport: 40000, dport: port };
  if (from === OUTSIDE) {
    p.in = 'eth0';
    if (family === 'ipv6') p.src = 'fd00:1::193';
  } else p.local = true;
  return p;
}

/** What the kernel's answer means for the walk: open and refused were accepted (refused: nobody listened). */
function agrees(t: Trace, r: Recorded['result']): boolean {
  if (r === 'timeout') return t.verdict === 'drop';
  if (r === 'refused') return t.verdict === 'reject' || (t.verdict === 'accept' && t.delivered === 'local');
  return t.verdict === 'accept';
}

describe('Docker 29.7.2 nftables rule sets: the walk agrees with real traffic', () => {
  for (const name of NFT_SCENARIOS) {
    it(`${name}: every recorded probe`, () => {
      const input = load(name);
      const probes = JSON.parse(readFileSync(join(DIR, name, 'probes.json'), 'utf8')) as Recorded[];
      for (const p of probes) {
        const t = simulate(input, packet(p.from, p.to, p.port));
        expect(
          agrees(t, p.result),
          `${p.from} -> ${p.to}:${p.port} was ${p.result}, walk says ${t.verdict}`,
        ).toBe(true);
      }
    });
  }
});

describe('Docker 29.7.2 nftables rule sets: what decides', () => {
  const portmap = load('usernet-portmap');

  it('a packet from outside to a published port is DNATed and accepted by the per-network chain', () => {
    const t = simulate(portmap, packet(OUTSIDE, DOCKER_HOST, 8080));
    expect(t.verdict).toBe('accept');
    expect(t.rewrites).toEqual([
      expect.objectContaining({
        kind: 'dnat',
        to: '192.0.2.2:80',
        table: 'ip docker-bridges',
        chain: 'nat-prerouting-and-output',
      }),
    ]);
    expect(t.delivered).toBe('forward');
    expect(t.outInterface).toBe('bridge1');
    expect(t.decidedBy).toMatchObject({
      kind: 'rule',
      chain: 'filter-forward-in__bridge1',
      rule: 'ip daddr 192.0.2.2 tcp dport 80 counter accept',
    });
  });

  it('iifname at postrouting is the input interface: a container on docker0 reaching a published port on bridge1 is masqueraded (as the kernel did in the lab)', () => {
    const t = simulate(portmap, { ...packet(OUTSIDE, DOCKER_HOST, 8080), src: '172.17.0.5', in: 'docker0' });
    expect(t.verdict).toBe('accept');
    expect(t.rewrites.map((r) => [r.kind, r.to, r.chain])).toEqual([
      ['dnat', '192.0.2.2:80', 'nat-prerouting-and-output'],
      ['masquerade', '192.0.2.1:40000', 'nat-postrouting-out__docker0'],
    ]);
  });

  it("direct routing to a container's address is dropped in raw prerouting, on any port", () => {
    for (const port of [80, 22]) {
      const t = simulate(portmap, packet(OUTSIDE, '192.0.2.2', port));
      expect(t.verdict).toBe('drop');
      expect(t.decidedBy).toMatchObject({
        kind: 'rule',
        chain: 'raw-PREROUTING',
        rule: expect.stringContaining('DROP DIRECT ACCESS'),
      });
    }
  });

  it("a container on another network reaching an unpublished port is dropped by the network's chain", () => {
    // From docker0 to bridge1: the raw drop spares only bridge1 itself, so it decides first.
    const t = simulate(portmap, { ...packet(OUTSIDE, '192.0.2.2', 22), src: '172.17.0.9', in: 'docker0' });
    expect(t.verdict).toBe('drop');
    // From bridge1's own gateway side the raw rule does not apply: the forward chain's last rule decides.
    const noicc = load('usernet-portmap-noicc');
    const u = simulate(noicc, { ...packet(OUTSIDE, '172.17.0.2', 22), src: '192.0.2.9', in: 'bridge1' });
    expect(u.verdict).toBe('drop');
  });

  it('an internal network drops traffic from outside it', () => {
    const t = simulate(load('usernet-internal'), packet(OUTSIDE, '198.51.100.2', 80));
    expect(t.verdict).toBe('drop');
  });

  it('a port bound to 127.0.0.1 is dropped for a neighbour sending to the loopback address', () => {
    const t = simulate(load('usernet-portmap-lo'), packet(OUTSIDE, '127.0.0.1', 8080));
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toMatchObject({
      kind: 'rule',
      rule: expect.stringContaining('DROP REMOTE LOOPBACK'),
    });
  });

  it('IPv6: the ip6 docker-bridges table DNATs and accepts a published port', () => {
    const t = simulate(load('ipv6-portmap'), packet(OUTSIDE, 'fd00:1::190', 8000));
    expect(t.verdict).toBe('accept');
    expect(t.rewrites[0]).toMatchObject({
      kind: 'dnat',
      to: '[fd00:dead:beef::2]:80',
      table: 'ip6 docker-bridges',
    });
  });

  it('audit: the published port is open to every outside source, through the nftables walk', () => {
    const report = audit({ ...portmap, interfaces: ['eth0'] });
    const d = report.destinations.find(
      (x) => x.destination.family === 'ipv4' && x.destination.hostPort === 8080,
    )!;
    expect(d.worldOpen).toBe(true);
    expect(d.unknown).toBe(false);
    expect(d.probes[0]!.groups.find((g) => g.reachable)?.decidedBy).toMatchObject({
      chain: 'filter-forward-in__bridge1',
    });
  });

  it("audit without Docker's inventory reads the published ports back from the nftables DNAT rules", () => {
    const { docker: _omit, ...noInventory } = portmap;
    void _omit;
    const report = audit({ ...noInventory, interfaces: ['eth0'] });
    const d = report.destinations.find((x) => x.destination.hostPort === 8080)!;
    expect(d.destination).toMatchObject({
      origin: 'nat-rules',
      hostIp: '0.0.0.0',
      target: { address: '192.0.2.2', port: 80 },
    });
    expect(d.worldOpen).toBe(true);
    const { docker: _o2, ...lo } = load('usernet-portmap-lo');
    void _o2;
    const loReport = audit({ ...lo, interfaces: ['eth0'] });
    const l = loReport.destinations.find((x) => x.destination.hostPort === 8080)!;
    expect(l.destination.hostIp).toBe('127.0.0.1');
    expect(loReport.findings.filter((f) => f.code === 'audit.loopback-port-reachable-from-link')).toEqual([]);
  });

  it("--bridge-accept-fwmark: a packet a user's table marks (and DNATs) gets past Docker's unpublished-port drop", () => {
    const fw = load('usernet-portmap-fwmark');
    const userTable = (setMark: boolean) =>
      nft([
        {
          name: 'mine',
          chains: {
            pre: {
              base: { type: 'nat', hook: 'prerouting', prio: -110 },
              rules: [
                [
                  match(payload('tcp', 'dport'), 2222),
                  ...(setMark ? [{ mangle: { key: meta('mark'), value: 0x10000 } }] : []),
                  { dnat: { addr: '192.0.2.2', port: 22 } },
                ],
              ],
            },
          },
        },
      ]).tables[0]!;
    const run = (setMark: boolean) =>
      simulate(
        { ...fw, nft: { tables: [...fw.nft!.tables, userTable(setMark)] } },
        packet(OUTSIDE, DOCKER_HOST, 2222),
      );
    const marked = run(true);
    expect(marked.verdict).toBe('accept');
    expect(marked.decidedBy).toMatchObject({
      chain: 'filter-forward-in__bridge1',
      rule: expect.stringContaining('ALLOW FW MARK'),
    });
    const plain = run(false);
    expect(plain.verdict).toBe('drop');
    expect(plain.decidedBy).toMatchObject({ rule: expect.stringContaining('UNPUBLISHED PORT DROP') });
  });
});
