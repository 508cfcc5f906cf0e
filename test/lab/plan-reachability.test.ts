import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCidrs, type ReachChange } from '../../src/plan/reachability-diff.js';
import { probeBatchFromHost, type ProbeJob } from './differential/batch-probe.js';
import { labGate, type LabHost } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

/** The ports audit looks at here: the published web port and the host's "ssh" and "database". */
const PORTS = [8000, 22, 3306];
const SPORTS_PER_CELL = 4;
const OPTS = { timeoutMs: 1500, concurrency: 16 };

interface Sample {
  from: LabHost;
  port: number;
}

/**
 * The reachability difference `apply` shows before it asks, against real traffic: every outside
 * host probes every port audit looks at before and after the apply (fresh source ports each time,
 * so no conntrack entry carries over), and each probe's change (open → closed: lost, closed → open:
 * gained) must be what the difference predicted for that source and port.
 */
describe.skipIf(gate.skip)('the reachability difference of an apply against real traffic', () => {
  let s: SeedLab;
  let outside: LabHost[];
  let nextSport = 41000;

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    const host4 = await s.lab.addHost('host4', { address: '192.168.122.77/24' });
    const host5 = await s.lab.addHost('host5', { address: '192.168.122.201/24' });
    outside = [s.host2, s.host3, host4, host5];
  }, 240_000);
  afterAll(async () => {
    await s?.lab.destroy();
  });

  const key = (c: Sample) => `${c.from.address} ${c.port}`;
  const cells = (): Sample[] => outside.flatMap((from) => PORTS.map((port) => ({ from, port })));

  /** Per cell, whether every probe of it opened (all probes of a cell must agree). */
  async function probeAll(): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const list = cells();
    await Promise.all(
      outside.map(async (from) => {
        const mine = list.filter((c) => c.from === from);
        const jobs: ProbeJob[] = mine.flatMap((c, i) =>
          Array.from({ length: SPORTS_PER_CELL }, (_, k) => ({
            id: i * SPORTS_PER_CELL + k,
            sport: nextSport + i * SPORTS_PER_CELL + k,
            proto: 'tcp' as const,
            addr: s.docker.address,
            port: c.port,
          })),
        );
        const answers = await probeBatchFromHost(s.lab, from, jobs, OPTS);
        mine.forEach((c, i) => {
          const seen = new Set(
            answers.filter((a) => Math.floor(a.id / SPORTS_PER_CELL) === i).map((a) => a.result === 'open'),
          );
          expect(seen.size, `${from.name} -> ${c.port}: probes disagree`).toBe(1);
          out.set(key(c), [...seen][0]!);
        });
      }),
    );
    nextSport += 1000;
    return out;
  }

  async function applyAndCompare(policy: string): Promise<{ probes: number; gained: number; lost: number }> {
    const before = await probeAll();
    const r = await s.dockwall([
      'apply',
      '-f',
      policy,
      '--yes',
      '--json',
      '--no-check',
      '--state-dir',
      s.stateDir,
      '--listen',
      '22/tcp',
      '--listen',
      '3306/tcp',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const reach = (JSON.parse(r.stdout) as { reachability: { changes: ReachChange[] } }).reachability;
    expect(reach.changes).toBeDefined();
    const after = await probeAll();
    let gained = 0;
    let lost = 0;
    const wrong: string[] = [];
    for (const c of cells()) {
      const was = before.get(key(c))!;
      const now = after.get(key(c))!;
      const change = reach.changes.find(
        (x) => x.port === c.port && x.proto === 'tcp' && x.probe === 'address' && x.dst === s.docker.address,
      );
      const src = c.from.address;
      expect(change ? inCidrs(src, change.depends, 'ipv4') : false, `${src} -> ${c.port} depends`).toBe(
        false,
      );
      const predicted = change
        ? inCidrs(src, change.gained, 'ipv4')
          ? 'gained'
          : inCidrs(src, change.lost, 'ipv4')
            ? 'lost'
            : 'same'
        : 'same';
      const real = was === now ? 'same' : now ? 'gained' : 'lost';
      if (real === 'gained') gained++;
      if (real === 'lost') lost++;
      if (predicted !== real) wrong.push(`${src} -> ${c.port}: predicted ${predicted}, real ${real}`);
    }
    expect(wrong).toEqual([]);
    return { probes: 2 * cells().length * SPORTS_PER_CELL, gained, lost };
  }

  it("the seed's wishes, then a dockerd restart, then the apply that closes the hole: the predicted losses are the real ones", async () => {
    const wishes = s.file('wishes.yaml', repoText('examples/pyfw-wishes-firewalling-docker.yaml'));
    const first = await s.dockwall(['apply', '-f', wishes, '--yes', '--no-check', '--state-dir', s.stateDir]);
    expect(first.code, first.stderr).toBe(0);
    // Without --json, apply shows the difference as text before it applies (here: --yes, no question).
    expect(first.stdout).toMatch(
      /\nReachability after this plan:\n {2}0\.0\.0\.0:8000\/tcp published -> [\d.]+:80 ipv4 in eth0 to 192\.168\.122\.190:\n {4}- lose access: every source but 192\.168\.122\.193\/32 /,
    );
    await s.dockerd.restart();
    await s.dockerd.dockerChecked(['start', 'web', 'client']).catch(() => '');
    const r = await applyAndCompare(wishes);
    expect(r.probes).toBeGreaterThanOrEqual(50);
    // host3, host4 and host5 reached the published port through the hole and no longer do.
    expect(r.lost).toBe(3);
    expect(r.gained).toBe(0);
  }, 300_000);

  it('a policy that opens INPUT and lists host4 too: the predicted gains are the real ones', async () => {
    const open = s.file(
      'open.yaml',
      repoText('examples/pyfw-wishes-firewalling-docker.yaml')
        .replace('default_action: DROP', 'default_action: ACCEPT')
        .replace('- 192.168.122.193', '- 192.168.122.193\n      - 192.168.122.77'),
    );
    const r = await applyAndCompare(open);
    expect(r.probes).toBeGreaterThanOrEqual(50);
    // 3306 opens for all four hosts, 8000 for host4.
    expect(r.gained).toBe(5);
    expect(r.lost).toBe(0);
  }, 300_000);
});
