import { createHash } from 'node:crypto';
import type { HostState, Plan } from '../model/index.js';

/**
 * A plan saved by `dockwall plan -o FILE` for `dockwall apply FILE`, as terraform does: the plan and
 * what it was planned against, so that apply can refuse when the host or the policy changed since.
 */
export interface SavedPlan {
  kind: 'dockwall-saved-plan';
  formatVersion: 1;
  dockwallVersion: string;
  createdAt: string;
  policy: { file: string; sha256: string };
  /** `live`: planned against this host's tables; `dumps`: against saved dumps (cannot be applied). */
  host: 'live' | 'dumps';
  /** Digest of the chains and sets the plan read (the host state it was computed from). */
  stateSha256: string;
  /** Digest of the plan's operations. */
  planSha256: string;
  plan: Plan;
}

/**
 * JSON with object keys sorted, so equal values give equal text whatever the key order; keys in
 * `leaveOut` are dropped at every depth.
 */
export function canonicalJson(value: unknown, leaveOut: readonly string[] = []): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Built by concatenation, without the intermediate arrays of entries: a read back of 1,000 nft
  // rules puts every rule's expressions through here.
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i === 0 ? '' : ',') + canonicalJson(value[i], leaveOut);
    return s + ']';
  }
  const keys = Object.keys(value);
  // Keys are strings: the default order is by UTF-16 code units, as `<` compares them.
  if (keys.length > 1) keys.sort();
  let s = '{';
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || (leaveOut.length > 0 && leaveOut.includes(k))) continue;
    s += (s.length === 1 ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(v, leaveOut);
  }
  return s + '}';
}

/**
 * What traffic or the reading changes without the firewall changing: packet counters, source
 * positions, and the objects of dockwall's nftables tables as nft printed them (counter values
 * included; their content is in the chains and rules read beside them, counters left out).
 */
const NOT_THE_FIREWALL = ['counters', 'pos', 'objects'];

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export const stateDigest = (state: HostState): string => sha256(canonicalJson(state, NOT_THE_FIREWALL));
export const planDigest = (plan: Plan): string => sha256(canonicalJson(plan.operations));

export interface SavePlanInput {
  policyFile: string;
  policyText: string;
  state: HostState;
  plan: Plan;
  offline: boolean;
  dockwallVersion: string;
  createdAt: Date;
}

export function makeSavedPlan(i: SavePlanInput): SavedPlan {
  return {
    kind: 'dockwall-saved-plan',
    formatVersion: 1,
    dockwallVersion: i.dockwallVersion,
    createdAt: i.createdAt.toISOString(),
    policy: { file: i.policyFile, sha256: sha256(i.policyText) },
    host: i.offline ? 'dumps' : 'live',
    stateSha256: stateDigest(i.state),
    planSha256: planDigest(i.plan),
    plan: i.plan,
  };
}

/** Reads a saved plan's text: the plan, or why it is not one. */
export function parseSavedPlan(text: string, file: string): SavedPlan | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `${file} is not a saved plan: ${(e as Error).message}` };
  }
  const p = v as Partial<SavedPlan> | null;
  if (!p || typeof p !== 'object' || p.kind !== 'dockwall-saved-plan')
    return { error: `${file} is not a saved plan (write one with \`dockwall plan -f POLICY -o FILE\`)` };
  if (p.formatVersion !== 1)
    return {
      error: `${file} is a saved plan of format ${String(p.formatVersion)}; this dockwall reads format 1`,
    };
  const ok =
    typeof p.policy?.file === 'string' &&
    typeof p.policy.sha256 === 'string' &&
    (p.host === 'live' || p.host === 'dumps') &&
    typeof p.stateSha256 === 'string' &&
    typeof p.planSha256 === 'string' &&
    Array.isArray(p.plan?.operations);
  if (!ok) return { error: `${file} is a damaged saved plan (a field is missing or of the wrong type)` };
  if (planDigest(p.plan!) !== p.planSha256)
    return { error: `${file} was edited since it was saved: its operations do not match their digest` };
  return p as SavedPlan;
}

/** A plan made against saved dumps was not made against any host, so no host may apply it. */
export function madeFromDumps(saved: SavedPlan): string | undefined {
  return saved.host === 'dumps'
    ? 'it was planned against saved dumps, not made against this host: make it with `dockwall plan -o` on the host'
    : undefined;
}

/** Why a saved plan may not be applied to this host now (undefined: it may). */
export function savedPlanRefusal(
  saved: SavedPlan,
  now: { policyText: string; state: HostState; plan: Plan },
): string | undefined {
  const dumps = madeFromDumps(saved);
  if (dumps) return dumps;
  if (sha256(now.policyText) !== saved.policy.sha256)
    return `the policy file ${saved.policy.file} changed since the plan was made (${saved.createdAt})`;
  if (stateDigest(now.state) !== saved.stateSha256)
    return `the host's firewall changed since the plan was made (${saved.createdAt}): make a new plan`;
  if (planDigest(now.plan) !== saved.planSha256)
    return `the same policy and tables now plan differently (Docker's containers or the policy's member files changed since ${saved.createdAt}): make a new plan`;
  return undefined;
}
