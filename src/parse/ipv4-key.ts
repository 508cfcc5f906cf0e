import { ipv4PrefixToMask } from './address.js';

/**
 * Plain IPv4 members as numbers. A set of 100,000 blocklist members is compared, de-duplicated and
 * sorted far faster as numbers than as strings (no string hashing, no objects), so the large-set
 * paths key each member by a number that stands for its exact spelling.
 *
 * The key of `A.B.C.D` is `ADDR * 64 + 33`, of `A.B.C.D/P` it is `ADDR * 64 + P`: one key for
 * one spelling and one spelling for one key (`1.2.3.4` and `1.2.3.4/32` differ as strings, so
 * their keys differ too). Only spellings {@link isPlainIPv4} accepts have a key: four decimal parts
 * without leading zeros, each 0-255, an optional prefix 0-32 without a leading zero, no host bits
 * set. Every other text has none (-1): it is not known to be canonical, and goes the general way.
 * Keys are integers below 2^38, exact in a double.
 */

/** The key code of a member without a `/PREFIX`. */
export const NO_PREFIX = 33;

/** The key of `text.slice(start, end)` (see the module's note), or -1 when that is not plain IPv4. */
export function plainIPv4Key(text: string, start = 0, end = text.length): number {
  let value = 0;
  let parts = 0;
  let part = -1;
  let digits = 0;
  let i = start;
  for (; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1;
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if ((c === 46 || c === 47) && part >= 0 && parts < 4) {
      value = value * 256 + part;
      parts++;
      part = -1;
      digits = 0;
      if (c === 47 || i === end) break;
    } else {
      return -1;
    }
  }
  if (parts !== 4) return -1;
  if (i >= end) return value * 64 + NO_PREFIX;
  const rest = end - i - 1;
  if (rest < 1 || rest > 2) return -1;
  const d0 = text.charCodeAt(i + 1) - 48;
  const d1 = rest === 2 ? text.charCodeAt(i + 2) - 48 : 0;
  if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || (rest === 2 && d0 === 0)) return -1;
  const prefix = rest === 2 ? d0 * 10 + d1 : d0;
  if (prefix > 32) return -1;
  if (prefix !== 32 && ((value >>> 0) & ~ipv4PrefixToMask(prefix)) !== 0) return -1;
  return value * 64 + prefix;
}

/** The key of the member as ipset prints it in a hash:ip or hash:net set: a `/32` is dropped. */
export function hostlessKey(key: number): number {
  return key % 64 === 32 ? key + 1 : key;
}

/** The spelling of a key (the inverse of {@link plainIPv4Key}). */
export function plainIPv4Text(key: number): string {
  const code = key % 64;
  const v = (key - code) / 64;
  const addr = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  return code === NO_PREFIX ? addr : `${addr}/${code}`;
}

/**
 * The keys of member lists, recorded by whoever made the list and computed the keys anyway (the
 * `ipset save` reader, the members-file reader) or computed once on first use. A members list is
 * not changed once made (plans and states are built anew, never edited in place); the length is
 * checked all the same.
 */
const knownKeys = new WeakMap<readonly string[], Float64Array>();

/** Records the key of every member of `members` (-1 where it has none), in order. */
export function rememberMemberKeys(members: readonly string[], keys: ArrayLike<number>): void {
  if (keys.length === members.length)
    knownKeys.set(members, keys instanceof Float64Array ? keys : new Float64Array(keys));
}

/** The key of every member of `members` (-1 where it has none), in order. */
export function memberKeys(members: readonly string[]): Float64Array {
  const known = knownKeys.get(members);
  if (known && known.length === members.length) return known;
  const keys = new Float64Array(members.length);
  for (let i = 0; i < members.length; i++) keys[i] = plainIPv4Key(members[i]!);
  knownKeys.set(members, keys);
  return keys;
}

/** The keys of `members` sorted (-1s first), computed once per list: the set diff and the read back share them. */
const sortedKeys = new WeakMap<readonly string[], Float64Array>();

/** Records the sorted keys of `members` (who sorted them anyway, to find members listed twice). */
export function rememberSortedMemberKeys(members: readonly string[], sorted: Float64Array): void {
  if (sorted.length === members.length) sortedKeys.set(members, sorted);
}

export function sortedMemberKeys(members: readonly string[]): Float64Array {
  const known = sortedKeys.get(members);
  if (known && known.length === members.length) return known;
  const sorted = memberKeys(members).slice().sort();
  sortedKeys.set(members, sorted);
  return sorted;
}
