import type { Chain, HostState, IpSet, Operation, Plan } from '../model/index.js';
import { findChain } from '../model/index.js';
import { commentOf, formatRule, parseRuleText, ruleKey } from '../parse/index.js';
import type { DesiredChain, DesiredState } from '../compile/desired-state.js';
import { chainKind, nameFromTag } from '../compile/ownership.js';
import { deleteOp, deleteOwnedRules, insertOp, nameOf, ownedRules } from '../plan/chain-diff.js';
import { planChanges, summarize } from '../plan/planner.js';
import { nftRestoreScript, planNftRestore } from '../backend/nftables/plan-nft.js';
import type { ChainSnapshot, SetSnapshot, Snapshot } from './snapshot.js';
import { setBeforeChanges } from './member-undo.js';

/**
 * The plan that puts back what a snapshot recorded: dockwall's rules and policies in the chains the
 * apply touched, the sets it changed, dockwall's own nftables tables as they were (deleted if they
 * did not exist); chains and sets the apply created are removed. Rules that are not dockwall's are
 * never touched, so a rollback after Docker restarted leaves Docker's rules alone. The nftables part
 * is carried out by `rollbackNftScript`'s transaction.
 */
export function planRollback(current: HostState, snap: Snapshot): Plan {
  const chains: DesiredChain[] = [];
  const exact: Operation[] = [];
  const extra: Operation[] = [];
  for (const c of snap.chains) {
    const ref = { family: c.family, table: c.table, chain: c.chain };
    if (!c.existed) {
      const live = current.rulesets[c.family]
        ? findChain(current.rulesets[c.family]!, c.table, c.chain)
        : undefined;
      if (live) extra.push(...deleteOwnedRules(ref, live), { op: 'delete-chain', ...ref });
      continue;
    }
    const rules = c.rules.map((text, i) => {
      const res = parseRuleText(text, { family: c.family, file: '<snapshot>', line: i + 1, column: 1 });
      if (!res.value) throw new Error(`snapshot rule does not parse: ${text}`);
      const comment = commentOf(res.value);
      const name = nameFromTag(comment) ?? comment ?? `rule-${i + 1}`;
      return { name, rule: res.value, key: ruleKey(res.value, c.family), identity: 'own-comment' as const };
    });
    const want: DesiredChain = { ...ref, kind: chainKind(c.table, c.chain), rules };
    if (c.policy) want.policy = c.policy;
    const live = current.rulesets[c.family]
      ? findChain(current.rulesets[c.family]!, c.table, c.chain)
      : undefined;
    const put = live && exactly(want, c, live);
    if (put) {
      exact.push(...put);
      if (c.policy && live.policy !== c.policy)
        exact.push({ op: 'set-policy', ...ref, from: live.policy, to: c.policy });
    } else chains.push(want);
  }
  const desired: DesiredState = {
    chains,
    sets: snap.sets.filter((s) => s.existed && s.set).map((s) => setToPutBack(current, s)),
    families: [...new Set(snap.chains.map((c) => c.family))],
    diagnostics: [],
  };
  const plan = planChanges(current, desired, { prune: false, families: desired.families });
  // Sets the apply created, where they exist (an apply stopped early may not have made them).
  const destroy: Operation[] = snap.sets
    .filter((s) => !s.existed && current.sets.sets.some((x) => x.name === s.name))
    .map((s) => ({ op: 'destroy-set', name: s.name }));
  // Chains put back exactly come after the sets and chains they may refer to are back.
  let head = 0;
  while (head < plan.operations.length && PREPARE.has(plan.operations[head]!.op)) head++;
  const operations = [
    ...plan.operations.slice(0, head),
    ...exact,
    ...plan.operations.slice(head),
    ...extra,
    ...destroy,
    ...planNftRestore(current.nft, snap.nft ?? []),
  ];
  return { ...plan, operations, summary: summarize(operations) };
}

/** A set as a snapshot recorded it: whole, or (recorded by its changes) the live set's members with them undone. */
function setToPutBack(current: HostState, s: SetSnapshot): IpSet {
  if (!s.changes) return s.set!;
  const live = current.sets.sets.find((x) => x.name === s.name);
  if (!live)
    throw new Error(
      `set ${s.name} no longer exists: the apply changed only some of its members, and the snapshot records just those, not what else it held (create the set again, then try again)`,
    );
  return setBeforeChanges(s.set!, live, s.changes);
}

/**
 * The `nft -j -f` transaction that carries out a rollback plan's nftables operations: every table of
 * the snapshot the plan touches, put back whole in one transaction (empty when it touches none).
 */
export function rollbackNftScript(snap: Snapshot, plan: Plan): string {
  return nftRestoreScript(snap.nft ?? [], plan.operations);
}

const PREPARE = new Set<Operation['op']>(['create-set', 'update-set', 'replace-set', 'create-chain']);

/**
 * When a shared chain's other rules are as the snapshot saw them, the operations that put dockwall's
 * rules back at their exact former positions (below Docker's jumps, if that is where they were):
 * remove the ones there now, bottom up, then insert the snapshot's, top down. Undefined otherwise
 * (the planner then puts them back on top, in order).
 */
function exactly(want: DesiredChain, c: ChainSnapshot, live: Chain): Operation[] | undefined {
  if (!c.positions || !c.others || c.positions.length !== c.rules.length) return undefined;
  const ours = new Set(ownedRules(want, live));
  const others = live.rules.filter((r) => !ours.has(r));
  if (others.length !== c.others.length) return undefined;
  for (let i = 0; i < others.length; i++) {
    const was = parseRuleText(c.others[i]!, { family: c.family, file: '<snapshot>', line: 1, column: 1 });
    if (!was.value || ruleKey(was.value, c.family) !== ruleKey(others[i]!, c.family)) return undefined;
  }
  // Nothing to do when the chain is already as it was.
  const same =
    live.rules.length === c.rules.length + others.length &&
    c.positions.every(
      (p, k) => ours.has(live.rules[p - 1]!) && ruleKey(live.rules[p - 1]!, c.family) === want.rules[k]!.key,
    );
  if (same) return [];
  const ref = { family: c.family, table: c.table, chain: c.chain };
  const ops: Operation[] = [];
  for (let i = live.rules.length - 1; i >= 0; i--) {
    const r = live.rules[i]!;
    if (ours.has(r)) ops.push(deleteOp(ref, i + 1, formatRule(r), nameOf(r)));
  }
  c.positions.forEach((position, k) => {
    const length = others.length + k;
    ops.push(insertOp(ref, position, c.rules[k]!, position === length + 1, want.rules[k]!.name));
  });
  return ops;
}
