import type { ChainPolicy, Family, HostState, IpSet, Plan, Rule, TableName } from '../model/index.js';
import { findChain, isBuiltinChain } from '../model/index.js';
import { formatRule } from '../parse/index.js';
import type { DesiredChain, DesiredState } from '../compile/desired-state.js';
import { chainKind } from '../compile/ownership.js';
import { ownedRules } from '../plan/chain-diff.js';

/** What a chain held of dockwall's before an apply: enough to put it back. */
export interface ChainSnapshot {
  family: Family;
  table: TableName;
  chain: string;
  existed: boolean;
  policy: ChainPolicy | null;
  /** dockwall's rules in the chain, in order, as iptables printed them. */
  rules: string[];
  /** Where each of them was in the chain (1-based), so a rollback can put them back exactly. */
  positions?: number[];
  /** The chain's other rules, in order: exact positions only mean something while these are unchanged. */
  others?: string[];
}

export interface SetSnapshot {
  name: string;
  existed: boolean;
  set?: IpSet;
}

/** Written (0600) before every apply; `rollback` and an unconfirmed `--confirm` restore it. */
export interface Snapshot {
  formatVersion: 1;
  createdAt: string;
  policyFile: string;
  chains: ChainSnapshot[];
  sets: SetSnapshot[];
}

/** Records the chains and sets a plan touches, as they are before it runs. */
export function takeSnapshot(
  state: HostState,
  desired: DesiredState,
  plan: Plan,
  policyFile: string,
  now: Date,
): Snapshot {
  const chains = new Map<string, ChainSnapshot>();
  const wanted = new Map<string, DesiredChain>(
    desired.chains.map((c) => [`${c.family}/${c.table}/${c.chain}`, c]),
  );
  for (const op of plan.operations) {
    if (!('family' in op)) continue;
    const id = `${op.family}/${op.table}/${op.chain}`;
    if (chains.has(id)) continue;
    const live = state.rulesets[op.family]
      ? findChain(state.rulesets[op.family]!, op.table, op.chain)
      : undefined;
    const want: DesiredChain = wanted.get(id) ?? {
      family: op.family,
      table: op.table,
      chain: op.chain,
      kind: chainKind(op.table, op.chain),
      rules: [],
    };
    const owned = live ? ownedRules(want, live) : [];
    const snap: ChainSnapshot = {
      family: op.family,
      table: op.table,
      chain: op.chain,
      existed: !!live || isBuiltinChain(op.table, op.chain),
      policy: live?.policy ?? (isBuiltinChain(op.table, op.chain) ? 'ACCEPT' : null),
      rules: owned.map((r: Rule) => formatRule(r)),
    };
    if (live && want.kind === 'shared') {
      const mine = new Set(owned);
      snap.positions = [];
      snap.others = [];
      live.rules.forEach((r, i) =>
        mine.has(r) ? snap.positions!.push(i + 1) : snap.others!.push(formatRule(r)),
      );
    }
    chains.set(id, snap);
  }
  const sets: SetSnapshot[] = [];
  for (const op of plan.operations) {
    if (
      op.op !== 'create-set' &&
      op.op !== 'update-set' &&
      op.op !== 'replace-set' &&
      op.op !== 'destroy-set'
    )
      continue;
    const name = op.op === 'create-set' ? op.set.name : op.name;
    if (sets.some((s) => s.name === name)) continue;
    const have = state.sets.sets.find((s) => s.name === name);
    sets.push(have ? { name, existed: true, set: have } : { name, existed: false });
  }
  return { formatVersion: 1, createdAt: now.toISOString(), policyFile, chains: [...chains.values()], sets };
}
