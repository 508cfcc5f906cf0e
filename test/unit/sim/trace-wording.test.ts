import { describe, expect, it } from 'vitest';
import { createSimulator, knownInterfaces, renderTrace, simulate } from '../../../src/sim/index.js';
import { ruleset } from './build.js';
import { host, input, pkt, sim } from './sim-helpers.js';

const header = (lines: string[]) => lines.find((l) => l.startsWith('packet: '));
const verdictLine = (lines: string[]) => lines.find((l) => l.startsWith('verdict: '));

describe('trace wording', () => {
  it('the header names the interface taken from the host model when none was given, never "in ?"', () => {
    const { in: _in, ...noIn } = pkt();
    const inferred = renderTrace(input(['-j ACCEPT'], noIn));
    expect(header(inferred)).toBe(
      "packet: tcp 203.0.113.5:40000 -> 192.0.2.10:22 in eth0 (from the host model's routes) (NEW)",
    );
    expect(header(inferred)).not.toContain('in ?');
    expect(header(renderTrace(input(['-j ACCEPT'])))).toBe(
      'packet: tcp 203.0.113.5:40000 -> 192.0.2.10:22 in eth0 (NEW)',
    );
  });

  it('a packet whose origin cannot be told says "interface not given"', () => {
    const { in: _in, ...noIn } = pkt();
    const t = simulate(
      {
        rulesets: { ipv4: ruleset('ipv4', { filter: { INPUT: { rules: [] } } }) },
        host: { interfaces: host.interfaces },
      },
      noIn,
    );
    expect(t.verdict).toBe('unknown');
    expect(header(renderTrace(t))).toContain(' interface not given (NEW)');
  });

  it('a packet the host sends is "sent by this host", in the header and the verdict, not "forwarded out"', () => {
    const { in: _in, ...out } = pkt({ src: '192.0.2.10', dst: '203.0.113.5' });
    const lines = renderTrace(sim({ filter: { OUTPUT: { policy: 'ACCEPT', rules: [] } } }, out));
    expect(header(lines)).toContain('22 sent by this host (NEW)');
    expect(verdictLine(lines)).toMatch(/^verdict: ACCEPT \(sent by this host out eth0\)/);
    expect(lines.join('\n')).not.toContain('forwarded out');
  });

  it('a forwarded packet still says "forwarded out"', () => {
    const fwd = sim({ filter: { FORWARD: { policy: 'ACCEPT', rules: [] } } }, pkt({ dst: '198.51.100.20' }));
    expect(verdictLine(renderTrace(fwd))).toMatch(/^verdict: ACCEPT \(forwarded out eth1\)/);
  });

  it('states take their article: "an ESTABLISHED packet", "an INVALID packet"', () => {
    const { in: _in, ...out } = pkt({ src: '192.0.2.10', dst: '203.0.113.5', state: 'ESTABLISHED' });
    const est = sim({ nat: { OUTPUT: { rules: [] } }, filter: { OUTPUT: { rules: [] } } }, out);
    expect(est.assumptions).toContain(
      "an ESTABLISHED packet gets the NAT binding the nat rules gave its connection's first packet",
    );
    const flags = input(['-p tcp -m tcp --syn -j ACCEPT'], pkt({ state: 'INVALID' }));
    expect(renderTrace(flags).join('\n')).toContain('TCP flags of an INVALID packet');
    expect(renderTrace(flags).join('\n')).not.toMatch(/\ba (ESTABLISHED|INVALID)\b/);
  });

  it('an sctp packet matches -p sctp --dport rules; an unmodelled sctp option is unknown', () => {
    const sctp = pkt({ proto: 'sctp', dport: 3868 });
    expect(input(['-p sctp -m sctp --dport 3868 -j ACCEPT'], sctp).verdict).toBe('accept');
    expect(input(['-p sctp -m sctp --dport 3869 -j ACCEPT'], sctp).verdict).toBe('drop');
    expect(input(['-p sctp -m multiport --dports 3868,3869 -j ACCEPT'], sctp).verdict).toBe('accept');
    expect(input(['-p tcp -m tcp --dport 3868 -j ACCEPT'], sctp).verdict).toBe('drop');
    // --chunk-types is not modelled: the rule is taken both ways.
    const chunks = input(['-p sctp -m sctp --chunk-types any INIT -j ACCEPT'], sctp);
    expect(chunks.verdict).toBe('depends');
    expect(chunks.depends).toBe('drop unless `-m sctp --chunk-types any INIT` matches (then accept)');
    expect(header(renderTrace(input([], sctp)))).toMatch(/^packet: sctp 203\.0\.113\.5:40000/);
  });

  it('knownInterfaces lists the host model, lo and the bridges of Docker rules', () => {
    const rulesets = { ipv4: ruleset('ipv4', { nat: { DOCKER: { rules: ['-i bridge1 -j RETURN'] } } }) };
    const simulator = createSimulator({ rulesets, host });
    expect(knownInterfaces(simulator.host, rulesets)).toEqual(['bridge1', 'docker0', 'eth0', 'eth1', 'lo']);
  });
});
