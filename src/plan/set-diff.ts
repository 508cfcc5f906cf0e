import type { IpSet, IpSetState, Operation } from '../model/index.js';
import { memberKeys, sortedMemberKeys } from '../parse/index.js';

/**
 * Operations for the sets the policy declares. Only declared sets are touched; undeclared sets
 * are not dockwall's. Creation options are compared only where the policy states them, so the
 * kernel's defaults (hashsize, maxelem, bucketsize, initval) never cause a change.
 */
export function diffSets(desired: IpSet[], live: IpSetState): Operation[] {
  const ops: Operation[] = [];
  for (const want of desired) {
    const have = live.sets.find((s) => s.name === want.name);
    if (!have) {
      ops.push({ op: 'create-set', set: want });
      continue;
    }
    const mismatch = specMismatch(want, have);
    if (mismatch) {
      ops.push({ op: 'replace-set', name: want.name, reason: mismatch, set: want });
      continue;
    }
    const { add, remove } = memberChanges(want.members, have.members);
    if (add.length > 0 || remove.length > 0)
      ops.push({ op: 'update-set', name: want.name, add, remove, set: want });
  }
  return ops;
}

function specMismatch(want: IpSet, have: IpSet): string | undefined {
  if (want.type !== have.type) return `type ${have.type} → ${want.type}`;
  const wf = want.family ?? 'inet';
  const hf = have.family ?? 'inet';
  if (wf !== hf && !want.type.startsWith('list:')) return `family ${hf} → ${wf}`;
  const haveOpts = new Map(have.options.map(([k, v]) => [k, String(v)] as const));
  for (const [k, v] of want.options) {
    const hv = haveOpts.get(k);
    if (hv !== String(v)) return `${k} ${hv ?? '(unset)'} → ${String(v)}`;
  }
  return undefined;
}

/**
 * The members of `want` not in `have` (in `want`'s order, a repeated one each time) and those of
 * `have` not in `want` (in `have`'s order, once each). Small lists: one Set of `have` that `want`
 * empties as it goes. Large ones (a blocklist of 100,000): plain IPv4 members are compared as
 * numbers ({@link plainIPv4Key}), sorted, and only the few that differ are looked at as strings.
 */
export function memberChanges(
  want: readonly string[],
  have: readonly string[],
): { add: string[]; remove: string[] } {
  // The same list on both sides (a set read back as the members it was given): nothing differs.
  if (want === have) return { add: [], remove: [] };
  return want.length + have.length >= KEYED_FROM ? keyedChanges(want, have) : stringChanges(want, have);
}

/** From this many members on, the keyed comparison pays for its sorting. */
const KEYED_FROM = 2048;

function stringChanges(
  want: readonly string[],
  have: readonly string[],
): { add: string[]; remove: string[] } {
  const rest = new Set(have);
  const candidates: string[] = [];
  for (const m of want) if (!rest.delete(m)) candidates.push(m);
  // A member listed twice in `want` finds `rest` already emptied of it the second time: a candidate
  // that is in `have` after all is no addition.
  // (A few candidates are looked up in `have` directly, many through a Set of it.)
  if (candidates.length === 0 || have.length === rest.size) return { add: candidates, remove: [...rest] };
  const inHave = candidates.length <= 64 ? (m: string) => have.includes(m) : setHas(have);
  return { add: candidates.filter((m) => !inHave(m)), remove: [...rest] };
}

function setHas(items: readonly string[]): (m: string) => boolean {
  const set = new Set(items);
  return (m) => set.has(m);
}

/** The members' keys (-1 where a member is not plain IPv4), and the members that have none. */
function keysOf(members: readonly string[]): { keys: Float64Array; others: string[] } {
  const keys = memberKeys(members);
  const others: string[] = [];
  for (let i = 0; i < members.length; i++) if (keys[i]! < 0) others.push(members[i]!);
  return { keys, others };
}

/** The keys of `a` that `b` lacks (each once), both sorted, -1s first. */
function missingKeys(a: Float64Array, b: Float64Array): Set<number> {
  const out = new Set<number>();
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const k = a[i]!;
    if (k < 0) continue;
    while (j < b.length && b[j]! < k) j++;
    if (j >= b.length || b[j] !== k) out.add(k);
  }
  return out;
}

/**
 * {@link stringChanges} by keys: a string with a key equals another string exactly when their keys
 * are equal, and never equals a string without one, so the keyed members and the others are
 * compared apart (the others as strings) and picked in the lists' own order.
 */
function keyedChanges(want: readonly string[], have: readonly string[]): { add: string[]; remove: string[] } {
  const w = keysOf(want);
  const h = keysOf(have);
  const ws = sortedMemberKeys(want);
  const hs = sortedMemberKeys(have);
  const addKeys = missingKeys(ws, hs);
  const removeKeys = missingKeys(hs, ws);
  const otherHave = new Set(h.others);
  const otherWant = new Set(w.others);
  const add: string[] = [];
  if (addKeys.size > 0 || w.others.length > 0)
    for (let i = 0; i < want.length; i++) {
      const k = w.keys[i]!;
      if (k >= 0 ? addKeys.has(k) : !otherHave.has(want[i]!)) add.push(want[i]!);
    }
  const remove: string[] = [];
  if (removeKeys.size > 0 || h.others.length > 0) {
    const done = new Set<string>();
    for (let i = 0; i < have.length; i++) {
      const k = h.keys[i]!;
      const m = have[i]!;
      if ((k >= 0 ? removeKeys.has(k) : !otherWant.has(m)) && !done.has(m)) {
        done.add(m);
        remove.push(m);
      }
    }
  }
  return { add, remove };
}
