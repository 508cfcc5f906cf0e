import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrToBig, parseAddr, parseAddrRange, parseCidr } from '../../src/sim/addr.js';
import { DAEMON_NAMES, docker29Gate, engineFor, probeTcp, type DaemonName } from './helpers/index.js';
import { createSeedLab, NATIVE_OUTCOMES, repoText, type SeedLab } from './seed-scenario.js';

const gate = await docker29Gate();

/**
 * What dockwall proves before it changes anything, on the three daemons (Debian's dockerd 20.10,
 * Docker 29.7.2 with iptables, with nftables): `expect:` is checked against the rules as they will
 * be after the change (on the nftables backend: Docker's nftables tables and dockwall's planned ones),
 * a failing one stops apply with nothing changed; and one policy file gives the same `audit` matrix
 * on all three, which real traffic agrees with.
 */

/** The native example with expectations about outside hosts only (the lab's seed topology). */
function nativeWith(expect: string): string {
  const native = repoText('examples/firewalling-docker.yaml');
  return `${native.slice(0, native.indexOf('\nexpect:'))}\n${expect}`;
}

const HOLDS = `expect:
  - name: host 2 reaches the web server
    from: 192.168.122.193
    to: 192.168.122.190:8000/tcp
    in: eth0
    verdict: accept
  - name: host 3 is refused the web server
    from: 192.168.122.50
    to: 192.168.122.190:8000/tcp
    in: eth0
    verdict: reject
  - name: SSH is open to host 3
    from: 192.168.122.50
    to: 192.168.122.190:22/tcp
    in: eth0
    verdict: accept
  - name: the database is refused to host 3
    from: 192.168.122.50
    to: 192.168.122.190:3306/tcp
    in: eth0
    verdict: reject
`;

const FAILS = `${HOLDS}  - name: host 3 reaches the web server
    from: 192.168.122.50
    to: 192.168.122.190:8000/tcp
    in: eth0
    verdict: accept
`;

interface AuditJson {
  destinations: Array<{
    destination: { kind: string; family: string; proto: string; hostIp: string; hostPort: number };
    probes: Array<{
      interface: string;
      dst: string;
      kind: string;
      groups: Array<{ ranges: string[]; verdict: string; reachable: boolean; decidedBy?: { kind: string } }>;
    }>;
  }>;
}

type Interval = [bigint, bigint];

function interval(range: string): Interval {
  if (range.includes('/')) {
    const c = parseCidr(range)!;
    return [c.start, c.end];
  }
  const [a, b] = parseAddrRange(range)!;
  return [addrToBig(a), addrToBig(b)];
}

/** Sorted, adjacent intervals merged: the same sources however the audit grouped them. */
function merged(iv: Interval[]): Interval[] {
  const sorted = [...iv].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Interval[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) last[1] = hi > last[1] ? hi : last[1];
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * The service matrix in a form that does not depend on which rules decided: per destination and
 * probe, the sources per outcome (verdict, and whether the service is reached). The sources the
 * kernel drops as martians include the docker host's own link-local addresses, which are random
 * per lab: the other sources are numbered with the martians taken out (and the martians counted),
 * so two hosts alike but for those addresses give the same rows.
 */
function matrix(a: AuditJson): string[] {
  const rows: string[] = [];
  for (const d of a.destinations) {
    const dest = `${d.destination.kind} ${d.destination.family} ${d.destination.hostIp}:${d.destination.hostPort}/${d.destination.proto}`;
    for (const p of d.probes) {
      const martian = merged(
        p.groups.filter((g) => g.decidedBy?.kind === 'kernel').flatMap((g) => g.ranges.map(interval)),
      );
      const below = (v: bigint) =>
        martian.reduce((n, [lo, hi]) => (lo >= v ? n : n + (hi < v ? hi : v - 1n) - lo + 1n), 0n);
      const to = p.dst.startsWith('fe80:') ? `the link-local address of ${p.interface}` : p.dst;
      const count = martian.reduce((n, [lo, hi]) => n + hi - lo + 1n, 0n);
      rows.push(`${dest} in ${p.interface} to ${to}: ${count} martian sources`);
      const by = new Map<string, Interval[]>();
      for (const g of p.groups) {
        if (g.decidedBy?.kind === 'kernel') continue;
        const k = `${g.verdict}${g.reachable ? ' reached' : ''}`;
        by.set(k, [...(by.get(k) ?? []), ...g.ranges.map(interval)]);
      }
      for (const [k, iv] of [...by].sort()) {
        const squeezed = merged(iv.map(([lo, hi]) => [lo - below(lo), hi - below(hi)] as Interval));
        rows.push(
          `${dest} in ${p.interface} to ${to}: ${k} from ${squeezed.map(([lo, hi]) => `${lo}-${hi}`).join(',')}`,
        );
      }
    }
  }
  return rows.sort();
}

/** The outcome a probe from `from` should see, by the audit's group holding it. */
function predicted(a: AuditJson, from: string, port: number): string | undefined {
  const v = addrToBig(parseAddr(from)!);
  for (const d of a.destinations) {
    if (d.destination.family !== 'ipv4' || d.destination.hostPort !== port || d.destination.proto !== 'tcp')
      continue;
    const probe = d.probes.find((p) => p.kind === 'address' && p.dst === '192.168.122.190');
    const g = probe?.groups.find((x) =>
      x.ranges.some((r) => {
        const [lo, hi] = interval(r);
        return lo <= v && v <= hi;
      }),
    );
    if (!g) continue;
    return g.verdict === 'drop' ? 'timeout' : g.verdict === 'accept' && g.reachable ? 'open' : 'refused';
  }
  return undefined;
}

const matrices = new Map<DaemonName, string[]>();

describe.skipIf(gate.skip).each(DAEMON_NAMES)('proofs on %s', (daemon) => {
  let s: SeedLab;

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab({ engine: await engineFor(daemon) });
  });
  afterAll(async () => {
    await s?.lab.destroy();
  });

  it('plan and apply check expect: against the rules after the change: a failing one stops apply, nothing changes', async () => {
    const before = await s.everything();
    const failing = s.file('failing.yaml', nativeWith(FAILS));
    const plan = await s.dockwall(['plan', '-f', failing]);
    expect(plan.code, plan.stderr).toBe(1);
    // Only the wrong expectation fails: the others hold on the rules the plan would leave.
    expect(plan.stderr.match(/check\.expectation-failed/g)).toHaveLength(1);
    expect(plan.stderr).toMatch(
      /expectation "host 3 reaches the web server" .* failed: wanted accept, got reject, decided by .*DOCKWALL-FILTER rule \d+/,
    );
    const r = await s.dockwall(['apply', '-f', failing, '--yes', '--state-dir', s.stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/an expectation failed/);
    expect(await s.everything()).toBe(before);
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('open');
  });

  it('the expectations that hold: apply goes ahead (showing who loses access), real traffic as they say, check on the live result passes', async () => {
    const policy = s.file('holds.yaml', nativeWith(HOLDS));
    const r = await s.dockwall(['apply', '-f', policy, '--yes', '--state-dir', s.stateDir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The reachability difference apply showed first: walked on Docker's rules as they are (its
    // nftables tables too) before, and with dockwall's planned change after.
    expect(r.stdout).toMatch(
      /8000\/tcp published[^\n]* ipv4 in eth0 to 192\.168\.122\.190:\n\s+- lose access: every source but 192\.168\.122\.193\/32/,
    );
    expect(await s.outcomes()).toEqual(NATIVE_OUTCOMES);
    const check = await s.dockwall(['check', '-f', policy]);
    expect(check.stdout, check.stderr).toContain('4 of 4 expectations hold.');
    expect(check.code).toBe(0);
  });

  it('audit: the service matrix, and a real connect from each outside host agrees with it', async () => {
    const r = await s.dockwall(['audit', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as AuditJson;
    matrices.set(daemon, matrix(a));
    for (const host of [s.host2, s.host3])
      for (const port of [8000, 22, 3306]) {
        const real = await probeTcp(s.lab, host, s.docker.address, port);
        expect(predicted(a, host.address, port), `${host.address} -> :${port}`).toBe(real);
      }
  });
});

describe.skipIf(gate.skip)('one policy file, three daemons', () => {
  it('audit gives the same matrix on each', () => {
    expect([...matrices.keys()]).toEqual([...DAEMON_NAMES]);
    const [first, ...rest] = DAEMON_NAMES.map((d) => matrices.get(d)!);
    expect(first!.length).toBeGreaterThan(0);
    for (const [i, m] of rest.entries()) expect(m, DAEMON_NAMES[i + 1]).toEqual(first);
  });
});
