import type { TableName } from '../model/index.js';
import { isBuiltinChain } from '../model/index.js';
import { isDockerOwnedChain } from '../policy/docker-chains.js';

/** The comment prefix dockwall tags its rules with: `-m comment --comment dockwall:NAME`. */
export const TAG_PREFIX = 'dockwall:';

/** Chains whose names start with this are created and wholly owned by dockwall. */
export const OWNED_CHAIN_PREFIX = 'DOCKWALL-';

/** The shared filter's chain, entered from INPUT and DOCKER-USER for packets from external interfaces. */
export const FILTER_CHAIN = 'DOCKWALL-FILTER';

/** The chain for container-aware rules, entered from DOCKER-USER. */
export const CONTAINERS_CHAIN = 'DOCKWALL-CONTAINERS';

export const DOCKER_USER = 'DOCKER-USER';

/** Chains Docker creates, flushes and rebuilds; dockwall never changes their rules. DOCKER-USER is apart. */
export function isDockerChain(chain: string): boolean {
  return isDockerOwnedChain(chain);
}

export function tagFor(name: string): string {
  return TAG_PREFIX + name;
}

export function nameFromTag(comment: string | undefined): string | undefined {
  return comment?.startsWith(TAG_PREFIX) ? comment.slice(TAG_PREFIX.length) : undefined;
}

/**
 * How dockwall treats a chain:
 * - `owned`: dockwall created it and decides every rule in it (user chains of the policy, DOCKWALL-*);
 * - `shared`: built-in chains, DOCKER-USER, and Docker chains a pyfw file names: dockwall's rules sit at
 *   the top in policy order, every other rule is left where it is.
 */
export type ChainKind = 'owned' | 'shared';

export function chainKind(table: TableName, chain: string): ChainKind {
  if (isBuiltinChain(table, chain) || chain === DOCKER_USER || isDockerChain(chain)) return 'shared';
  return 'owned';
}

/** A chain dockwall may delete when no policy wants it any more: only its own prefix is safe to assume. */
export function isDeletableOwnedChain(chain: string): boolean {
  return chain.startsWith(OWNED_CHAIN_PREFIX);
}

/** Docker sets the FORWARD policy itself; dockwall leaves it alone on a host where Docker's chains exist. */
export function isDockerOwnedPolicy(table: TableName, chain: string, dockerPresent: boolean): boolean {
  return dockerPresent && table === 'filter' && chain === 'FORWARD';
}
