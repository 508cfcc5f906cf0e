import type { NftLiveTable, NftTableSpec } from '../../../src/model/index.js';

/**
 * The table as a faithful read back would show it (handles numbered, verdicts as nft's JSON gives
 * them); with `expr`, each rule also carries a stand-in for nft's expression (`expr of BODY`).
 */
export function asRead(spec: NftTableSpec, opts: { expr?: boolean } = {}): NftLiveTable {
  let handle = 1;
  return {
    family: spec.family,
    name: spec.name,
    sets: spec.sets.map((s) => ({ name: s.name, type: s.type, elements: s.elements.map((e) => e.element) })),
    chains: spec.chains.map((c) => ({
      name: c.name,
      ...(c.hook ? { hook: c.hook } : {}),
      rules: c.rules.map((r) => {
        const jump = /\b(jump|goto) (\S+)$/.exec(r.body);
        const verdict = jump
          ? `${jump[1]} ${jump[2]}`
          : /\breject\b/.test(r.body)
            ? 'reject'
            : /\b(accept|drop|return)$/.exec(r.body)?.[1];
        return {
          handle: handle++,
          comment: r.comment,
          ...(verdict ? { verdict } : {}),
          ...(opts.expr ? { expr: `expr of ${r.body}` } : {}),
        };
      }),
    })),
  };
}

/**
 * `nft -j list table ip dockwall` as nft 1.0.6 prints it: the table, one set, the forward chain
 * (hooked at priority -10) and one rule in it. The set and the rule are given without their family
 * and table.
 */
export function dockwallTableJson(parts: {
  tableHandle: number;
  set: Record<string, unknown>;
  rule: { handle: number; comment: string; expr: unknown[] };
}): string {
  const at = { family: 'ip', table: 'dockwall' };
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'ip', name: 'dockwall', handle: parts.tableHandle } },
      { set: { ...at, ...parts.set } },
      {
        chain: {
          ...at,
          name: 'forward',
          handle: 1,
          type: 'filter',
          hook: 'forward',
          prio: -10,
          policy: 'accept',
        },
      },
      { rule: { ...at, chain: 'forward', ...parts.rule } },
    ],
  });
}
