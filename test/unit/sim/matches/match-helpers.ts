import type { HostModel } from '../../../../src/model/index.js';
import { serviceMatrix, simulate, type Packet, type Probe, type Trace } from '../../../../src/sim/index.js';
import { ruleset, type ChainSpec } from '../build.js';
import { groupOf, host, pkt } from '../sim-helpers.js';

type Tables = Parameters<typeof ruleset>[1];

export { host, pkt };

/** A packet through `tables` (IPv4 unless the packet says otherwise) on `model`. */
export function walk(tables: Tables, packet: Packet, model: HostModel = host): Trace {
  return simulate({ rulesets: { [packet.family]: ruleset(packet.family, tables) }, host: model }, packet);
}

/** Verdict through filter INPUT (policy DROP) holding `rules`. */
export function inputVerdict(rules: string[], over: Partial<Packet> = {}): string {
  return walk({ filter: { INPUT: { policy: 'DROP', rules } } }, pkt(over)).verdict;
}

/** Verdict of a packet the host sends from 192.0.2.10 through filter OUTPUT (policy DROP). */
export function outputVerdict(rules: string[], over: Partial<Packet> = {}): string {
  const p = pkt({ src: '192.0.2.10', dst: '203.0.113.5', local: true, ...over });
  delete p.in;
  return walk({ filter: { OUTPUT: { policy: 'DROP', rules } } }, p).verdict;
}

/** audit's probe of the host's port 22/tcp on eth0 through filter INPUT holding `rules`. */
export function auditProbe(chains: Record<string, ChainSpec>): Probe {
  const m = serviceMatrix({
    rulesets: { ipv4: ruleset('ipv4', { filter: chains }) },
    host,
    listening: [{ port: 22, proto: 'tcp' }],
  });
  return m.destinations[0]!.probes[0]!;
}

export { groupOf };
