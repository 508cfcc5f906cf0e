import type { ChainPolicy, Family, HostState, IpSet, Plan, Rule, TableName } from '../model/index.js';
import { NFT_TABLE, findChain, isBuiltinChain, isNftOperation, nftFamilyOf } from '../model/index.js';
import { nftFamiliesOf, nftTableDigest, type NftTableSnapshot } from '../backend/nftables/plan-nft.js';
import { commentOf, formatRule, ruleKey, unbuiltRule, unbuiltRuleBodies } from '../parse/index.js';
import type { DesiredChain, DesiredState } from '../compile/desired-state.js';
import { TAG_PREFIX, chainKind } from '../compile/ownership.js';
import { ownedRules } from '../plan/chain-diff.js';
import { undoMemberChanges, type MemberChange } from './member-undo.js';
import { updatesInPlace } from './restore-script.js';

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
  /** The set as it was; without its members when `changes` records what happened to them. */
  set?: IpSet;
  /**
   * The apply changed only members, in place: what it deleted and added (each attempt's, in order),
   * instead of every member before (see member-undo.ts). Only in snapshots of format 2.
   */
  changes?: MemberChange[];
}

/**
 * Written (0600, durably, inside the apply's journal) before an apply changes anything; `rollback`
 * and an unconfirmed `--confirm` restore it.
 */
export interface Snapshot {
  /** 2 when a set is recorded by its `changes` (a dockwall that reads only format 1 refuses it). */
  formatVersion: 1 | 2;
  createdAt: string;
  policyFile: string;
  /** The apply this snapshot was taken for (absent in snapshots of older versions). */
  applyId?: string;
  chains: ChainSnapshot[];
  sets: SetSnapshot[];
  /**
   * dockwall's own nftables tables the apply changes (Docker's nftables backend), whole, as nft
   * printed them; `table: null` when it did not exist. Absent in snapshots of older versions.
   */
  nft?: NftTableSnapshot[];
  /** sha256 of the policy file's text (watch will not put back a policy rolled back or not confirmed). */
  policyHash?: string;
  /** What the apply left in the chains and sets it touched, recorded when it completed. */
  after?: AppliedMark;
  /** Set when this snapshot was restored (by `rollback`, a revert, or undoing an interrupted apply). */
  rolledBackAt?: string;
  /** The apply was interrupted, and undone by the next command. */
  interrupted?: true;
}

/**
 * dockwall's part of the chains and sets an apply touched, as the apply left them: a rollback checks
 * that the kernel still holds this before it undoes that apply with its snapshot.
 */
export interface AppliedMark {
  chains: Array<{
    family: Family;
    table: TableName;
    chain: string;
    exists: boolean;
    policy: ChainPolicy | null;
    /** Rules tagged `dockwall:` (every rule, in a chain dockwall owns), in order. */
    rules: string[];
  }>;
  /**
   * A set's members as a count and an order-independent digest ({@link membersDigest}): a set of
   * 100,000 members is neither sorted nor written out to be recognised. Marks written before
   * carry the sorted `members` instead, and are still read.
   */
  sets: Array<{ name: string; exists: boolean; count?: number; digest?: string; members?: string[] }>;
  /** dockwall's nftables tables: whether each exists, and a digest of its content. */
  nft?: Array<{ family: Family; exists: boolean; digest: string }>;
}

/**
 * The digest of a list of members, whatever their order: two 32-bit FNV-1a hashes of each member
 * (with different offsets), each summed over the members modulo 2^32.
 */
export function membersDigest(members: readonly string[]): string {
  let a = 0;
  let b = 0;
  for (const m of members) {
    let h1 = 0x811c9dc5;
    let h2 = 0x050c5d1f;
    for (let i = 0; i < m.length; i++) {
      const c = m.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193);
    }
    a = (a + (h1 >>> 0)) >>> 0;
    b = (b + (h2 >>> 0)) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

function setMarkDigest(s: AppliedMark['sets'][number]): { count: number; digest: string } {
  if (s.digest !== undefined) return { count: s.count ?? 0, digest: s.digest };
  const members = s.members ?? [];
  return { count: members.length, digest: membersDigest(members) };
}

/** Adds to `into` the chains and sets of `more` it does not record yet (a retried attempt's). */
export function mergeSnapshots(into: Snapshot, more: Snapshot): { snapshot: Snapshot; grew: boolean } {
  const chainId = (c: ChainSnapshot) => `${c.family}/${c.table}/${c.chain}`;
  const have = new Set(into.chains.map(chainId));
  const chains = more.chains.filter((c) => !have.has(chainId(c)));
  const sets = more.sets.filter((s) => !into.sets.some((x) => x.name === s.name));
  const nft = (more.nft ?? []).filter((t) => !(into.nft ?? []).some((x) => x.family === t.family));
  // A set recorded by its changes that the retry changes again: its changes are added, or, when the
  // retry records it whole, the whole set before the retry with the first changes undone.
  let changed = false;
  const merged = into.sets.map((s) => {
    const again = s.changes && more.sets.find((x) => x.name === s.name);
    if (!again?.existed || !again.set) return s;
    changed = true;
    if (again.changes) return { ...s, changes: [...s.changes!, ...again.changes] };
    return {
      name: s.name,
      existed: true,
      set: { ...again.set, members: undoMemberChanges(again.set.members, s.changes!) },
    };
  });
  if (chains.length === 0 && sets.length === 0 && nft.length === 0 && !changed)
    return { snapshot: into, grew: false };
  const snapshot: Snapshot = { ...into, chains: [...into.chains, ...chains], sets: [...merged, ...sets] };
  if (into.nft || nft.length > 0) snapshot.nft = [...(into.nft ?? []), ...nft];
  snapshot.formatVersion = snapshotFormat(snapshot.sets);
  return { snapshot, grew: true };
}

function snapshotFormat(sets: readonly SetSnapshot[]): 1 | 2 {
  return sets.some((s) => s.changes) ? 2 : 1;
}

/**
 * dockwall's part, now, of the chains and sets a snapshot names (see AppliedMark). With `desired`,
 * a rule of an owned chain read as text and spelled exactly as a wanted rule's key is taken as that
 * key without being built (a key read back as text is its own key: the planner relies on the same).
 */
export function appliedMark(state: HostState, snap: Snapshot, desired?: DesiredState): AppliedMark {
  const chains = snap.chains.map((c) => {
    const live = state.rulesets[c.family]
      ? findChain(state.rulesets[c.family]!, c.table, c.chain)
      : undefined;
    const owned = chainKind(c.table, c.chain) === 'owned';
    const bodies = owned && live && desired ? unbuiltRuleBodies(live) : undefined;
    const rules = bodies
      ? keysByText(bodies, wantedKeys(desired!, c), (i) => ruleKey(unbuiltRule(live!, i), c.family))
      : (live?.rules ?? [])
          .filter((r) => owned || commentOf(r)?.startsWith(TAG_PREFIX))
          .map((r) => ruleKey(r, c.family));
    return {
      family: c.family,
      table: c.table,
      chain: c.chain,
      exists: !!live,
      policy: live?.policy ?? null,
      rules,
    };
  });
  const sets = snap.sets.map((s) => {
    const live = state.sets.sets.find((x) => x.name === s.name);
    const members = live?.members ?? [];
    return { name: s.name, exists: !!live, count: members.length, digest: membersDigest(members) };
  });
  if (!snap.nft) return { chains, sets };
  const nft = snap.nft.map((t) => {
    const live = state.nft?.[t.family];
    return { family: t.family, exists: !!live, digest: nftTableDigest(live) };
  });
  return { chains, sets, nft };
}

function wantedKeys(desired: DesiredState, c: ChainSnapshot): Set<string> {
  const d = desired.chains.find((x) => x.family === c.family && x.table === c.table && x.chain === c.chain);
  return new Set(d?.rules.map((r) => r.key));
}

/** Each body's key: the body itself where it is a wanted key, else the built rule's. */
function keysByText(bodies: readonly string[], keys: Set<string>, build: (i: number) => string): string[] {
  return bodies.map((b, i) => (keys.has(b) ? b : build(i)));
}

/** The first way `now` differs from `then`, in words; undefined when they are the same. */
export function markDifference(then: AppliedMark, now: AppliedMark): string | undefined {
  for (const t of then.chains) {
    const n = now.chains.find((c) => c.family === t.family && c.table === t.table && c.chain === t.chain);
    const where = `${t.family} ${t.table} ${t.chain}`;
    if (!n || n.exists !== t.exists) return `${where} ${t.exists ? 'no longer exists' : 'exists now'}`;
    if (n.policy !== t.policy) return `the policy of ${where} is ${n.policy} (the apply set ${t.policy})`;
    if (n.rules.join('\n') !== t.rules.join('\n'))
      return `dockwall's rules in ${where} differ from what the apply left (${n.rules.length} now, ${t.rules.length} then)`;
  }
  for (const t of then.sets) {
    const n = now.sets.find((s) => s.name === t.name);
    if (!n || n.exists !== t.exists) return `set ${t.name} ${t.exists ? 'no longer exists' : 'exists now'}`;
    const [nd, td] = [setMarkDigest(n), setMarkDigest(t)];
    if (nd.count !== td.count || nd.digest !== td.digest) return `set ${t.name} holds other members`;
  }
  for (const t of then.nft ?? []) {
    const n = now.nft?.find((x) => x.family === t.family);
    const where = `nftables table ${nftFamilyOf(t.family)} ${NFT_TABLE}`;
    if (!n || n.exists !== t.exists) return `${where} ${t.exists ? 'no longer exists' : 'exists now'}`;
    if (n.digest !== t.digest) return `${where} differs from what the apply left`;
  }
  return undefined;
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
    if (have && op.op === 'update-set' && updatesInPlace(op))
      sets.push({
        name,
        existed: true,
        set: { ...have, members: [] },
        changes: [{ added: op.add, removed: op.remove }],
      });
    else sets.push(have ? { name, existed: true, set: have } : { name, existed: false });
  }
  const snap: Snapshot = {
    formatVersion: snapshotFormat(sets),
    createdAt: now.toISOString(),
    policyFile,
    chains: [...chains.values()],
    sets,
  };
  const nftFamilies = nftFamiliesOf(plan.operations.filter(isNftOperation));
  if (nftFamilies.length > 0)
    snap.nft = nftFamilies.map((family) => ({ family, table: state.nft?.[family] ?? null }));
  return snap;
}
