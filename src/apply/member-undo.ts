import type { IpSet } from '../model/index.js';
import { memberElement } from '../parse/index.js';

/**
 * The undo record of a set whose members an apply changed in place (a few of many, see
 * `updatesInPlace`): what it deleted and what it added, instead of every member the set held. A set
 * of 100,000 members changed in 10 places is then 20 members in the journal and the snapshot, not
 * 100,000 written three times.
 *
 * Putting the set back deletes what was added and adds again what was deleted. Whatever part of the
 * change the kernel holds (none of it, some `del` lines, all of it), that gives the members before:
 * the deleted members were members then and the added ones were not. A retry that changes the same
 * set again in place adds its own change; they are undone last first.
 */
export interface MemberChange {
  /** Members the apply added (as it spelled them). */
  added: string[];
  /** Members the apply deleted (as the kernel listed them, options included). */
  removed: string[];
}

/**
 * The members of a set holding `members` once `changes` are undone, last first, as `ipset -exist
 * restore` would do it: `del` each added member's element, then `add` each deleted member again
 * (one whose element is there already stays as it is).
 */
export function undoMemberChanges(members: readonly string[], changes: readonly MemberChange[]): string[] {
  let out: string[] = members as string[];
  for (let c = changes.length - 1; c >= 0; c--) {
    const { added, removed } = changes[c]!;
    const drop = new Set(added.map(memberElement));
    const kept = drop.size > 0 ? out.filter((m) => !drop.has(memberElement(m))) : out.slice();
    if (removed.length > 0) {
      const have = new Set(kept.map(memberElement));
      for (const m of removed) {
        const e = memberElement(m);
        if (have.has(e)) continue;
        have.add(e);
        kept.push(m);
      }
    }
    out = kept;
  }
  return out === members ? out.slice() : out;
}

/** The set to put back: its creation options as recorded, its members from the live set's, undone. */
export function setBeforeChanges(recorded: IpSet, live: IpSet, changes: readonly MemberChange[]): IpSet {
  return { ...recorded, members: undoMemberChanges(live.members, changes) };
}
