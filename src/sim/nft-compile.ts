import type { NftChain, NftRuleset, NftSet, NftTable } from '../model/nft.js';
import { IPTABLES_NFT_TABLES, nftTableKey } from '../model/nft.js';
import type { Family, Ruleset } from '../model/ruleset.js';
import { buildHostIndex, type HostIndex } from './routing.js';
import { formatNftRule } from './nft-format.js';
import { compileNftRule } from './nft-rule.js';
import type { CompiledChain, CompiledFamily, CompiledRule, Hook, NftBase, SimTable } from './thread.js';

/**
 * Adds an nftables rule set to one family's compiled rules: the chains of every table that holds
 * packets of that family (`ip` or `ip6`, and `inet`), and its base chains by hook in priority
 * order. iptables-nft's own tables (`ip filter`, `ip6 nat`, …) are left out when the iptables
 * rules of that family were read with iptables-save: the walk takes them from there, at their
 * tables' priorities. What is left out, and what is not modelled, is reported in `notes`.
 */

const HOOKS: Record<string, Hook> = {
  prerouting: 'PREROUTING',
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  postrouting: 'POSTROUTING',
};

/** Hooks where an accept is the filter decision (as the filter table's). */
const FILTER_HOOKS = new Set<Hook>(['INPUT', 'FORWARD', 'OUTPUT']);

export interface NftCompileNotes {
  /** Tables taken from iptables-save instead (`ip filter`). */
  viaIptables: string[];
  /** Base chains of other families (netdev, bridge, arp) that can change a verdict. */
  unmodelled: string[];
}

export function nftChainKey(table: SimTable, chain: string): string {
  return `nft ${table} ${chain}`;
}

function familyHolds(t: NftTable, family: Family): boolean {
  return t.family === 'inet' || t.family === (family === 'ipv4' ? 'ip' : 'ip6');
}

/** Whether nft's copy of an iptables-nft table is left to the iptables walk. */
export function takenFromIptables(t: NftTable, iptables: Ruleset | undefined): boolean {
  if (!iptables || iptables.variant === 'legacy') return false;
  if (t.family !== 'ip' && t.family !== 'ip6') return false;
  if (!IPTABLES_NFT_TABLES.includes(t.name)) return false;
  return iptables.tables.some((x) => x.name === t.name);
}

function trivial(c: NftChain): boolean {
  return c.rules.length === 0 && c.base?.policy !== 'drop';
}

export function compileNftInto(
  fam: CompiledFamily,
  nft: NftRuleset,
  host: HostIndex,
  iptables: Ruleset | undefined,
): NftCompileNotes {
  const notes: NftCompileNotes = { viaIptables: [], unmodelled: [] };
  const hooks = new Map<Hook, NftBase[]>();
  const family = fam.family;
  for (const t of nft.tables) {
    if (!familyHolds(t, family)) {
      if (t.family === 'netdev' || t.family === 'bridge')
        for (const c of t.chains)
          if (c.base && !trivial(c))
            notes.unmodelled.push(`${nftTableKey(t)} chain ${c.name} (hook ${c.base.hook})`);
      continue;
    }
    if (takenFromIptables(t, iptables)) {
      notes.viaIptables.push(nftTableKey(t));
      continue;
    }
    addTable(fam, t, host, hooks);
  }
  for (const list of hooks.values()) list.sort((a, b) => a.prio - b.prio);
  fam.nft = hooks;
  fam.nftNotes = notes;
  markFilterRules(hooks);
  return notes;
}

function addTable(fam: CompiledFamily, t: NftTable, host: HostIndex, hooks: Map<Hook, NftBase[]>): void {
  const table = nftTableKey(t) as SimTable;
  const sets = new Map<string, NftSet>(t.sets.map((s) => [s.name, s]));
  const chains = new Map<string, CompiledChain>();
  for (const c of t.chains) {
    const cc: CompiledChain = {
      table,
      name: c.name,
      policy: c.base ? (c.base.policy === 'drop' ? 'DROP' : 'ACCEPT') : null,
      rules: [],
      runs: [],
    };
    chains.set(c.name, cc);
    fam.chains.set(nftChainKey(table, c.name), cc);
  }
  const ctx = {
    family: fam.family,
    tableFamily: t.family,
    host,
    sets,
    chain: (name: string) => chains.get(name),
  };
  for (const c of t.chains) {
    const cc = chains.get(c.name)!;
    c.rules.forEach((rule, i) => {
      const text = formatNftRule(rule);
      for (const part of compileNftRule(rule, ctx)) {
        const cr: CompiledRule = {
          id: fam.rules.length,
          family: fam.family,
          table,
          chain: c.name,
          index: i + 1,
          rule: { generic: [], matches: [], target: null, pos: rule.pos },
          checks: part.checks,
          src: part.src,
          srcDyn: part.src.filter((x) => x.dynamic),
          unknown: part.unknown,
          assumptions: part.assumptions,
          target: part.target,
          text: part.label ? `${text} [${part.label}]` : text,
        };
        fam.rules.push(cr);
        cc.rules.push(cr);
      }
    });
    const hook = c.base ? HOOKS[c.base.hook] : undefined;
    if (c.base && hook) {
      const list = hooks.get(hook) ?? [];
      list.push({ chain: cc, hook, prio: c.base.prio, type: c.base.type, policy: cc.policy!, table });
      hooks.set(hook, list);
    }
  }
}

/** Rules reached from a filter-type base chain at input, forward or output decide as the filter table does. */
function markFilterRules(hooks: Map<Hook, NftBase[]>): void {
  const seen = new Set<CompiledChain>();
  const todo: CompiledChain[] = [];
  for (const [hook, list] of hooks)
    if (FILTER_HOOKS.has(hook)) for (const b of list) if (b.type === 'filter') todo.push(b.chain);
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    for (const r of c.rules) {
      r.filter = true;
      if (r.target.kind === 'chain') todo.push(r.target.chain);
    }
  }
}

/** A compiled nftables rule set alone (no iptables rules), for checking that any parsed rule set compiles. */
export function compileNftRuleset(nft: NftRuleset, family: Family = 'ipv4'): CompiledFamily {
  const fam: CompiledFamily = { family, chains: new Map(), rules: [], runCount: 0, present: false };
  compileNftInto(fam, nft, buildHostIndex({ interfaces: [] }), undefined);
  return fam;
}
