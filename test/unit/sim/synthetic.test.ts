import { describe, expect, it } from 'vitest';
import { createSimulator, serviceMatrix, syntheticRuleset } from '../../../src/sim/index.js';
import { groupOf } from './sim-helpers.js';

describe('the synthetic 5,000-rule set', () => {
  const s = syntheticRuleset();
  const input = { rulesets: { ipv4: s.ruleset }, sets: s.sets, host: s.host, docker: s.docker };

  it('has 5,000 rules and is deterministic', () => {
    const count = s.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0);
    expect(count).toBe(5000);
    expect(JSON.stringify(syntheticRuleset().ruleset)).toBe(JSON.stringify(s.ruleset));
    expect(syntheticRuleset({ rules: 800 }).facts.containers).toBe(16);
  });

  const m = serviceMatrix({ ...input, listening: [{ port: 22, proto: 'tcp' }] });
  const published = (port: number) => m.destinations.find((d) => d.destination.hostPort === port)!.probes[0]!;

  it('covers every published port and the listening one', () => {
    expect(m.destinations).toHaveLength(s.facts.containers + 1);
    expect(m.interfaces).toEqual(['eth0']);
    expect(m.classes.ipv4).toBeGreaterThan(s.facts.blockedSources.length);
  });

  it('open ports: reachable from anywhere but the blocklists', () => {
    const p = published(s.facts.openPorts[5]!);
    expect(groupOf(p, '8.8.8.8')).toMatchObject({ verdict: 'accept', reachable: true });
    const blocked = groupOf(p, s.facts.blockedSources[17]!)!;
    expect(blocked).toMatchObject({ verdict: 'drop', reachable: false });
    expect(blocked.decisionCount).toBeGreaterThan(1);
    const net = groupOf(p, s.facts.blockedNet.replace(/0\/24$/, '77'))!;
    expect(net).toMatchObject({ verdict: 'drop', reachable: false });
    expect(m.destinations.find((d) => d.destination.hostPort === s.facts.openPorts[5])!.worldOpen).toBe(
      false,
    );
  });

  it('office-only ports: reachable from the office only', () => {
    const p = published(s.facts.officeOnlyPorts[2]!);
    expect(groupOf(p, s.facts.officeSource)).toMatchObject({ reachable: true });
    const other = groupOf(p, '8.8.8.8')!;
    expect(other.verdict).toBe('reject');
    expect(other.decidedBy).toMatchObject({ chain: 'DOCKER-USER' });
  });

  it('ssh: only from the admin networks', () => {
    const ssh = m.destinations.find((d) => d.destination.kind === 'listening')!;
    const p = ssh.probes[0]!;
    expect(groupOf(p, s.facts.adminNets[42]!.replace(/0\/24$/, '9'))).toMatchObject({ reachable: true });
    expect(groupOf(p, '8.8.8.8')).toMatchObject({ verdict: 'reject', reachable: false });
  });

  it('agrees with single-packet walks', () => {
    const port = s.facts.officeOnlyPorts[0]!;
    const p = published(port);
    const sim = createSimulator(input);
    for (const src of [
      '8.8.8.8',
      s.facts.officeSource,
      s.facts.blockedSources[0]!,
      '10.0.3.4',
      '203.0.113.200',
    ]) {
      const t = sim.simulate({
        family: 'ipv4',
        src,
        dst: '192.0.2.10',
        proto: 'tcp',
        sport: 40000,
        dport: port,
        in: 'eth0',
      });
      expect(groupOf(p, src)!.verdict).toBe(t.verdict);
    }
  });
});
