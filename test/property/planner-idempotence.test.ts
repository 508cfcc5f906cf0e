import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRestoreScripts } from '../../src/apply/index.js';
import type { DesiredChain, DesiredState } from '../../src/compile/index.js';
import { desiredRule } from '../../src/compile/index.js';
import type { Chain, HostState, Rule } from '../../src/model/index.js';
import {
  formatRule,
  parseIptablesS,
  parseIptablesSave,
  parseRuleText,
  printIptablesSave,
  ruleKey,
  unbuiltRuleBodies,
} from '../../src/parse/index.js';
import { applyPlanToState, planChanges } from '../../src/plan/index.js';
import { runRestoreScript } from '../helpers/restore-interpreter.js';

const parse = (text: string): Rule => {
  const r = parseRuleText(text, { family: 'ipv4', file: 't', line: 1, column: 1 });
  if (!r.value) throw new Error(text);
  return r.value;
};

// A small vocabulary so that live and desired rules collide often.
const body = fc.record({
  host: fc.integer({ min: 1, max: 6 }),
  port: fc.constantFrom(22, 80, 443),
  verdict: fc.constantFrom('ACCEPT', 'DROP'),
});
const text = (b: { host: number; port: number; verdict: string }) =>
  `-s 10.0.0.${b.host}/32 -p tcp -m tcp --dport ${b.port} -j ${b.verdict}`;
const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');

const liveRule = fc.oneof(
  body.map((b) => ({ kind: 'foreign' as const, rule: parse(text(b)) })),
  // iptables prints the tag quoted (it has a colon); a hand-written file may not.
  fc.tuple(name, body, fc.boolean()).map(([n, b, q]) => ({
    kind: 'ours' as const,
    rule: parse(`${text(b)} -m comment --comment ${q ? `"dockwall:${n}"` : `dockwall:${n}`}`),
  })),
);

const chainCase = fc.record({
  chain: fc.constantFrom('INPUT', 'DOCKER-USER', 'DOCKWALL-X'),
  live: fc.array(liveRule, { maxLength: 10 }),
  desired: fc.uniqueArray(fc.tuple(name, body), { maxLength: 5, selector: ([n]) => n }),
  policy: fc.option(fc.constantFrom('ACCEPT' as const, 'DROP' as const), { nil: undefined }),
});

describe('planner (property)', () => {
  it('applying a plan yields a state whose plan is empty, and never touches foreign rules', () => {
    fc.assert(
      fc.property(fc.array(chainCase, { minLength: 1, maxLength: 3 }), (cases) => {
        const seen = new Set<string>();
        const uniq = cases.filter((c) => !seen.has(c.chain) && seen.add(c.chain));
        const chains: Chain[] = uniq.map((c) => ({
          name: c.chain,
          policy: c.chain === 'INPUT' ? 'ACCEPT' : null,
          rules: c.chain.startsWith('DOCKWALL')
            ? c.live.filter((r) => r.kind === 'ours').map((r) => r.rule)
            : c.live.map((r) => r.rule),
        }));
        const state: HostState = {
          rulesets: { ipv4: { family: 'ipv4', tables: [{ name: 'filter', chains }] } },
          sets: { sets: [] },
        };
        const desiredChains: DesiredChain[] = uniq.map((c) => {
          const d: DesiredChain = {
            family: 'ipv4',
            table: 'filter',
            chain: c.chain,
            kind: c.chain.startsWith('DOCKWALL') ? 'owned' : 'shared',
            rules: c.desired.map(([n, b]) => desiredRule('ipv4', n, parse(text(b)), 'tag')),
          };
          if (c.policy && c.chain === 'INPUT') d.policy = c.policy;
          return d;
        });
        const desired: DesiredState = {
          chains: desiredChains,
          sets: [],
          families: ['ipv4'],
          diagnostics: [],
        };

        const plan = planChanges(state, desired);
        const after = applyPlanToState(state, plan);
        expect(after.diagnostics).toEqual([]);
        expect(planChanges(after.state, desired).operations).toEqual([]);
        // The restore script, executed as iptables-restore would (deletion by specification), gives
        // exactly the state the plan describes.
        const script = buildRestoreScripts(plan).iptables.ipv4;
        const viaScript = script ? runRestoreScript(state, 'ipv4', script) : state;
        const keys = (s: HostState) =>
          s.rulesets
            .ipv4!.tables[0]!.chains.map(
              (c) => `${c.name} ${c.policy}: ${c.rules.map((r) => ruleKey(r, 'ipv4')).join(' | ')}`,
            )
            .sort();
        expect(keys(viaScript)).toEqual(keys(after.state));

        for (const c of uniq) {
          const foreignBefore = c.live.filter((r) => r.kind === 'foreign').map((r) => formatRule(r.rule));
          const chainAfter = after.state.rulesets.ipv4!.tables[0]!.chains.find((x) => x.name === c.chain)!;
          const texts = chainAfter.rules.map(formatRule);
          const want = c.desired.map(([n, b]) => `${text(b)} -m comment --comment dockwall:${n}`);
          // dockwall's rules first, in policy order; then every foreign rule in its original order.
          expect(texts.slice(0, want.length).map((t: string) => ruleKey(parse(t), 'ipv4'))).toEqual(
            want.map((t) => ruleKey(parse(t), 'ipv4')),
          );
          if (!c.chain.startsWith('DOCKWALL')) expect(texts.slice(want.length)).toEqual(foreignBefore);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('plans the same from chains read as text (rules compared by their spelling) as from built rules', () => {
    fc.assert(
      fc.property(fc.array(chainCase, { minLength: 1, maxLength: 3 }), fc.boolean(), (cases, asS) => {
        const seen = new Set<string>();
        const uniq = cases.filter((c) => !seen.has(c.chain) && seen.add(c.chain));
        const chains: Chain[] = uniq.map((c) => ({
          name: c.chain,
          policy: c.chain === 'INPUT' ? 'ACCEPT' : null,
          rules: c.live.map((r) => r.rule),
        }));
        const rs = { family: 'ipv4' as const, tables: [{ name: 'filter' as const, chains }] };
        const desired: DesiredState = {
          chains: uniq.map((c) => ({
            family: 'ipv4',
            table: 'filter',
            chain: c.chain,
            kind: c.chain.startsWith('DOCKWALL') ? 'owned' : 'shared',
            rules: c.desired.map(([n, b]) => desiredRule('ipv4', n, parse(text(b)), 'tag')),
          })),
          sets: [],
          families: ['ipv4'],
          diagnostics: [],
        };
        // The live reader gets `iptables -S CHAIN` text; dumps go through the iptables-save reader.
        const read = (): HostState => {
          if (!asS) {
            const dump = parseIptablesSave(printIptablesSave(rs), { file: 'd', family: 'ipv4' }).value!;
            return { rulesets: { ipv4: dump }, sets: { sets: [] } };
          }
          const tables = chains.map((c) => {
            const lines = [c.policy ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`];
            for (const r of c.rules) lines.push(`-A ${c.name} ${formatRule(r)}`);
            return parseIptablesS(lines.join('\n') + '\n', { file: 's', family: 'ipv4', table: 'filter' })
              .value!.chains;
          });
          return {
            rulesets: { ipv4: { family: 'ipv4', tables: [{ name: 'filter', chains: tables.flat() }] } },
            sets: { sets: [] },
          };
        };
        const unbuilt = read();
        const built = read();
        for (const c of built.rulesets.ipv4!.tables[0]!.chains) expect(c.rules).toBeDefined();
        expect(unbuilt.rulesets.ipv4!.tables[0]!.chains.every((c) => unbuiltRuleBodies(c))).toBe(true);
        const plan = planChanges(built, desired);
        expect(planChanges(unbuilt, desired)).toEqual(plan);
        // Read back as text after the plan, the chains are in place: nothing left to do.
        const after = applyPlanToState(built, plan).state.rulesets.ipv4!;
        const reread = parseIptablesSave(printIptablesSave(after), { file: 'd', family: 'ipv4' }).value!;
        expect(planChanges({ rulesets: { ipv4: reread }, sets: { sets: [] } }, desired).operations).toEqual(
          [],
        );
      }),
      { numRuns: 300 },
    );
  });
});
