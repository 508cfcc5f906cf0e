import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ruleset } from '../unit/sim/build.js';
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
} from '../unit/sim/nft-build.js';
import { expectMatrixAgreesWithWalks, host } from '../unit/sim/sim-helpers.js';

/** nftables rules (with iptables rules beside them): the service matrix against single-packet walks. */

const saddr = payload('ip', 'saddr');
const SRC: unknown[][] = [
  [],
  [match(saddr, prefix('10.0.0.0', 8))],
  [match(saddr, prefix('10.1.0.0', 16), '!=')],
  [match(saddr, { set: ['203.0.113.7', prefix('192.0.2.0', 24)] })],
  [match(saddr, '@S')],
  [match(saddr, { range: ['10.0.0.5', '10.0.0.20'] })],
  [match({ concat: [saddr, payload('tcp', 'dport')] }, '@P')],
  [match(ct('saddr', 'original', 'ip'), prefix('172.16.0.0', 12))],
  [match({ fib: { result: 'type', flags: ['saddr'] } }, 'local')],
];
const OTHER: unknown[][] = [
  [],
  [match(meta('l4proto'), 'tcp')],
  [match(payload('tcp', 'dport'), 22)],
  [match(payload('th', 'dport'), { set: [80, 22] })],
  [match(meta('iifname'), 'eth*')],
  [match(meta('iifname'), 'eth1')],
  [match(ct('state'), ['new'], 'in')],
  [match(meta('mark'), 1)],
  [match(meta('skuid'), 0)],
];
const VERDICT: unknown[][] = [
  [ACCEPT],
  [DROP],
  [{ reject: null }],
  [RETURN],
  [jump('a')],
  [goto('b')],
  [COUNTER],
  [{ mangle: { key: meta('mark'), value: 1 } }],
  [
    {
      vmap: {
        key: saddr,
        data: {
          set: [
            [prefix('10.0.0.0', 9), ACCEPT],
            ['8.8.8.8', DROP],
          ],
        },
      },
    },
  ],
];

const ruleArb = fc
  .tuple(fc.constantFrom(...SRC), fc.constantFrom(...OTHER), fc.constantFrom(...VERDICT))
  .map(([s, o, v]) => [...s, ...o, ...v]);
const plainRuleArb = ruleArb.filter((r) => !JSON.stringify(r).includes('"target"'));
const chainArb = fc.array(ruleArb, { maxLength: 5 });

const tablesArb = fc.record({
  prioA: fc.constantFrom(-10, 0, 10),
  prioB: fc.constantFrom(-5, 5),
  policyA: fc.constantFrom('accept' as const, 'drop' as const),
  policyB: fc.constantFrom('accept' as const, 'drop' as const),
  inA: chainArb,
  inB: fc.array(plainRuleArb, { maxLength: 4 }),
  a: fc.array(plainRuleArb, { maxLength: 4 }),
  b: fc.array(plainRuleArb, { maxLength: 4 }),
  pre: fc.array(plainRuleArb, { maxLength: 2 }),
  iptInput: fc.array(
    fc.constantFrom('-s 10.0.0.0/8 -j DROP', '-p tcp -j ACCEPT', '-s 192.0.2.0/25 -j REJECT'),
    {
      maxLength: 2,
    },
  ),
  iptPolicy: fc.constantFrom('ACCEPT' as const, 'DROP' as const),
});
type Tables = typeof tablesArb extends fc.Arbitrary<infer T> ? T : never;

const SETS = [
  {
    name: 'S',
    type: 'ipv4_addr',
    flags: ['interval'],
    elem: [prefix('10.0.0.0', 24), prefix('203.0.113.0', 28)],
  },
  {
    name: 'P',
    type: ['ipv4_addr', 'inet_service'],
    flags: ['interval'],
    elem: [{ concat: ['10.0.0.7', 22] }, { concat: [prefix('8.8.0.0', 16), 53] }],
  },
];

function tables(t: Tables): TableDef[] {
  return [
    {
      name: 'A',
      sets: SETS,
      chains: {
        pre: { base: { hook: 'prerouting', prio: -150 }, rules: t.pre },
        in: { base: { hook: 'input', prio: t.prioA, policy: t.policyA }, rules: t.inA },
        a: { rules: t.a },
        b: { rules: t.b },
      },
    },
    {
      family: 'inet',
      name: 'B',
      sets: SETS,
      chains: { in: { base: { hook: 'input', prio: t.prioB, policy: t.policyB }, rules: t.inB } },
    },
  ];
}

const ADDRS = [
  '10.0.0.1',
  '10.0.0.7',
  '10.1.2.3',
  '10.200.0.1',
  '192.0.2.5',
  '203.0.113.7',
  '172.16.5.5',
  '8.8.8.8',
];

describe('simulator properties with nftables rules', () => {
  it('the service matrix agrees with walking one packet per source', () => {
    fc.assert(
      fc.property(
        tablesArb,
        fc.array(fc.oneof(fc.constantFrom(...ADDRS), fc.ipV4()), { minLength: 1, maxLength: 8 }),
        (t, srcs) => {
          const input = {
            rulesets: {
              ipv4: ruleset('ipv4', { filter: { INPUT: { policy: t.iptPolicy, rules: t.iptInput } } }),
            },
            nft: nft(tables(t)),
            host,
            interfaces: ['eth0'],
          };
          expectMatrixAgreesWithWalks(input, srcs);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
