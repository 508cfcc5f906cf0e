import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRestoreScripts, mergeReadBack, readBackScope } from '../../src/apply/index.js';
import type { DesiredChain, DesiredState } from '../../src/compile/index.js';
import { desiredRule } from '../../src/compile/index.js';
import type { Chain, ChainRef, HostState, Rule } from '../../src/model/index.js';
import { parseRuleText, ruleKey } from '../../src/parse/index.js';
import { planChanges } from '../../src/plan/index.js';
import { runRestoreScript } from '../helpers/restore-interpreter.js';

/**
 * The read back after a transaction reads only the chains the transaction may share with other
 * programs and takes the chains it declared as it wrote them. Against a kernel model that runs the
 * script (declarations flush), with another program changing the tables just before the commit, the
 * merged state must hold exactly what the kernel holds in every chain the transaction touched.
 */

const parse = (text: string): Rule => {
  const r = parseRuleText(text, { family: 'ipv4', file: 't', line: 1, column: 1 });
  if (!r.value) throw new Error(text);
  return r.value;
};
const body = fc
  .record({ host: fc.integer({ min: 1, max: 5 }), port: fc.constantFrom(22, 80) })
  .map(({ host, port }) => `-s 10.0.0.${host}/32 -p tcp -m tcp --dport ${port} -j ACCEPT`);
const tag = fc.constantFrom('a', 'b', 'c', 'd');

const CHAINS = ['INPUT', 'DOCKER-USER', 'DOCKWALL-X', 'DOCKWALL-Y'] as const;
type Name = (typeof CHAINS)[number];

const chainCase = (name: Name) =>
  fc.record({
    present: name === 'INPUT' ? fc.constant(true) : fc.boolean(),
    foreign: fc.array(body, { maxLength: 3 }),
    ours: fc.uniqueArray(fc.tuple(tag, body), { maxLength: 3, selector: ([n]) => n }),
    wanted: fc.boolean(),
    desired: fc.uniqueArray(fc.tuple(tag, body), { maxLength: 4, selector: ([n]) => n }),
  });

/** What another program does just before dockwall's transaction commits. */
const concurrent = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('insert' as const),
    chain: fc.constantFrom<Name>(...CHAINS),
    at: fc.nat(),
    rule: body,
  }),
);

const withTag = (b: string, n: string) => `${b} -m comment --comment dockwall:${n}`;
const keyOf = (r: ChainRef) => `${r.table}/${r.chain}`;

function chainsOf(s: HostState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of s.rulesets.ipv4?.tables ?? [])
    for (const c of t.chains)
      out.set(
        `${t.name}/${c.name}`,
        c.rules.map((r) => ruleKey(r, 'ipv4')),
      );
  return out;
}

describe('read back after a transaction (property)', () => {
  it('the merged state equals the kernel in every chain the transaction touched', () => {
    fc.assert(
      fc.property(fc.tuple(...CHAINS.map(chainCase)), concurrent, (cases, other) => {
        const chains: Chain[] = [];
        const desired: DesiredChain[] = [];
        cases.forEach((c, i) => {
          const name = CHAINS[i]!;
          const owned = name.startsWith('DOCKWALL');
          if (c.present) {
            const ours = c.ours.map(([n, b]) => parse(withTag(b, n)));
            chains.push({
              name,
              policy: name === 'INPUT' ? 'ACCEPT' : null,
              rules: owned ? ours : [...ours, ...c.foreign.map(parse)],
            });
          }
          if (c.wanted || name === 'INPUT')
            desired.push({
              family: 'ipv4',
              table: 'filter',
              chain: name,
              kind: owned ? 'owned' : 'shared',
              rules: c.desired.map(([n, b]) => desiredRule('ipv4', n, parse(b), 'tag')),
            });
        });
        const before: HostState = {
          rulesets: { ipv4: { family: 'ipv4', tables: [{ name: 'filter', chains }] } },
          sets: { sets: [] },
        };
        const want: DesiredState = { chains: desired, sets: [], families: ['ipv4'], diagnostics: [] };
        const plan = planChanges(before, want);
        const script = buildRestoreScripts(plan).iptables.ipv4;
        fc.pre(script !== undefined);

        // The other program's change, then dockwall's transaction, as the kernel runs them.
        let moved = before;
        if (other.kind === 'insert') {
          const c = chains.find((x) => x.name === other.chain);
          const line = c
            ? `-I ${other.chain} ${(other.at % (c.rules.length + 1)) + 1} ${other.rule}`
            : `:${other.chain} - [0:0]\n-A ${other.chain} ${other.rule}`;
          moved = runRestoreScript(before, 'ipv4', `*filter\n${line}\nCOMMIT\n`);
        }
        let truth: HostState;
        try {
          truth = runRestoreScript(moved, 'ipv4', script!);
        } catch {
          fc.pre(false);
          return;
        }

        const scope = readBackScope(plan);
        // What `iptables -S` of each re-read chain would show.
        const reread: HostState = {
          rulesets: {
            ipv4: {
              family: 'ipv4',
              tables: [
                {
                  name: 'filter',
                  chains: truth.rulesets
                    .ipv4!.tables[0]!.chains.filter((c) => scope.reread.some((r) => r.chain === c.name))
                    .map((c) => structuredClone(c)),
                },
              ],
            },
          },
          sets: { sets: [] },
        };
        const merged = chainsOf(mergeReadBack(before, scope, reread));
        const kernel = chainsOf(truth);
        for (const ref of [...scope.reread, ...scope.exact, ...scope.deleted])
          expect(merged.get(keyOf(ref)), keyOf(ref)).toEqual(kernel.get(keyOf(ref)));

        // Declared chains are flushed by the transaction: a change there before the commit is gone,
        // and so the plan against the merged state is empty unless the change hit a re-read chain.
        const hitUntouched =
          other.kind === 'insert' && ![...scope.reread, ...scope.exact].some((r) => r.chain === other.chain);
        if (!hitUntouched) {
          const again = planChanges(mergeReadBack(before, scope, reread), want);
          const hitReread = other.kind === 'insert' && scope.reread.some((r) => r.chain === other.chain);
          if (!hitReread) expect(again.operations).toEqual([]);
          else expect(again.operations).toEqual(planChanges(truth, want).operations);
        }
      }),
      { numRuns: 400 },
    );
  });
});
