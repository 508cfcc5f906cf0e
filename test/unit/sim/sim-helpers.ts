import type { HostModel, IpSetState } from '../../../src/model/index.js';
import { addrToBig, parseAddr, parseAddrRange, parseCidr } from '../../../src/sim/addr.js';
import { expect } from 'vitest';
import {
  createSimulator,
  serviceMatrix,
  simulate,
  type MatrixInput,
  type Packet,
  type Probe,
  type Trace,
} from '../../../src/sim/index.js';
import { ruleset, type ChainSpec } from './build.js';

/** A small host: eth0 outside (default route), eth1 a second LAN, docker0 a bridge. */
export const host: HostModel = {
  interfaces: [
    { name: 'eth0', addresses: ['192.0.2.10/24', '2001:db8::10/64'] },
    { name: 'eth1', addresses: ['198.51.100.1/24'] },
    { name: 'docker0', addresses: ['172.17.0.1/16'] },
  ],
  routes: [
    { destination: 'default', device: 'eth0', via: '192.0.2.1' },
    { destination: '::/0', device: 'eth0', via: '2001:db8::1' },
  ],
};

/** A NEW tcp packet from 203.0.113.5 arriving on eth0 for the host's port 22. */
export function pkt(over: Partial<Packet> = {}): Packet {
  return {
    family: 'ipv4',
    src: '203.0.113.5',
    dst: '192.0.2.10',
    proto: 'tcp',
    sport: 40000,
    dport: 22,
    in: 'eth0',
    ...over,
  };
}

type Tables = Parameters<typeof ruleset>[1];

export function sim(tables: Tables, packet: Packet, sets?: IpSetState): Trace {
  return simulate({ rulesets: { ipv4: ruleset('ipv4', tables) }, host, ...(sets ? { sets } : {}) }, packet);
}

/** Verdict of a packet through filter INPUT holding `rules` with policy DROP. */
export function input(rules: string[], packet: Packet = pkt(), sets?: IpSetState): Trace {
  return sim({ filter: { INPUT: { policy: 'DROP', rules } } }, packet, sets);
}

export function chain(rules: string[], policy: ChainSpec['policy'] = undefined): ChainSpec {
  return policy ? { policy, rules } : { rules };
}

/** The group of a matrix probe whose ranges hold `ip`. */
export function groupOf(p: Probe, ip: string) {
  const v = addrToBig(parseAddr(ip)!);
  return p.groups.find((g) =>
    g.ranges.some((r) => {
      if (r.includes('/')) {
        const c = parseCidr(r)!;
        return v >= c.start && v <= c.end;
      }
      const [a, b] = parseAddrRange(r)!;
      return v >= addrToBig(a) && v <= addrToBig(b);
    }),
  );
}

/**
 * The service matrix for the host's port 22/tcp probed on eth0 against one single-packet walk per
 * source: same verdict, same deciding rule, and an accepted packet reaches the port.
 */
export function expectMatrixAgreesWithWalks(input: MatrixInput, srcs: readonly string[]): void {
  const m = serviceMatrix({ ...input, listening: [{ port: 22, proto: 'tcp' }] });
  const probe = m.destinations[0]!.probes[0]!;
  const sim = createSimulator(input);
  for (const src of srcs) {
    const t = sim.simulate({
      family: 'ipv4',
      src,
      dst: probe.dst,
      proto: 'tcp',
      sport: 40000,
      dport: 22,
      in: 'eth0',
    });
    const g = groupOf(probe, src);
    expect(g, src).toBeDefined();
    expect(g!.verdict, src).toBe(t.verdict);
    if (g!.decidedBy && t.verdict !== 'unknown') expect(g!.decidedBy, src).toEqual(t.decidedBy);
    if (t.verdict === 'accept')
      expect(g!.reachable, src).toBe(t.delivered === 'local' && t.rewrites.length === 0);
  }
}
