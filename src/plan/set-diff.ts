import type { IpSet, IpSetState, Operation } from '../model/index.js';

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
 * The members of `want` not in `have` (in `want`'s order) and those of `have` not in `want` (in
 * `have`'s order). One Set of `have` that `want` empties as it goes: half the hashing of a Set each
 * way, which counts for sets of 100,000 members planned several times per apply.
 */
export function memberChanges(
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
