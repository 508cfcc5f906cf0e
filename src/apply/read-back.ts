import type { Chain, ChainRef, HostState, Plan, Ruleset, Table } from '../model/index.js';
import { iptablesOperations } from '../model/index.js';
import { parseIptablesS } from '../parse/index.js';

/**
 * What an apply must read back to know the state its transaction left, and what it knows already.
 *
 * A chain the transaction declared (`:CHAIN - [0:0]` creates it, or flushes it if someone made it
 * meanwhile) holds exactly the rules the transaction put in it once the transaction commits: the
 * table changed as a whole, so nobody's rule can be in between. Reading it back would only show
 * what someone changed *after* the commit, which no read can rule out (status and watch see that as
 * drift). A deleted chain is gone for the same reason. Every other chain the transaction touched
 * (built-in chains with jumps in them, chains changed rule by rule) may hold other programs' rules
 * and positions that moved under the plan, so those are read again, with the sets it touched. The
 * chains it did not touch keep the state read before.
 */
export interface ReadBackScope {
  /** Touched chains whose content others may share: read these again. */
  reread: ChainRef[];
  /** Chains the transaction declared, with the rules it put in them, in order. */
  exact: Array<ChainRef & { rules: string[] }>;
  deleted: ChainRef[];
  /** Sets the plan created, changed or destroyed: read these again. */
  sets: string[];
}

const keyOf = (r: ChainRef) => `${r.family}\u0000${r.table}\u0000${r.chain}`;

export function readBackScope(plan: Plan): ReadBackScope {
  const exact = new Map<string, ChainRef & { rules: string[] }>();
  const deleted = new Map<string, ChainRef>();
  const touched = new Map<string, ChainRef>();
  const sets = new Set<string>();
  for (const op of iptablesOperations(plan.operations)) {
    if (!('family' in op)) {
      sets.add(op.op === 'create-set' ? op.set.name : op.name);
      continue;
    }
    const ref: ChainRef = { family: op.family, table: op.table, chain: op.chain };
    const k = keyOf(ref);
    if (op.op === 'create-chain') {
      exact.set(k, { ...ref, rules: [] });
      continue;
    }
    if (op.op === 'delete-chain') {
      exact.delete(k);
      touched.delete(k);
      deleted.set(k, ref);
      continue;
    }
    const known = exact.get(k);
    if (known && op.op === 'insert-rule') {
      known.rules.splice(op.append ? known.rules.length : op.position - 1, 0, op.rule);
      continue;
    }
    // Anything else in a declared chain (not something the planner writes): read it back.
    if (known) exact.delete(k);
    touched.set(k, ref);
  }
  return {
    reread: [...touched.values()],
    exact: [...exact.values()],
    deleted: [...deleted.values()],
    sets: [...sets],
  };
}

/** Rules read or known as text become chains the planner compares by spelling, as a read back gives them. */
function exactChains(scope: ReadBackScope, family: string, table: string): Chain[] {
  const mine = scope.exact.filter((c) => c.family === family && c.table === table);
  if (mine.length === 0) return [];
  const text = mine.flatMap((c) => [`-N ${c.chain}`, ...c.rules.map((r) => `-A ${c.chain} ${r}`)]).join('\n');
  const res = parseIptablesS(`${text}\n`, {
    file: '(the applied transaction)',
    family: mine[0]!.family,
    table: mine[0]!.table,
  });
  if (!res.value)
    throw new Error(`internal error: applied rules do not read back: ${res.diagnostics[0]?.message}`);
  return res.value.chains;
}

/**
 * The state after a transaction: `before`, with the chains and sets `scope` says were read again
 * taken from `reread`, the declared chains as the transaction wrote them, the deleted ones gone.
 */
export function mergeReadBack(before: HostState, scope: ReadBackScope, reread: HostState): HostState {
  const replaced = new Set([...scope.reread, ...scope.exact, ...scope.deleted].map(keyOf));
  const rulesets: HostState['rulesets'] = {};
  const families = new Set([
    ...(Object.keys(before.rulesets) as Array<keyof HostState['rulesets']>),
    ...[...scope.reread, ...scope.exact].map((c) => c.family),
  ]);
  for (const family of families) {
    const old = before.rulesets[family];
    const fresh = reread.rulesets[family];
    const tableNames = new Set<Table['name']>([
      ...(old?.tables ?? []).map((t) => t.name),
      ...(fresh?.tables ?? []).map((t) => t.name),
      ...scope.exact.filter((c) => c.family === family).map((c) => c.table),
    ]);
    const tables: Table[] = [];
    for (const name of tableNames) {
      const kept = (old?.tables.find((t) => t.name === name)?.chains ?? []).filter(
        (c) => !replaced.has(keyOf({ family, table: name, chain: c.name })),
      );
      const again = (fresh?.tables.find((t) => t.name === name)?.chains ?? []).filter((c) =>
        replaced.has(keyOf({ family, table: name, chain: c.name })),
      );
      tables.push({ name, chains: [...kept, ...again, ...exactChains(scope, family, name)] });
    }
    const rs: Ruleset = { ...old, family, tables };
    if (!rs.variant && fresh?.variant) rs.variant = fresh.variant;
    rulesets[family] = rs;
  }
  const touchedSets = new Set(scope.sets);
  const sets = [
    ...before.sets.sets.filter((s) => !touchedSets.has(s.name)),
    ...reread.sets.sets.filter((s) => touchedSets.has(s.name)),
  ];
  return { ...before, rulesets, sets: { ...before.sets, sets } };
}
