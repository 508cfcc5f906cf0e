import ipaddr from 'ipaddr.js';
import type { Family } from '../model/ruleset.js';

/**
 * An address as unsigned 32-bit words: one word for IPv4, four (most significant first) for IPv6.
 * Kept as plain numbers so that matching in the walk allocates nothing.
 */
export type Addr = readonly number[];

/** An address with a mask, as `-s`/`-d` and the conntrack options take them. */
export interface Cidr {
  family: Family;
  net: Addr;
  mask: Addr;
  /** Prefix length when the mask is contiguous; -1 for a mask like `255.0.255.0`. */
  prefix: number;
  /** First and last address covered (only meaningful when `prefix >= 0`). */
  start: bigint;
  end: bigint;
}

const V4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function familyBits(family: Family): number {
  return family === 'ipv4' ? 32 : 128;
}

export function maxAddr(family: Family): bigint {
  return (1n << BigInt(familyBits(family))) - 1n;
}

export function parseAddr(text: string, family?: Family): Addr | undefined {
  const m = V4_RE.exec(text);
  if (m) {
    if (family === 'ipv6') return undefined;
    let v = 0;
    for (let i = 1; i <= 4; i++) {
      const o = Number(m[i]);
      if (o > 255) return undefined;
      v = v * 256 + o;
    }
    return [v];
  }
  if (family === 'ipv4' || !text.includes(':')) return undefined;
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.IPv6.isValid(bare) || bare.includes('%')) return undefined;
  const bytes = ipaddr.IPv6.parse(bare).toByteArray();
  const w: number[] = [];
  for (let i = 0; i < 16; i += 4) {
    w.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  }
  return w;
}

export function addrFamily(a: Addr): Family {
  return a.length === 1 ? 'ipv4' : 'ipv6';
}

export function formatAddr(a: Addr): string {
  if (a.length === 1) {
    const v = a[0]!;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const bytes: number[] = [];
  for (const w of a) bytes.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  return ipaddr.fromByteArray(bytes).toString();
}

export function addrToBig(a: Addr): bigint {
  let v = 0n;
  for (const w of a) v = (v << 32n) | BigInt(w);
  return v;
}

export function bigToAddr(v: bigint, family: Family): Addr {
  if (family === 'ipv4') return [Number(v & 0xffffffffn)];
  const w: number[] = [];
  for (let i = 3; i >= 0; i--) w.push(Number((v >> BigInt(i * 32)) & 0xffffffffn));
  return w;
}

export function formatBig(v: bigint, family: Family): string {
  return formatAddr(bigToAddr(v, family));
}

function prefixMask(prefix: number, words: number): number[] {
  const m: number[] = [];
  for (let i = 0; i < words; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    m.push(bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0);
  }
  return m;
}

function maskPrefix(mask: Addr): number {
  let prefix = 0;
  let ended = false;
  for (const w of mask) {
    for (let b = 31; b >= 0; b--) {
      const set = ((w >>> b) & 1) === 1;
      if (set && ended) return -1;
      if (set) prefix++;
      else ended = true;
    }
  }
  return prefix;
}

/** `10.0.0.0/8`, `10.0.0.1` (host), `10.0.0.0/255.0.255.0` (iptables-save's non-contiguous masks), `fd00::/64`. */
export function parseCidr(text: string, family?: Family): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddr(addrText, family);
  if (!addr) return undefined;
  const fam = addrFamily(addr);
  const bits = familyBits(fam);
  let mask: Addr;
  if (slash < 0) mask = prefixMask(bits, addr.length);
  else {
    const m = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(m)) {
      const p = Number(m);
      if (p > bits) return undefined;
      mask = prefixMask(p, addr.length);
    } else {
      const parsed = parseAddr(m, fam);
      if (!parsed) return undefined;
      mask = parsed;
    }
  }
  const net = addr.map((w, i) => (w & mask[i]!) >>> 0);
  const prefix = maskPrefix(mask);
  const start = addrToBig(net);
  const hostBits = prefix < 0 ? 0n : (1n << BigInt(bits - prefix)) - 1n;
  return { family: fam, net, mask, prefix, start, end: start | hostBits };
}

export function cidrContains(c: Cidr, a: Addr): boolean {
  if (a.length !== c.net.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i]! & c.mask[i]!) >>> 0 !== c.net[i]) return false;
  return true;
}

/** A compiled membership test for one CIDR; IPv4 avoids any loop. */
export function cidrTest(c: Cidr): (a: Addr) => boolean {
  if (c.family === 'ipv4') {
    const m = c.mask[0]!;
    const n = c.net[0]!;
    return (a) => a.length === 1 && (a[0]! & m) >>> 0 === n;
  }
  return (a) => cidrContains(c, a);
}

export function cmpAddr(a: Addr, b: Addr): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function addrEquals(a: Addr, b: Addr): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `10.0.0.1-10.0.0.9` as iprange writes it. */
export function parseAddrRange(text: string, family?: Family): [Addr, Addr] | undefined {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const a = parseAddr(text, family);
    return a ? [a, a] : undefined;
  }
  const a = parseAddr(text.slice(0, dash), family);
  const b = a && parseAddr(text.slice(dash + 1), addrFamily(a));
  if (!a || !b || cmpAddr(a, b) > 0) return undefined;
  return [a, b];
}

/** The fewest CIDRs covering exactly [start, end]. */
export function rangeToCidrs(start: bigint, end: bigint, family: Family): string[] {
  const bits = familyBits(family);
  if (start === end) return [`${formatBig(start, family)}/${bits}`];
  const out: string[] = [];
  let cur = start;
  while (cur <= end) {
    let size = 0;
    while (size < bits) {
      const block = 1n << BigInt(size + 1);
      if (cur % block !== 0n || cur + block - 1n > end) break;
      size++;
    }
    out.push(`${formatBig(cur, family)}/${bits - size}`);
    cur += 1n << BigInt(size);
  }
  return out;
}

/** A range written as CIDRs when that takes at most `maxCidrs`, otherwise as `first-last`. */
export function formatRange(start: bigint, end: bigint, family: Family, maxCidrs = 4): string[] {
  const cidrs = rangeToCidrs(start, end, family);
  if (cidrs.length <= maxCidrs) return cidrs;
  return [`${formatBig(start, family)}-${formatBig(end, family)}`];
}
