import type { IpSet, Plan } from '../model/index.js';
import { NO_PREFIX, sortedMemberKeys, type IpsetHeader } from '../parse/index.js';

/**
 * The read back of a set an apply filled, by its header and count instead of every member.
 *
 * After `ipset -exist restore` accepted every `add` of a set's wanted members (and the `del`s of
 * the others), each wanted member was in the set when its line ran. If the set then has exactly as
 * many entries as members are wanted, it holds the wanted members and nothing else, provided each
 * wanted member is one entry that `ipset save` prints as dockwall spells it. That holds for the
 * sets {@link countableSet} accepts: plain IPv4 members (each with its key, see ipv4-key.ts: one
 * spelling, the one ipset prints) of an IPv4 `hash:net` set, or host addresses of an IPv4 `hash:ip`
 * set (a network there would be many entries), with no creation option that changes what is stored
 * or printed (`netmask`, `timeout`, `counters`, `comment`, …). Any other set, or a count that
 * differs (another program changed the set meanwhile, a member ipset stores otherwise), is read
 * back whole, as before.
 */

/** Creation options that leave the members as they are added and printed. */
const PLAIN_OPTIONS = new Set(['hashsize', 'maxelem', 'bucketsize', 'initval']);

/** Whether a wanted set can be read back by its header and count (see the module's note). */
export function countableSet(set: IpSet): boolean {
  const hashIp = set.type === 'hash:ip';
  if (!hashIp && set.type !== 'hash:net') return false;
  if ((set.family ?? 'inet') !== 'inet') return false;
  if (set.options.some(([k]) => !PLAIN_OPTIONS.has(k))) return false;
  // One pass over the sorted keys (a member without a key sorts first, as -1): each member has a
  // key, a prefix ipset keeps as written, and is there once (the count is then the members').
  const sorted = sortedMemberKeys(set.members);
  let prev = -1;
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i]!;
    if (k <= prev) return false;
    prev = k;
    const code = k % 64;
    if (code === 32 || code === 0 || (hashIp && code !== NO_PREFIX)) return false;
  }
  return true;
}

/**
 * The sets a plan fills (created, changed, replaced) that can be read back by their count, by
 * name, with the members wanted. A set the plan also destroys, or names twice, is not among them.
 */
export function countedSets(plan: Plan): Map<string, IpSet> {
  const out = new Map<string, IpSet>();
  const whole = new Set<string>();
  for (const op of plan.operations) {
    if (op.op === 'destroy-set') {
      whole.add(op.name);
      continue;
    }
    if (op.op !== 'create-set' && op.op !== 'update-set' && op.op !== 'replace-set') continue;
    const name = op.op === 'create-set' ? op.set.name : op.name;
    if (out.has(name) || op.set.name !== name || !countableSet(op.set)) whole.add(name);
    else out.set(name, op.set);
  }
  for (const name of whole) out.delete(name);
  return out;
}

/**
 * The set as the kernel holds it, from its header: the wanted members when the count is theirs,
 * undefined when it is not (or unknown): then the set is read whole.
 */
export function setFromHeader(want: IpSet, header: IpsetHeader | undefined): IpSet | undefined {
  if (!header || header.set.name !== want.name) return undefined;
  if (header.entries === undefined || header.entries !== want.members.length) return undefined;
  return { ...header.set, members: want.members };
}
