import type { Family, HostState, Policy } from '../model/index.js';
import { FAMILIES } from '../model/index.js';

/**
 * The families an entry covers: those the policy lists for it (`families:`), else all, and of those
 * only the families the host has. A family the host lacks has nothing to filter; one the policy
 * leaves out is left unfiltered on purpose.
 */
export function coveredFamilies(
  listed: readonly Family[] | undefined,
  hostFamilies: readonly Family[],
): Family[] {
  return FAMILIES.filter((f) => (listed ?? FAMILIES).includes(f) && hostFamilies.includes(f));
}

/** The families a host state holds rules for: the dumps given, or the tables that could be read. */
export function stateFamilies(state: HostState): Family[] {
  return FAMILIES.filter((f) => state.rulesets[f] !== undefined);
}

/** The families the policy names itself (`ipv4:`, `ipv6:`, a pyfw `ip6tables:`): those must be read. */
export function policyFamilies(policy: Policy): Family[] {
  return FAMILIES.filter((f) => policy.families[f] !== undefined);
}
