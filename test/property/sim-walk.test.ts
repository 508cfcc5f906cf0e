import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpSetState } from '../../src/model/index.js';
import { createSimulator, renderTrace, type Packet } from '../../src/sim/index.js';
import { ruleset } from '../unit/sim/build.js';
import { expectMatrixAgreesWithWalks, host } from '../unit/sim/sim-helpers.js';

const SRC = [
  '',
  '-s 10.0.0.0/8',
  '! -s 10.1.0.0/16',
  '-s 192.0.2.0/24',
  '-s 203.0.113.7/32',
  '-m iprange --src-range 10.0.0.5-10.0.0.20',
  '-m set --match-set S src',
  '-m set ! --match-set S src',
  '-m set --match-set P src,dst',
  '-m conntrack --ctorigsrc 172.16.0.0/12',
  '-m addrtype --src-type LOCAL',
  '-m rpfilter',
  '-m rpfilter --loose --invert',
];
const OTHER = [
  '',
  '-p tcp',
  '-p udp',
  '-p tcp -m tcp --dport 22',
  '-p tcp -m tcp --dport 80',
  '-i eth0',
  '-i eth1',
  '-m conntrack --ctstate NEW',
  '-m mark --mark 0x1',
  '-m limit --limit 5/min',
  '-m recent --name x --rcheck',
  '-m owner ! --uid-owner 0',
  '-m policy --dir in --pol none',
  '-m physdev ! --physdev-is-in',
  '-m mac --mac-source 52:54:00:00:00:01',
];
const TARGET = [
  '-j ACCEPT',
  '-j DROP',
  '-j REJECT',
  '-j RETURN',
  '-j A',
  '-j B',
  '-g A',
  '-g B',
  '-j LOG',
  '-j MARK --set-xmark 0x1/0xffffffff',
  '',
];
const ADDRS = [
  '10.0.0.1',
  '10.0.0.7',
  '10.1.2.3',
  '10.200.0.1',
  '192.0.2.5',
  '192.0.2.10',
  '203.0.113.7',
  '203.0.113.8',
  '172.16.5.5',
  '127.0.0.1',
  '8.8.8.8',
  '198.51.100.20',
];

const sets: IpSetState = {
  sets: [
    { name: 'S', type: 'hash:net', family: 'inet', options: [], members: ['10.0.0.0/24', '203.0.113.0/28'] },
    {
      name: 'P',
      type: 'hash:ip,port',
      family: 'inet',
      options: [],
      members: ['10.0.0.7,tcp:22', '8.8.8.8,udp:53'],
    },
  ],
};

const ruleArb = fc
  .tuple(fc.constantFrom(...SRC), fc.constantFrom(...OTHER), fc.constantFrom(...TARGET))
  .map((parts) => parts.filter(Boolean).join(' '));
const chainArb = fc.array(ruleArb, { maxLength: 6 });
const tablesArb = fc.record({
  input: chainArb,
  inputPolicy: fc.constantFrom('ACCEPT' as const, 'DROP' as const),
  forward: chainArb,
  a: chainArb,
  b: chainArb,
  mangle: fc.array(
    ruleArb.filter((r) => !/-[jg] [AB]\b/.test(r)),
    { maxLength: 3 },
  ),
  nat: fc.array(
    fc
      .tuple(
        fc.constantFrom(...SRC),
        fc.constantFrom('-p tcp -m tcp --dport 22', '-p tcp', ''),
        fc.constantFrom(
          '-j DNAT --to-destination 172.17.0.2:2222',
          '-j REDIRECT --to-ports 2200',
          '-j ACCEPT',
          '-j RETURN',
        ),
      )
      .map((parts) => parts.filter(Boolean).join(' ')),
    { maxLength: 3 },
  ),
});

const packetArb: fc.Arbitrary<Packet> = fc
  .record({
    src: fc.oneof(fc.constantFrom(...ADDRS), fc.ipV4()),
    dst: fc.constantFrom('192.0.2.10', '198.51.100.1', '198.51.100.20', '172.17.0.2', '8.8.8.8', '127.0.0.1'),
    proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
    dport: fc.constantFrom(22, 53, 80, 8080),
    in: fc.constantFrom('eth0', 'eth1', 'docker0', undefined),
    state: fc.constantFrom('NEW' as const, 'ESTABLISHED' as const, 'INVALID' as const),
    mark: fc.constantFrom(0, 1),
  })
  .map((p) => ({
    family: 'ipv4' as const,
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    ...(p.proto === 'icmp' ? { icmpType: 8 } : { sport: 40000, dport: p.dport }),
    ...(p.in ? { in: p.in } : {}),
    state: p.state,
    mark: p.mark,
  }));

type Tables = typeof tablesArb extends fc.Arbitrary<infer T> ? T : never;

function build(t: Tables) {
  return ruleset('ipv4', {
    mangle: { PREROUTING: { rules: t.mangle } },
    nat: { PREROUTING: { rules: t.nat } },
    filter: {
      INPUT: { policy: t.inputPolicy, rules: t.input },
      FORWARD: { policy: 'DROP', rules: t.forward },
      A: { rules: t.a },
      B: { rules: t.b },
    },
  });
}

describe('simulator properties', () => {
  it('never throws, always ends with a verdict, and the trace is plain data', () => {
    fc.assert(
      fc.property(tablesArb, packetArb, (tables, packet) => {
        const sim = createSimulator({ rulesets: { ipv4: build(tables) }, sets, host });
        const t = sim.simulate(packet);
        expect(['accept', 'drop', 'reject', 'unknown', 'depends']).toContain(t.verdict);
        if (t.verdict === 'unknown') expect(t.unknownReason).toBeTruthy();
        if (t.verdict === 'depends') expect(t.depends).toBeTruthy();
        // Branches that agree on the verdict may have had it from different rules.
        if ((t.verdict === 'drop' || t.verdict === 'reject') && !t.branches)
          expect(t.decidedBy).toBeDefined();
        expect(JSON.parse(JSON.stringify(t))).toEqual(t);
        const after =
          t.assumptions.length +
          (t.unknownReason ? 1 : 0) +
          (t.depends ? 1 : 0) +
          (t.eitherWay?.length ? 1 : 0);
        expect(renderTrace(t).at(-1 - after)).toMatch(/^verdict: /);
      }),
      { numRuns: 300 },
    );
  });

  it('the service matrix agrees with walking one packet per source', () => {
    fc.assert(
      fc.property(
        tablesArb,
        fc.array(fc.oneof(fc.constantFrom(...ADDRS), fc.ipV4()), { minLength: 1, maxLength: 8 }),
        (tables, srcs) => {
          expectMatrixAgreesWithWalks(
            { rulesets: { ipv4: build(tables) }, sets, host, interfaces: ['eth0'] },
            srcs,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
