import { describe, expect, it } from 'vitest';
import { serviceMatrix, simulate, type Packet, type Trace } from '../../../src/sim/index.js';
import { ruleset } from './build.js';
import {
  ACCEPT,
  COUNTER,
  DROP,
  RETURN,
  ct,
  goto,
  jump,
  match,
  meta,
  nft,
  payload,
  prefix,
  type TableDef,
} from './nft-build.js';
import { host, pkt } from './sim-helpers.js';

type Ipt = Parameters<typeof ruleset>[1];

function run(tables: TableDef[], packet: Packet = pkt(), ipt?: Ipt): Trace {
  return simulate({ rulesets: ipt ? { ipv4: ruleset('ipv4', ipt) } : {}, nft: nft(tables), host }, packet);
}

const decided = (t: Trace) =>
  t.decidedBy?.kind === 'rule'
    ? `${t.decidedBy.table} ${t.decidedBy.chain} ${t.decidedBy.index}`
    : t.decidedBy?.kind === 'policy'
      ? `${t.decidedBy.table} ${t.decidedBy.policy} policy`
      : t.decidedBy?.kind;

const hooks = (t: Trace) => t.path.flatMap((s) => (s.kind === 'hook' ? [`${s.table} ${s.chain}`] : []));
const input = (prio: number, policy: 'accept' | 'drop' = 'accept') => ({ hook: 'input', prio, policy });
const dport = (p: number) => match(payload('tcp', 'dport'), p);

describe('nftables verdicts across base chains', () => {
  it('accept ends only its base chain: a later base chain on the same hook still drops', () => {
    const t = run([
      { name: 'a', chains: { in: { base: input(-10), rules: [[ACCEPT]] } } },
      { name: 'b', chains: { in: { base: input(10), rules: [[dport(22), DROP]] } } },
    ]);
    expect(t.verdict).toBe('drop');
    expect(decided(t)).toBe('ip b in 1');
    expect(hooks(t)).toEqual(['ip a in', 'ip b in']);
  });

  it('drop is final: base chains after it are not walked', () => {
    const t = run([
      { name: 'a', chains: { in: { base: input(-10), rules: [[DROP]] } } },
      { name: 'b', chains: { in: { base: input(10), rules: [[ACCEPT]] } } },
    ]);
    expect(t.verdict).toBe('drop');
    expect(hooks(t)).toEqual(['ip a in']);
  });

  it('base chains are walked in priority order, not in the order nft lists them', () => {
    const t = run([
      { name: 'late', chains: { in: { base: input(100), rules: [[ACCEPT]] } } },
      { name: 'early', chains: { in: { base: input(-100), rules: [[ACCEPT]] } } },
    ]);
    expect(hooks(t)).toEqual(['ip early in', 'ip late in']);
    expect(t.verdict).toBe('accept');
    expect(decided(t)).toBe('ip late in 1');
  });

  it('a chain policy drop decides when no rule does', () => {
    const t = run([{ name: 'a', chains: { in: { base: input(0, 'drop'), rules: [[dport(80), ACCEPT]] } } }]);
    expect(t.verdict).toBe('drop');
    expect(decided(t)).toBe('ip a in policy');
  });

  it('an iptables table and an nftables base chain on one hook: either drop is final', () => {
    const ipt: Ipt = { filter: { INPUT: { policy: 'DROP', rules: [] } } };
    const a = run([{ name: 'a', chains: { in: { base: input(-10), rules: [[ACCEPT]] } } }], pkt(), ipt);
    expect(a.verdict).toBe('drop');
    expect(decided(a)).toBe('filter INPUT policy');
    const b = run([{ name: 'a', chains: { in: { base: input(10), rules: [[dport(22), DROP]] } } }], pkt(), {
      filter: { INPUT: { policy: 'ACCEPT', rules: ['-j ACCEPT'] } },
    });
    expect(b.verdict).toBe('drop');
    expect(hooks(b)).toEqual(['filter INPUT', 'ip a in']);
  });
});

describe('nftables jumps, gotos, returns and verdict maps', () => {
  it('jump comes back after return; goto returns to the base chain of the caller', () => {
    const t = run([
      {
        name: 'a',
        chains: {
          in: { base: input(0, 'drop'), rules: [[jump('j')], [goto('g')], [ACCEPT]] },
          j: { rules: [[RETURN], [DROP]] },
          g: { rules: [[RETURN]] },
        },
      },
    ]);
    // goto g, then return in g: back to the caller of `in`, i.e. its end: the policy.
    expect(t.verdict).toBe('drop');
    expect(decided(t)).toBe('ip a in policy');
  });

  it('a verdict map chooses the element of the key; no element, no verdict', () => {
    const tables = (data: unknown): TableDef[] => [
      {
        name: 'a',
        chains: {
          in: { base: input(0), rules: [[{ vmap: { key: meta('iifname'), data } }], [DROP]] },
          from_eth0: { rules: [[ACCEPT]] },
        },
        sets: [
          {
            name: 'm',
            type: 'ifname',
            map: 'verdict',
            elem: [
              ['eth0', { jump: { target: 'from_eth0' } }],
              ['eth1', { drop: null }],
            ],
          },
        ],
      },
    ];
    for (const data of [
      '@m',
      {
        set: [
          ['eth0', { jump: { target: 'from_eth0' } }],
          ['eth1', { drop: null }],
        ],
      },
    ]) {
      const e0 = run(tables(data));
      expect(e0.verdict).toBe('accept');
      expect(decided(e0)).toBe('ip a from_eth0 1');
      expect(run(tables(data), pkt({ in: 'eth1', src: '198.51.100.7' })).verdict).toBe('drop');
      const other = run(tables(data), pkt({ in: 'docker0', src: '172.17.0.5' }));
      expect(decided(other)).toBe('ip a in 2');
    }
  });
});

describe('nftables NAT', () => {
  const natTables = (filterRules: unknown[][]): TableDef[] => [
    {
      name: 'nat',
      chains: {
        pre: {
          base: { type: 'nat', hook: 'prerouting', prio: -100 },
          rules: [
            [
              match(meta('iifname'), 'eth0'),
              dport(8080),
              COUNTER,
              { dnat: { addr: '172.17.0.2', port: 80 } },
            ],
          ],
        },
        post: {
          base: { type: 'nat', hook: 'postrouting', prio: 100 },
          rules: [
            [
              match(payload('ip', 'saddr'), prefix('172.17.0.0', 16)),
              match(meta('oifname'), 'docker0', '!='),
              { masquerade: null },
            ],
          ],
        },
      },
    },
    {
      name: 'f',
      chains: { fwd: { base: { hook: 'forward', prio: 0, policy: 'drop' }, rules: filterRules } },
    },
  ];

  it('DNAT happens before the filter hooks; ct original matches the address and port before it', () => {
    const t = run(
      natTables([
        [
          match(ct('daddr', 'original', 'ip'), '192.0.2.10'),
          match(ct('proto-dst', 'original'), 8080),
          ACCEPT,
        ],
      ]),
      pkt({ dport: 8080 }),
    );
    expect(t.verdict).toBe('accept');
    expect(t.rewrites).toEqual([
      expect.objectContaining({ kind: 'dnat', to: '172.17.0.2:80', table: 'ip nat' }),
    ]);
    expect(t.outInterface).toBe('docker0');
    expect(decided(t)).toBe('ip f fwd 1');
    const after = run(
      natTables([[match(payload('ip', 'daddr'), '172.17.0.2'), dport(80), ACCEPT]]),
      pkt({ dport: 8080 }),
    );
    expect(after.verdict).toBe('accept');
  });

  it('a second nat chain on the hook is skipped once the first set up NAT', () => {
    const tables = natTables([[ACCEPT]]);
    tables.push({
      name: 'nat2',
      chains: {
        pre: {
          base: { type: 'nat', hook: 'prerouting', prio: -50 },
          rules: [[{ dnat: { addr: '172.17.0.3' } }]],
        },
      },
    });
    const t = run(tables, pkt({ dport: 8080 }));
    expect(t.rewrites.map((r) => r.to)).toEqual(['172.17.0.2:80']);
    expect(t.path).toContainEqual(
      expect.objectContaining({
        kind: 'hook',
        table: 'ip nat2',
        note: 'not consulted: NAT already set up at this hook',
      }),
    );
  });

  it('masquerade rewrites the source of traffic leaving a bridge network', () => {
    const t = run(
      natTables([[ACCEPT]]),
      pkt({ src: '172.17.0.2', in: 'docker0', dst: '203.0.113.9', dport: 443 }),
    );
    expect(t.verdict).toBe('accept');
    expect(t.rewrites).toEqual([expect.objectContaining({ kind: 'masquerade', to: '192.0.2.10:40000' })]);
  });
});

describe('nftables expressions', () => {
  const one = (expr: unknown[], packet: Packet = pkt()) =>
    run([{ name: 't', chains: { in: { base: input(0, 'drop'), rules: [[...expr, ACCEPT]] } } }], packet)
      .verdict;
  const family = (f: 'ipv4' | 'ipv6', expr: unknown[]) =>
    run(
      [{ family: 'inet', name: 't', chains: { in: { base: input(0, 'drop'), rules: [[...expr, ACCEPT]] } } }],
      f === 'ipv4' ? pkt() : pkt({ family: 'ipv6', src: '2001:db8:9::5', dst: '2001:db8::10' }),
    ).verdict;

  it('ip saddr: address, prefix, range, anonymous and named sets, negation', () => {
    const s = payload('ip', 'saddr');
    expect(one([match(s, '203.0.113.5')])).toBe('accept');
    expect(one([match(s, '203.0.113.6')])).toBe('drop');
    expect(one([match(s, prefix('203.0.113.0', 24))])).toBe('accept');
    expect(one([match(s, prefix('203.0.113.0', 24), '!=')])).toBe('drop');
    expect(one([match(s, { range: ['203.0.113.1', '203.0.113.4'] })])).toBe('drop');
    expect(one([match(s, { set: ['10.0.0.1', prefix('203.0.113.0', 28)] })])).toBe('accept');
    const named = (elem: unknown[]) =>
      run([
        {
          name: 't',
          sets: [{ name: 'ok', type: 'ipv4_addr', flags: ['interval'], elem }],
          chains: { in: { base: input(0, 'drop'), rules: [[match(s, '@ok'), ACCEPT]] } },
        },
      ]).verdict;
    expect(named([prefix('203.0.113.0', 24)])).toBe('accept');
    expect(named([{ range: ['10.0.0.0', '10.0.0.9'] }])).toBe('drop');
  });

  it('concatenated set elements: address . port', () => {
    const key = { concat: [payload('ip', 'saddr'), payload('tcp', 'dport')] };
    const v = (elem: unknown[]) =>
      run([
        {
          name: 't',
          sets: [{ name: 'svc', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elem }],
          chains: { in: { base: input(0, 'drop'), rules: [[match(key, '@svc'), ACCEPT]] } },
        },
      ]).verdict;
    expect(v([{ concat: [prefix('203.0.113.0', 24), 22] }])).toBe('accept');
    expect(v([{ concat: [prefix('203.0.113.0', 24), 80] }])).toBe('drop');
    expect(v([{ concat: ['203.0.113.5', { range: [20, 30] }] }])).toBe('accept');
  });

  it('iifname with a wildcard; oif at prerouting makes no rule match, not even !=, while oifname reads as ""', () => {
    expect(one([match(meta('iifname'), 'eth*')])).toBe('accept');
    expect(one([match(meta('iifname'), 'br-*')])).toBe('drop');
    const atPrerouting = (key: string) =>
      run([
        {
          name: 't',
          chains: {
            raw: {
              base: { hook: 'prerouting', prio: -300 },
              rules: [[match(meta(key), 'docker0', '!='), DROP]],
            },
          },
        },
      ]).verdict;
    // No output device yet: `oif` breaks off the rule; `oifname` is the empty name, which is not docker0.
    expect(atPrerouting('oif')).toBe('accept');
    expect(atPrerouting('oifname')).toBe('drop');
  });

  it('meta l4proto, th dport, tcp dport on a udp packet', () => {
    expect(one([match(meta('l4proto'), 'tcp'), match(payload('th', 'dport'), 22)])).toBe('accept');
    expect(one([match(payload('th', 'dport'), { set: [22, { range: [1000, 2000] }] })])).toBe('accept');
    expect(one([match(payload('tcp', 'dport'), 22)], pkt({ proto: 'udp' }))).toBe('drop');
    expect(one([match(payload('tcp', 'dport'), 22, '!=')], pkt({ proto: 'udp' }))).toBe('drop');
  });

  it('ct state flags, fib daddr type', () => {
    const st = match(ct('state'), ['established', 'related'], 'in');
    expect(one([st])).toBe('drop');
    expect(one([st], pkt({ state: 'ESTABLISHED' }))).toBe('accept');
    const fib = (packet: Packet) =>
      run(
        [
          {
            name: 't',
            chains: {
              pre: {
                base: { hook: 'prerouting', prio: 0, policy: 'drop' },
                rules: [[match({ fib: { result: 'type', flags: ['daddr'] } }, 'local'), ACCEPT]],
              },
            },
          },
        ],
        packet,
      ).verdict;
    expect(fib(pkt())).toBe('accept');
    expect(fib(pkt({ dst: '192.0.2.99' }))).toBe('drop');
  });

  it('meta mark with a mask (Docker 29 --bridge-accept-fwmark); a mark set in an earlier base chain', () => {
    const masked = match({ '&': [meta('mark'), 0xf0] }, 0x10);
    expect(one([masked], pkt({ mark: 0x13 }))).toBe('accept');
    expect(one([masked], pkt({ mark: 0x23 }))).toBe('drop');
    const t = run([
      {
        name: 'mine',
        chains: {
          pre: {
            base: { hook: 'prerouting', prio: -200 },
            rules: [[{ mangle: { key: meta('mark'), value: 0x10 } }]],
          },
        },
      },
      {
        name: 'docker',
        chains: { in: { base: input(0, 'drop'), rules: [[match(meta('mark'), 0x10), ACCEPT]] } },
      },
    ]);
    expect(t.verdict).toBe('accept');
    expect(
      run([
        {
          name: 'mine',
          chains: {
            pre: {
              base: { hook: 'prerouting', prio: -200 },
              rules: [[{ mangle: { key: ct('mark'), value: 7 } }]],
            },
          },
        },
        {
          name: 'docker',
          chains: { in: { base: input(0, 'drop'), rules: [[match(ct('mark'), 7), ACCEPT]] } },
        },
      ]).verdict,
    ).toBe('accept');
  });

  it('inet tables: ip expressions skip IPv6 packets; meta nfproto tells the family', () => {
    expect(family('ipv4', [match(payload('ip', 'saddr'), prefix('0.0.0.0', 0))])).toBe('accept');
    expect(family('ipv6', [match(payload('ip', 'saddr'), prefix('0.0.0.0', 0), '!=')])).toBe('drop');
    expect(family('ipv6', [match(payload('ip6', 'saddr'), prefix('2001:db8::', 32))])).toBe('accept');
    expect(family('ipv6', [match(meta('nfproto'), 'ipv6')])).toBe('accept');
    expect(family('ipv4', [match(meta('nfproto'), 'ipv6')])).toBe('drop');
  });

  it('counters and comments change nothing; the trace shows the rule as nft prints it', () => {
    const t = run([
      {
        name: 't',
        chains: {
          in: {
            base: input(0, 'drop'),
            rules: [{ expr: [match(meta('iifname'), 'eth0'), dport(22), COUNTER, ACCEPT], comment: 'ssh' }],
          },
        },
      },
    ]);
    expect(t.verdict).toBe('accept');
    expect(t.decidedBy).toMatchObject({
      kind: 'rule',
      rule: 'iifname "eth0" tcp dport 22 counter accept comment "ssh"',
      line: 5,
    });
  });
});

describe('what nftables rules the simulator does not model', () => {
  it('an unmodelled expression that is reached gives unknown, naming it and its position', () => {
    const t = run([
      { name: 't', chains: { in: { base: input(0), rules: [[match(meta('skuid'), 0), DROP]] } } },
    ]);
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('meta skuid is not modelled');
    expect(t.unknownReason).toMatch(/test\.json:5:\d+/);
  });

  it('a rule whose modelled part does not match is passed over', () => {
    const t = run([
      { name: 't', chains: { in: { base: input(0), rules: [[dport(80), match(meta('skuid'), 0), DROP]] } } },
    ]);
    expect(t.verdict).toBe('accept');
  });

  it('a counting rule with an unmodelled match does not change the verdict', () => {
    const t = run([
      { name: 't', chains: { in: { base: input(0), rules: [[match(meta('skuid'), 0), COUNTER]] } } },
    ]);
    expect(t.verdict).toBe('accept');
  });

  it('iptables-nft tables: walked from iptables-save when given, else their xt expressions are unknown', () => {
    const xtTable: TableDef = {
      name: 'filter',
      chains: { INPUT: { base: input(0), rules: [[{ xt: { type: 'match', name: 'recent' } }, DROP]] } },
    };
    const viaIpt = run([xtTable], pkt(), {
      filter: { INPUT: { policy: 'ACCEPT', rules: ['-p tcp -j ACCEPT'] } },
    });
    expect(viaIpt.verdict).toBe('accept');
    expect(viaIpt.assumptions).toContain(
      "nftables table ip filter is iptables-nft's: walked from the iptables rules",
    );
    const alone = run([xtTable]);
    expect(alone.verdict).toBe('unknown');
    expect(alone.unknownReason).toContain('xt recent');
  });

  it('base chains of the netdev and bridge families make the verdict unknown', () => {
    const t = run([
      {
        family: 'netdev',
        name: 'n',
        chains: { ing: { base: { hook: 'ingress', prio: 0 }, rules: [[DROP]] } },
      },
    ]);
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('netdev n chain ing');
  });
});

describe('nftables rules in the service matrix', () => {
  const reachable = (rules: unknown[][], sets: Array<Record<string, unknown>> = []) => {
    const m = serviceMatrix({
      rulesets: {},
      nft: nft([{ name: 't', sets, chains: { in: { base: input(0, 'drop'), rules } } }]),
      host,
      listening: [{ port: 22, proto: 'tcp' }],
      interfaces: ['eth0'],
    });
    const d = m.destinations.find((x) => x.destination.family === 'ipv4')!;
    return d.reachableFrom;
  };

  it('cuts source classes at a source prefix, a concatenated element and a verdict map key', () => {
    expect(reachable([[match(payload('ip', 'saddr'), prefix('203.0.113.0', 24)), ACCEPT]])).toEqual([
      '203.0.113.0/24',
    ]);
    const svc = { name: 'svc', type: ['ipv4_addr', 'inet_service'], flags: ['interval'] };
    const concat = { concat: [payload('ip', 'saddr'), payload('tcp', 'dport')] };
    expect(
      reachable(
        [[match(concat, '@svc'), ACCEPT]],
        [{ ...svc, elem: [{ concat: [prefix('203.0.113.0', 25), 22] }] }],
      ),
    ).toEqual(['203.0.113.0/25']);
    const vmap = {
      vmap: { key: payload('ip', 'saddr'), data: { set: [[prefix('198.18.0.0', 15), ACCEPT]] } },
    };
    expect(reachable([[vmap]])).toEqual(['198.18.0.0/15']);
  });
});
