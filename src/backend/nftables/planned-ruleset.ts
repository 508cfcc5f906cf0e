import type { NftChain, NftRuleset, NftSet, NftTable, NftTableSpec, SourcePos } from '../../model/index.js';
import { NFT_TABLE, nftFamilyOf, nftTableKey } from '../../model/index.js';
import type { NftDesired } from './for-nftables.js';
import { nftRuleExprs } from './rule-json.js';

/**
 * The nftables rule set as it will be once a plan is applied on a host where Docker runs its
 * nftables backend: every table as it is (Docker's `docker-bridges`, iptables-nft's, other
 * programs'), and dockwall's own tables as planned. apply replaces dockwall's tables whole, so the
 * planned ones take the place of those read, and a family the policy manages without rules for it
 * loses its table. trace, check and audit walk this, as they walk the planned iptables rules.
 */
export function plannedNftRuleset(current: NftRuleset | undefined, want: NftDesired): NftRuleset {
  const planned = want.tables.map(nftTableOfSpec);
  const replaced = new Set([
    ...want.families.map((f) => `${nftFamilyOf(f)} ${NFT_TABLE}`),
    ...planned.map(nftTableKey),
  ]);
  const out: NftRuleset = {
    tables: [...(current?.tables ?? []).filter((t) => !replaced.has(nftTableKey(t))), ...planned],
  };
  if (current?.version) out.version = current.version;
  return out;
}

/** Where a planned table's parts are said to be: the line of the `nft -f` text apply would write. */
function plannedPos(spec: NftTableSpec, line: number): SourcePos {
  return { file: `planned table ${nftFamilyOf(spec.family)} ${spec.name}`, line, column: 1 };
}

/** One of dockwall's tables as wanted, in the form `nft -j list ruleset` reads into. */
export function nftTableOfSpec(spec: NftTableSpec): NftTable {
  const family = nftFamilyOf(spec.family);
  // Lines as nftTableLines numbers them: `table`, `delete table`, `table … {`, then the body.
  let line = 3;
  const sets: NftSet[] = spec.sets.map((s) => {
    const pos = plannedPos(spec, ++line);
    line += (s.interval ? 3 : 1) + (s.elements.length > 0 ? 1 : 0) + 1;
    return {
      name: s.name,
      kind: 'set',
      type: [s.type],
      flags: s.interval ? ['interval'] : [],
      elements: s.elements.map((e) => ({ key: elementKey(e.element) })),
      pos,
    };
  });
  const chains: NftChain[] = spec.chains.map((c) => {
    const chain: NftChain = { name: c.name, rules: [], pos: plannedPos(spec, ++line) };
    if (c.hook) {
      line++;
      chain.base = { type: c.hook.type, hook: c.hook.hook, prio: c.hook.priority, policy: c.hook.policy };
    }
    for (const r of c.rules) {
      const pos = r.pos ?? plannedPos(spec, line + 1);
      line++;
      chain.rules.push({
        ...(r.comment ? { comment: r.comment } : {}),
        expr: nftRuleExprs(r.body, family, pos),
        pos,
      });
    }
    line++;
    return chain;
  });
  return { family, name: spec.name, chains, sets, pos: plannedPos(spec, 3) };
}

/** A set element as nft prints it: an address, `{prefix}` or `{range}`. */
function elementKey(element: string): unknown {
  const slash = element.indexOf('/');
  if (slash > 0) return { prefix: { addr: element.slice(0, slash), len: Number(element.slice(slash + 1)) } };
  const dash = element.indexOf('-');
  if (dash > 0) return { range: [element.slice(0, dash), element.slice(dash + 1)] };
  return element;
}
