import { describe, expect, it } from 'vitest';
import { serviceMatrix, type Probe, type SourceGroup } from '../../../src/sim/index.js';
import { universityRuleset } from '../../../src/sim/synthetic-university.js';
import { groupOf } from './sim-helpers.js';

/**
 * A 5,000-rule firewall shaped like a university's: every packet from the internet first meets
 * `-m recent --update` (a blacklist), then ~4,900 per-host `-m mac` rules for the campus LAN.
 * Audit must answer every forwarded question that does not depend on the blacklist and say
 * "depends" for those that do.
 */
describe('audit of a university-shaped firewall (recent --update before per-host -m mac rules)', () => {
  const u = universityRuleset({ rules: 5000 });
  const m = serviceMatrix({
    rulesets: { ipv4: u.ruleset },
    host: u.host,
    docker: u.docker,
    interfaces: ['eth0', 'eth1'],
  });
  const rows = (port: number, iface: string): Probe => {
    const d = m.destinations.find((x) => x.destination.hostPort === port)!;
    return d.probes.find((p) => p.interface === iface)!;
  };
  const mentionsRecent = (g: SourceGroup) =>
    `${g.dependsOn ?? ''} ${g.unknownReason ?? ''}`.includes(`recent list \`${u.facts.recentList}\``);

  it('has the shape: 5,000 rules, published ports of both kinds', () => {
    const n = u.ruleset.tables.flatMap((t) => t.chains).reduce((k, c) => k + c.rules.length, 0);
    expect(n).toBeGreaterThanOrEqual(4990);
    expect(u.facts.registeredHosts.length).toBeGreaterThan(4800);
    expect(m.destinations.map((d) => d.destination.hostPort).sort()).toEqual(
      [...u.facts.publicPorts, ...u.facts.campusPorts].sort(),
    );
  });

  it('from the internet: a public port depends on the blacklist for every source not dropped anyway', () => {
    for (const port of u.facts.publicPorts) {
      const p = rows(port, 'eth0');
      expect(p.groups.some((g) => g.verdict === 'unknown')).toBe(false);
      const dep = groupOf(p, '203.0.113.5')!;
      expect(dep.verdict).toBe('depends');
      expect(dep.reachable).toBe(false);
      expect(dep.dependsOn).toBe(
        'open unless the source (mask 255.255.255.255) was seen in the last 3600 s (recent list `blacklist`) (then drop)',
      );
      // Answered: the blocklist drops before the recent rule is reached.
      for (const s of u.facts.blockedSources.slice(0, 5)) expect(groupOf(p, s)!.verdict).toBe('drop');
      // Every group is answered or depends on the blacklist alone.
      for (const g of p.groups) expect(g.verdict === 'depends' ? mentionsRecent(g) : true).toBe(true);
      const d = m.destinations.find((x) => x.destination.hostPort === port)!;
      expect(d.worldOpen).toBe(false);
      expect(d.depends).toBe(true);
    }
  });

  it('from the internet: a campus-only port is dropped whatever the blacklist holds (an answer)', () => {
    for (const port of u.facts.campusPorts) {
      const p = rows(port, 'eth0');
      for (const g of p.groups) {
        expect(g.verdict).toBe('drop');
        expect(g.dependsOn).toBeUndefined();
      }
    }
  });

  it('from the campus: nothing depends on the blacklist; hosts without a MAC rule are answered', () => {
    for (const port of [...u.facts.publicPorts, ...u.facts.campusPorts]) {
      const p = rows(port, 'eth1');
      for (const g of p.groups) {
        expect(mentionsRecent(g)).toBe(false);
        expect(g.verdict).not.toBe('unknown');
      }
      const free = groupOf(p, u.facts.unregisteredHost)!;
      expect(free.verdict).toBe('accept');
      expect(free.reachable).toBe(true);
      // A registered host: audit's source classes carry no MAC, so it depends on its MAC rule alone.
      const reg = groupOf(p, u.facts.registeredHosts[17]!)!;
      expect(reg.verdict).toBe('depends');
      expect(reg.dependsOn).toMatch(/^drop unless the source MAC is [0-9a-f:]{17} \(then open\)$/);
    }
  });
});
