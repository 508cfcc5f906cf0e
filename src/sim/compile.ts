import type { IpSetState, IpSet } from '../model/ipset.js';
import type { NftRuleset } from '../model/nft.js';
import type { Family, Ruleset } from '../model/ruleset.js';
import { compileNftInto } from './nft-compile.js';
import { formatRuleText } from './format-rule.js';
import { compileMatches } from './matches.js';
import type { HostIndex } from './routing.js';
import { compileTarget } from './targets.js';
import { chainKey, type CompiledChain, type CompiledFamily, type CompiledRule } from './thread.js';
import type { DecidedBy } from './types.js';

export function setMap(sets: IpSetState | undefined): Map<string, IpSet> | undefined {
  return sets ? new Map(sets.sets.map((s) => [s.name, s])) : undefined;
}

/** Turns a rule set into per-chain lists of compiled rules (closures), once per simulation input. */
export function compileFamily(
  family: Family,
  ruleset: Ruleset | undefined,
  host: HostIndex,
  sets: Map<string, IpSet> | undefined,
  nft?: NftRuleset,
): CompiledFamily {
  const out: CompiledFamily = {
    family,
    chains: new Map(),
    rules: [],
    runCount: 0,
    present: ruleset !== undefined,
  };
  if (ruleset) addIptables(out, family, ruleset, host, sets);
  if (nft) compileNftInto(out, nft, host, ruleset);
  return out;
}

function addIptables(
  out: CompiledFamily,
  family: Family,
  ruleset: Ruleset,
  host: HostIndex,
  sets: Map<string, IpSet> | undefined,
): void {
  for (const table of ruleset.tables) {
    for (const chain of table.chains) {
      out.chains.set(chainKey(table.name, chain.name), {
        table: table.name,
        name: chain.name,
        policy: chain.policy,
        rules: [],
        runs: [],
      });
    }
  }
  for (const table of ruleset.tables) {
    for (const chain of table.chains) {
      const cc = out.chains.get(chainKey(table.name, chain.name))!;
      chain.rules.forEach((rule, i) => {
        const m = compileMatches(rule, { family, table: table.name, chain: chain.name, host, sets });
        const target = compileTarget(rule.target, {
          family,
          host,
          chain: (name) => out.chains.get(chainKey(table.name, name)),
        });
        const cr: CompiledRule = {
          id: out.rules.length,
          family,
          table: table.name,
          chain: chain.name,
          index: i + 1,
          rule,
          checks: m.checks,
          src: m.src,
          srcDyn: m.src.filter((c) => c.dynamic),
          unknown: m.unknown,
          assumptions: m.assumptions,
          conditions: m.conditions,
          effects: m.effects,
          target,
        };
        out.rules.push(cr);
        cc.rules.push(cr);
      });
      findRuns(cc, out);
    }
  }
}

/** What a rule does apart from its `-s`, when it can be part of a run; undefined otherwise. */
function runSignature(r: CompiledRule): string | undefined {
  const k = r.target.kind;
  if (k !== 'accept' && k !== 'drop' && k !== 'reject') return undefined;
  if (r.src.length !== 1 || r.srcDyn.length > 0 || r.unknown !== null || r.assumptions.length > 0)
    return undefined;
  if (r.conditions?.length || r.effects?.length) return undefined;
  const generic = r.rule.generic.filter((o) => o.name !== '-s');
  if (generic.length !== r.rule.generic.length - 1) return undefined;
  return JSON.stringify([generic, r.rule.matches, r.rule.target]);
}

function findRuns(ch: CompiledChain, fam: CompiledFamily): void {
  // A cheap key first: only neighbours that share it get the full signature.
  const pre = ch.rules.map((r) => `${r.rule.target?.name} ${r.rule.generic.length} ${r.rule.matches.length}`);
  const sigs = ch.rules.map((r, i) =>
    pre[i] === pre[i - 1] || pre[i] === pre[i + 1] ? runSignature(r) : undefined,
  );
  for (let i = 0; i < ch.rules.length;) {
    const sig = sigs[i];
    let j = i + 1;
    if (sig !== undefined) while (j < ch.rules.length && sigs[j] === sig) j++;
    if (j - i >= 2) ch.runs[i] = { id: fam.runCount++, rules: ch.rules.slice(i, j), end: j };
    i = j;
  }
}

export function ruleText(r: CompiledRule): string {
  return (r.text ??= formatRuleText(r.rule, r.chain));
}

export function ruleDecision(r: CompiledRule): DecidedBy {
  if (!r.decided) {
    const d: DecidedBy = {
      kind: 'rule',
      family: r.family,
      table: r.table,
      chain: r.chain,
      index: r.index,
      rule: ruleText(r),
    };
    if (r.rule.pos) d.line = r.rule.pos.line;
    r.decided = d;
  }
  return r.decided;
}

export function chainOf(f: CompiledFamily, table: string, chain: string): CompiledChain | undefined {
  return f.chains.get(`${table} ${chain}`);
}
