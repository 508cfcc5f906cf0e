import type { Family } from '../model/index.js';
import { formatAddress, formatPrefix, overlaps, parsePrefix, type Prefix } from './cidr.js';

/**
 * Free address ranges for Docker's networks: candidates in the private ranges, in a fixed order
 * (10.200.0.0/16 … 10.254.0.0/16, then 172.31.0.0/16 down to 172.16.0.0/16, then /20s of
 * 192.168.128.0/17), each kept only if it overlaps nothing already routed or used by Docker.
 */

function* candidatesV4(): Generator<string> {
  for (let b = 200; b <= 254; b++) yield `10.${b}.0.0/16`;
  for (let b = 31; b >= 16; b--) yield `172.${b}.0.0/16`;
  for (let c = 128; c < 256; c += 16) yield `192.168.${c}.0/20`;
}

function* candidatesV6(): Generator<string> {
  for (let n = 1; n <= 0xff; n++) yield `fd64:d0c:${n.toString(16)}::/48`;
}

/** Up to `count` candidate ranges of `family` that overlap none of `taken`. */
export function freeRanges(family: Family, taken: readonly Prefix[], count: number): Prefix[] {
  const out: Prefix[] = [];
  const candidates = family === 'ipv4' ? candidatesV4() : candidatesV6();
  for (const text of candidates) {
    if (out.length >= count) break;
    const p = parsePrefix(text);
    if (p && !taken.some((t) => overlaps(t, p)) && !out.some((o) => overlaps(o, p))) out.push(p);
  }
  return out;
}

export interface AddressPlan {
  /** A free range for `default-address-pools` (new user networks get `size`-bit subnets from it). */
  pool?: { base: string; size: number };
  /** A free address for the default bridge (`bip`: gateway address with prefix length). */
  bip?: string;
  /** For IPv6: a free pool and a `fixed-cidr-v6` for the default bridge. */
  pool6?: { base: string; size: number };
  fixedCidrV6?: string;
}

/**
 * Free ranges for daemon.json: an IPv4 pool (a /16 split into /24s) and, when `needBip`, a /24 for
 * docker0 from a second free range; the same for IPv6 when asked.
 */
export function planAddresses(
  taken: readonly Prefix[],
  need: { pool: boolean; bip: boolean; pool6: boolean; fixedCidrV6: boolean },
): AddressPlan {
  const plan: AddressPlan = {};
  const v4 = freeRanges('ipv4', taken, (need.pool ? 1 : 0) + (need.bip ? 1 : 0));
  let k = 0;
  if (need.pool && v4[k]) plan.pool = { base: formatPrefix(v4[k++]!), size: 24 };
  if (need.bip && v4[k]) {
    const r = v4[k]!;
    // The bridge's own address: the first host of the range's first /24.
    plan.bip = `${formatAddress('ipv4', r.start + 1n)}/24`;
  }
  const v6 = freeRanges('ipv6', taken, (need.pool6 ? 1 : 0) + (need.fixedCidrV6 ? 1 : 0));
  let j = 0;
  if (need.pool6 && v6[j]) plan.pool6 = { base: formatPrefix(v6[j++]!), size: 64 };
  if (need.fixedCidrV6 && v6[j]) plan.fixedCidrV6 = formatPrefix({ ...v6[j]!, length: 64 });
  return plan;
}
