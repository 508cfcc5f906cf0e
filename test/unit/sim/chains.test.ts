import { describe, expect, it } from 'vitest';
import { simulate } from '../../../src/sim/index.js';
import { ruleset } from './build.js';
import { host, input, pkt, sim } from './sim-helpers.js';

const decided = (t: ReturnType<typeof sim>) =>
  t.decidedBy?.kind === 'rule'
    ? `${t.decidedBy.chain} ${t.decidedBy.index}`
    : t.decidedBy?.kind === 'policy'
      ? `policy ${t.decidedBy.policy}`
      : t.decidedBy?.kind;

describe('chain semantics', () => {
  it('jump and RETURN come back to the rule after the jump', () => {
    const t = sim(
      {
        filter: {
          INPUT: { policy: 'DROP', rules: ['-j A', '-p tcp -j ACCEPT'] },
          A: { rules: ['-p udp -j DROP', '-j RETURN', '-j DROP'] },
        },
      },
      pkt(),
    );
    expect(t.verdict).toBe('accept');
    expect(decided(t)).toBe('INPUT 2');
  });

  it('a user chain that ends falls back to its caller', () => {
    const t = sim(
      {
        filter: { INPUT: { policy: 'DROP', rules: ['-j A', '-j ACCEPT'] }, A: { rules: ['-p udp -j DROP'] } },
      },
      pkt(),
    );
    expect(decided(t)).toBe('INPUT 2');
  });

  it('RETURN in a chain reached by goto returns to the caller of the chain that did the goto', () => {
    const tables = {
      filter: {
        INPUT: { policy: 'DROP' as const, rules: ['-j A', '-j REJECT'] },
        A: { rules: ['-g B', '-j ACCEPT'] },
        B: { rules: ['-j RETURN'] },
      },
    };
    const t = sim(tables, pkt());
    // Back in INPUT (not at A's rule 2): REJECT.
    expect(t.verdict).toBe('reject');
    expect(decided(t)).toBe('INPUT 2');
    const gotoStep = t.path.find((s) => s.kind === 'rule' && s.action === 'goto B');
    expect(gotoStep).toBeDefined();
  });

  it('RETURN after a goto from a built-in chain applies the policy', () => {
    const t = sim(
      { filter: { INPUT: { policy: 'DROP', rules: ['-g B', '-j ACCEPT'] }, B: { rules: ['-j RETURN'] } } },
      pkt(),
    );
    expect(t.verdict).toBe('drop');
    expect(decided(t)).toBe('policy INPUT');
  });

  it('RETURN in a built-in chain applies its policy', () => {
    expect(input(['-j RETURN', '-j ACCEPT']).verdict).toBe('drop');
    const t = sim({ filter: { INPUT: { policy: 'ACCEPT', rules: ['-j RETURN', '-j DROP'] } } }, pkt());
    expect(t.verdict).toBe('accept');
  });

  it('ACCEPT ends only the current table at the hook', () => {
    const t = sim(
      {
        raw: { PREROUTING: { rules: ['-j ACCEPT'] } },
        mangle: { PREROUTING: { rules: ['-j ACCEPT'] }, INPUT: { rules: ['-j ACCEPT'] } },
        filter: { INPUT: { policy: 'DROP', rules: ['-p tcp -j DROP'] } },
      },
      pkt(),
    );
    expect(t.verdict).toBe('drop');
    expect(decided(t)).toBe('INPUT 1');
    expect(
      t.path.filter((s) => s.kind === 'hook').map((s) => s.kind === 'hook' && `${s.table} ${s.chain}`),
    ).toEqual(['raw PREROUTING', 'mangle PREROUTING', 'mangle INPUT', 'filter INPUT']);
  });

  it('DROP in mangle ends the walk', () => {
    const t = sim(
      { mangle: { PREROUTING: { rules: ['-p tcp -j DROP'] } }, filter: { INPUT: { rules: ['-j ACCEPT'] } } },
      pkt(),
    );
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toMatchObject({ table: 'mangle', chain: 'PREROUTING', index: 1 });
  });

  it('non-terminating targets and rules without a target go on', () => {
    const t = input([
      '-j LOG --log-prefix "in: "',
      '-p tcp',
      '-j NFLOG',
      '-j TCPMSS --clamp-mss-to-pmtu',
      '-j ACCEPT',
    ]);
    expect(t.verdict).toBe('accept');
    expect(decided(t)).toBe('INPUT 5');
  });

  it('a jump loop stops the walk as unknown', () => {
    const t = sim(
      {
        filter: {
          INPUT: { policy: 'DROP', rules: ['-j A'] },
          A: { rules: ['-j B'] },
          B: { rules: ['-j A'] },
        },
      },
      pkt(),
    );
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('loop');
    expect(decided(t)).toBe('B 1');
  });

  it('NOTRACK / CT --notrack leave the packet UNTRACKED and skip nat', () => {
    const tables = {
      raw: { PREROUTING: { rules: ['-p tcp -m tcp --dport 22 -j CT --notrack'] } },
      nat: { PREROUTING: { rules: ['-p tcp -j DNAT --to-destination 172.17.0.2'] } },
      filter: { INPUT: { policy: 'DROP' as const, rules: ['-m state --state UNTRACKED -j ACCEPT'] } },
    };
    const t = sim(tables, pkt());
    expect(t.verdict).toBe('accept');
    expect(t.rewrites).toEqual([]);
    const t2 = sim({ ...tables, raw: { PREROUTING: { rules: ['-j NOTRACK'] } } }, pkt());
    expect(t2.verdict).toBe('accept');
  });
});

describe('NAT', () => {
  it('REDIRECT sends the packet to the input interface address and a new port', () => {
    const t = sim(
      {
        nat: { PREROUTING: { rules: ['-p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080'] } },
        filter: { INPUT: { policy: 'DROP', rules: ['-p tcp -m tcp --dport 8080 -j ACCEPT'] } },
      },
      pkt({ dport: 80, dst: '192.0.2.10' }),
    );
    expect(t.verdict).toBe('accept');
    expect(t.rewrites).toEqual([
      expect.objectContaining({ kind: 'redirect', from: '192.0.2.10:80', to: '192.0.2.10:8080' }),
    ]);
  });

  it('SNAT and MASQUERADE are recorded for forwarded packets', () => {
    const tables = {
      nat: {
        POSTROUTING: {
          rules: ['-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', '-o eth1 -j SNAT --to-source 198.51.100.99'],
        },
      },
    };
    const out = sim(
      tables,
      pkt({ src: '172.17.0.2', in: 'docker0', dst: '8.8.8.8', dport: 53, proto: 'udp' }),
    );
    expect(out.verdict).toBe('accept');
    expect(out.outInterface).toBe('eth0');
    expect(out.rewrites).toEqual([
      expect.objectContaining({ kind: 'masquerade', from: '172.17.0.2:40000', to: '192.0.2.10:40000' }),
    ]);
    const lan = sim(tables, pkt({ src: '203.0.113.5', dst: '198.51.100.20' }));
    expect(lan.rewrites).toEqual([expect.objectContaining({ kind: 'snat', to: '198.51.100.99:40000' })]);
  });

  it('nat RETURN/ACCEPT end the nat walk without rewriting', () => {
    const t = sim(
      { nat: { PREROUTING: { rules: ['-i eth0 -j ACCEPT', '-j DNAT --to-destination 172.17.0.2'] } } },
      pkt(),
    );
    expect(t.rewrites).toEqual([]);
    expect(t.delivered).toBe('local');
  });

  it('nat is consulted for NEW packets; INVALID ones skip it; ESTABLISHED ones get the binding (assumed)', () => {
    const tables = {
      nat: { PREROUTING: { rules: ['-p tcp -m tcp --dport 22 -j DNAT --to-destination 172.17.0.2:22'] } },
    };
    expect(sim(tables, pkt()).rewrites).toHaveLength(1);
    expect(sim(tables, pkt({ state: 'INVALID' })).rewrites).toHaveLength(0);
    const est = sim(tables, pkt({ state: 'ESTABLISHED' }));
    expect(est.rewrites).toHaveLength(1);
    expect(est.assumptions.join()).toContain('NAT binding');
  });

  it('IPv6 DNAT with a bracketed address', () => {
    const t = simulate(
      {
        rulesets: {
          ipv6: ruleset('ipv6', {
            nat: {
              PREROUTING: {
                rules: ['-p tcp -m tcp --dport 8000 -j DNAT --to-destination [2001:db8::99]:80'],
              },
            },
          }),
        },
        host,
      },
      {
        family: 'ipv6',
        src: '2001:db8:1::5',
        dst: '2001:db8::10',
        proto: 'tcp',
        sport: 40000,
        dport: 8000,
        in: 'eth0',
      },
    );
    expect(t.rewrites[0]).toMatchObject({ to: '[2001:db8::99]:80' });
    expect(t.delivered).toBe('forward');
  });
});

describe('routing and the kernel', () => {
  it('martian sources from outside are dropped by the kernel', () => {
    const t = input(['-j ACCEPT'], pkt({ src: '127.0.0.2' }));
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toMatchObject({ kind: 'kernel' });
    expect(input(['-j ACCEPT'], pkt({ src: '192.0.2.10' })).verdict).toBe('drop');
  });

  it('a destination without a route is dropped', () => {
    const t = simulate(
      {
        rulesets: { ipv4: ruleset('ipv4', {}) },
        host: { interfaces: [{ name: 'eth0', addresses: ['192.0.2.10/24'] }] },
      },
      pkt({ dst: '8.8.8.8' }),
    );
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toEqual({ kind: 'kernel', reason: 'no route to 8.8.8.8' });
  });

  it('infers where a packet comes from when not told', () => {
    const t = input(['-i eth1 -j ACCEPT'], pkt({ in: undefined, src: '198.51.100.20' }));
    expect(t.verdict).toBe('accept');
    expect(t.inInterface).toBe('eth1');
    const local = sim(
      { filter: { OUTPUT: { policy: 'DROP', rules: ['-o eth0 -j ACCEPT'] } } },
      pkt({ in: undefined, src: '192.0.2.10', dst: '8.8.8.8' }),
    );
    expect(local.verdict).toBe('accept');
    expect(local.outInterface).toBe('eth0');
  });

  it('a packet the host sends to itself passes OUTPUT, then INPUT on lo', () => {
    const t = sim(
      {
        filter: {
          INPUT: { policy: 'DROP', rules: ['-i lo -j ACCEPT'] },
          OUTPUT: { policy: 'DROP', rules: ['-o lo -j ACCEPT'] },
        },
      },
      pkt({ in: undefined, local: true, src: '127.0.0.1', dst: '127.0.0.1' }),
    );
    expect(t.verdict).toBe('accept');
    expect(t.decidedBy).toMatchObject({ chain: 'INPUT', index: 1 });
    const blocked = sim(
      {
        filter: {
          INPUT: { policy: 'DROP', rules: [] },
          OUTPUT: { policy: 'DROP', rules: ['-o lo -j ACCEPT'] },
        },
      },
      pkt({ in: undefined, local: true, src: '127.0.0.1', dst: '127.0.0.1' }),
    );
    expect(blocked.verdict).toBe('drop');
    expect(blocked.decidedBy).toMatchObject({ kind: 'policy', policy: 'INPUT' });
  });

  it('an invalid packet gives unknown with a diagnostic, and never throws', () => {
    const t = input(['-j ACCEPT'], pkt({ src: '300.1.1.1' }));
    expect(t.verdict).toBe('unknown');
    expect(t.diagnostics[0]).toMatchObject({ severity: 'error', code: 'sim.bad-address' });
    expect(input([], pkt({ family: 'ipv6' })).diagnostics.map((d) => d.code)).toContain(
      'sim.family-mismatch',
    );
  });
});
