import { plannedNftRuleset } from '../backend/nftables/planned-ruleset.js';
import type { DesiredState } from '../compile/index.js';
import {
  FAMILIES,
  IPTABLES_NFT_TABLES,
  diag,
  type Diagnostic,
  type Family,
  type HostState,
  type NftRuleset,
  type Plan,
} from '../model/index.js';
import { applyPlanToState, planChanges } from '../plan/index.js';

/**
 * What trace, check and audit walk for "after this policy is applied": the iptables rules with the
 * plan applied and, where Docker runs its nftables backend (the desired state has dockwall's
 * nftables tables), the nftables rule set with dockwall's tables as planned beside Docker's.
 */
export function stateAfterPlan(
  state: HostState,
  desired: DesiredState,
  nft: NftRuleset | undefined,
  plan: Plan = planChanges(state, desired),
): { state: HostState; nft?: NftRuleset; diagnostics: Diagnostic[] } {
  const after = applyPlanToState(state, plan);
  const out: { state: HostState; nft?: NftRuleset; diagnostics: Diagnostic[] } = {
    state: after.state,
    diagnostics: after.diagnostics,
  };
  const planned = desired.nft ? plannedNftRuleset(nft, desired.nft) : nft;
  if (planned) out.nft = planned;
  return out;
}

/** The address families an nftables rule set holds tables for (`ip`, `ip6`; `inet` both). */
export function nftFamilies(nft: NftRuleset): Family[] {
  return FAMILIES.filter((f) =>
    nft.tables.some((t) => t.family === 'inet' || t.family === (f === 'ipv4' ? 'ip' : 'ip6')),
  );
}

/**
 * A saved nftables rule set without an iptables-save dump of a family it holds: the family gets an
 * empty iptables rule set, so that a policy's iptables rules (INPUT, …) are planned and walked for
 * it. Where the rule set holds iptables-nft's own tables of that family, their rules are then not
 * walked: a warning says to give the dump too.
 */
export function withNftFamilies(
  state: HostState,
  nft: NftRuleset,
  file: string,
): {
  state: HostState;
  diagnostics: Diagnostic[];
} {
  const rulesets = { ...state.rulesets };
  const diagnostics: Diagnostic[] = [];
  for (const family of nftFamilies(nft)) {
    if (rulesets[family]) continue;
    rulesets[family] = { family, tables: [], variant: 'nf_tables' };
    const nf = family === 'ipv4' ? 'ip' : 'ip6';
    const own = nft.tables.filter((t) => t.family === nf && IPTABLES_NFT_TABLES.includes(t.name));
    if (own.length > 0)
      diagnostics.push(
        diag(
          'warning',
          'sim.nft-iptables-tables',
          `${file} holds iptables-nft's ${own.map((t) => `${t.family} ${t.name}`).join(', ')}, but no ${family === 'ipv4' ? 'iptables-save' : 'ip6tables-save'} dump was given: the policy's ${family} iptables rules are walked without the rules already there`,
          own[0]!.pos,
          {
            hint: `give its ${family === 'ipv4' ? 'iptables-save' : 'ip6tables-save'} output with --state too`,
          },
        ),
      );
  }
  return { state: { ...state, rulesets }, diagnostics };
}
