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
    const haveMembers = new Set(have.members);
    const wantMembers = new Set(want.members);
    const add = want.members.filter((m) => !haveMembers.has(m));
    const remove = have.members.filter((m) => !wantMembers.has(m));
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
