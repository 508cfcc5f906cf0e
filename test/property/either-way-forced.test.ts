import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceMatrix, simulate, type Packet } from '../../src/sim/index.js';
import { ruleset } from '../unit/sim/build.js';
import { groupOf, host } from '../unit/sim/sim-helpers.js';

/**
 * The either-way walk (a condition taken true and false) never contradicts a concrete walk of the
 * same rules with every condition forced: a conditional match that holds is left out of its rule,
 * one that does not makes its rule never match (`-f`, which keeps the rule's position).
 */

type Cond = { kind: 'recent'; list: 'a' | 'b' } | { kind: 'limit' } | { kind: 'cpu' };

interface GenRule {
  proto: 'tcp' | 'udp' | null;
  dport: 22 | 80 | null;
  src: string | null;
  mark: boolean;
  conds: Cond[];
  target: 'ACCEPT' | 'DROP' | 'REJECT' | 'MARK' | 'LOG';
}

const cond: fc.Arbitrary<Cond> = fc.oneof(
  fc.constantFrom<'a' | 'b'>('a', 'b').map((list) => ({ kind: 'recent' as const, list })),
  fc.constant({ kind: 'limit' as const }),
  fc.constant({ kind: 'cpu' as const }),
);

const genRule: fc.Arbitrary<GenRule> = fc.record({
  proto: fc.constantFrom<'tcp' | 'udp' | null>('tcp', 'udp', null),
  dport: fc.constantFrom<22 | 80 | null>(22, 80, null),
  src: fc.constantFrom('203.0.113.0/24', '198.51.100.0/24', null),
  mark: fc.boolean(),
  conds: fc.array(cond, { maxLength: 2 }),
  target: fc.constantFrom<GenRule['target']>('ACCEPT', 'DROP', 'REJECT', 'MARK', 'LOG'),
});

/** The facts a rule set's conditions stand for, by the text the walk gives them. */
function factOf(c: Cond, k: number, src: string): string {
  if (c.kind === 'recent') return `${src} is in recent list \`${c.list}\``;
  if (c.kind === 'limit') return `the limit ${k + 1}/min is exceeded`;
  return `\`-m cpu --cpu ${k}\` matches`;
}

function body(r: GenRule, k: number, forced: ((c: Cond) => boolean) | null): string {
  const parts: string[] = [];
  const proto = r.dport !== null ? (r.proto ?? 'tcp') : r.proto;
  if (r.src) parts.push(`-s ${r.src}`);
  if (proto) parts.push(`-p ${proto}`);
  if (r.dport !== null) parts.push(`-m ${proto} --dport ${r.dport}`);
  if (r.mark) parts.push('-m mark --mark 0x1');
  for (const c of r.conds) {
    if (forced) {
      if (!forced(c)) parts.unshift('-f');
      continue;
    }
    if (c.kind === 'recent') parts.push(`-m recent --name ${c.list} --rcheck`);
    else if (c.kind === 'limit') parts.push(`-m limit --limit ${k + 1}/min`);
    else parts.push(`-m cpu --cpu ${k}`);
  }
  parts.push(r.target === 'MARK' ? '-j MARK --set-mark 0x1' : `-j ${r.target}`);
  return parts.join(' ');
}

/** A dependence text with its exceptions, and the facts of each, in a fixed order. */
function normalise(text: string): string {
  const [main, rest] = text.split(' unless ');
  const parts = rest!.split('; or ').map((p) => {
    const [facts, then] = p.split(' (then ');
    return `${facts!.split(' and ').sort().join(' and ')} (then ${then}`;
  });
  return `${main} unless ${parts.sort().join('; or ')}`;
}

const setup = fc.record({
  rules: fc.array(genRule, { minLength: 1, maxLength: 6 }),
  policy: fc.constantFrom<'ACCEPT' | 'DROP'>('ACCEPT', 'DROP'),
  src: fc.constantFrom('203.0.113.5', '198.51.100.7'),
  proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
  dport: fc.constantFrom(22, 80),
  /** The value of every fact: recent lists by name, per-rule facts by rule. */
  values: fc.record({
    a: fc.boolean(),
    b: fc.boolean(),
    perRule: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  }),
});

describe('either-way evaluation against concrete walks with each condition forced', () => {
  it('a verdict, or the branch the forced values pick, is what the concrete walk gives', () => {
    fc.assert(
      fc.property(setup, ({ rules, policy, src, proto, dport, values }) => {
        const factValue = (c: Cond, k: number): boolean =>
          c.kind === 'recent' ? values[c.list] : values.perRule[k]!;
        // A limit matches when it is not exceeded; the others when their fact holds.
        const matches = (c: Cond, k: number): boolean =>
          c.kind === 'limit' ? !factValue(c, k) : factValue(c, k);
        const facts = new Map<string, boolean>();
        rules.forEach((r, k) => r.conds.forEach((c) => facts.set(factOf(c, k, src), factValue(c, k))));
        const table = (forced: boolean) => ({
          filter: {
            INPUT: {
              policy,
              rules: rules.map((r, k) => body(r, k, forced ? (c) => matches(c, k) : null)),
            },
          },
        });
        const packet: Packet = {
          family: 'ipv4',
          src,
          dst: '192.0.2.10',
          proto,
          sport: 40000,
          dport,
          in: 'eth0',
        };
        const either = simulate({ rulesets: { ipv4: ruleset('ipv4', table(false)) }, host }, packet);
        const concrete = simulate({ rulesets: { ipv4: ruleset('ipv4', table(true)) }, host }, packet);
        expect(concrete.branches).toBeUndefined();
        if (either.verdict === 'unknown') {
          expect(either.unknownReason).toContain('more than 4 conditions');
          return;
        }
        if (either.verdict !== 'depends') expect(either.verdict).toBe(concrete.verdict);
        if (either.branches) {
          const picked = either.branches.filter((b) => b.when.every((w) => facts.get(w.fact) === w.holds));
          expect(picked).toHaveLength(1);
          expect(picked[0]!.verdict).toBe(concrete.verdict);
        }
        // The service matrix (source classes, branches put together per class) agrees too.
        if (proto === 'tcp' && dport === 22) {
          const matrix = (forced: boolean) =>
            serviceMatrix({
              rulesets: { ipv4: ruleset('ipv4', table(forced)) },
              host,
              listening: [{ port: 22, proto: 'tcp' }],
              interfaces: ['eth0'],
            }).destinations[0]!.probes[0]!;
          const g = groupOf(matrix(false), src)!;
          const c = groupOf(matrix(true), src)!;
          if (g.verdict === 'depends') {
            // The same dependence as the single-packet walk, for "the source" (an accept reaches port 22).
            const single = either
              .depends!.split(src)
              .join('the source')
              .replace(/\baccept\b/g, 'open');
            expect(normalise(g.dependsOn!)).toBe(normalise(single));
          } else if (g.verdict !== 'unknown') {
            expect(g.verdict).toBe(c.verdict);
            expect(g.reachable).toBe(c.reachable);
          }
          expect(g.verdict === 'depends').toBe(either.verdict === 'depends');
        }
      }),
      { numRuns: 300 },
    );
  });
});
