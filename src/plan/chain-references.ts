import type { DesiredState } from '../compile/desired-state.js';
import type { Diagnostic, HostState } from '../model/index.js';
import { diag, findChain } from '../model/index.js';

/**
 * The policy's jumps to chains it does not make (Docker's, other programs'), checked against the
 * host: a chain that is neither there nor made by this plan would fail the transaction when it
 * commits (`iptables-restore --test` does not notice). A family the state does not hold is not
 * judged (the planner reports it as not read).
 */
export function missingChainReferences(state: HostState, desired: DesiredState): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ref of desired.references ?? []) {
    const live = state.rulesets[ref.family];
    if (!live) continue;
    if (findChain(live, ref.table, ref.target)) continue;
    const made = desired.chains.some(
      (c) => c.family === ref.family && c.table === ref.table && c.chain === ref.target,
    );
    if (made) continue;
    const flag = ref.kind === 'goto' ? '-g' : '-j';
    const extra: { length?: number; hint?: string } = {
      hint: `create \`${ref.target}\` first, declare it in the policy, or correct the name`,
    };
    if (ref.length !== undefined) extra.length = ref.length;
    out.push(
      diag(
        'error',
        'plan.missing-chain',
        `rule \`${ref.rule}\` in ${ref.chain}: \`${flag} ${ref.target}\` goes to a chain the host's ${ref.family} ${ref.table} table does not have and this policy does not make: the transaction would fail when it commits`,
        ref.pos,
        extra,
      ),
    );
  }
  return out;
}
