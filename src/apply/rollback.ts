import type { HostState, Operation, Plan } from '../model/index.js';
import { findChain } from '../model/index.js';
import { commentOf, parseRuleText, ruleKey } from '../parse/index.js';
import type { DesiredChain, DesiredState } from '../compile/desired-state.js';
import { chainKind, nameFromTag } from '../compile/ownership.js';
import { deleteOwnedRules } from '../plan/chain-diff.js';
import { planChanges, summarize } from '../plan/planner.js';
import type { Snapshot } from './snapshot.js';

/**
 * The plan that puts back what a snapshot recorded: dockwall's rules and policies in the chains the
 * apply touched, the sets it changed; chains and sets the apply created are removed. Rules that are
 * not dockwall's are never touched, so a rollback after Docker restarted leaves Docker's rules alone.
 */
export function planRollback(current: HostState, snap: Snapshot): Plan {
  const chains: DesiredChain[] = [];
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
    chains.push(want);
  }
  const desired: DesiredState = {
    chains,
    sets: snap.sets.filter((s) => s.existed && s.set).map((s) => s.set!),
    families: [...new Set(snap.chains.map((c) => c.family))],
    diagnostics: [],
  };
  const plan = planChanges(current, desired, { prune: false, families: desired.families });
  const destroy: Operation[] = snap.sets
    .filter((s) => !s.existed)
    .map((s) => ({ op: 'destroy-set', name: s.name }));
  const operations = [...plan.operations, ...extra, ...destroy];
  return { ...plan, operations, summary: summarize(operations) };
}
