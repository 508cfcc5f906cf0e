import type { Family } from '../model/index.js';
import { NO_PREFIX, plainIPv4Key } from './ipv4-key.js';

/**
 * IPv4 and IPv6 addresses as iptables reads and prints them: IPv4 as a 32-bit number, IPv6 as eight
 * 16-bit words. Printing follows glibc's inet_ntop (what iptables-save uses).
 */

/** Parses `a.b.c.d`; like iptables, a shorter `a.b` is completed with zeros unless `strict`. */
export function parseIPv4(text: string, strict = false): number | null {
  let value = 0;
  let parts = 0;
  let part = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return null;
    } else if (c === 46) {
      if (part < 0 || parts === 4) return null;
      value = value * 256 + part;
      parts++;
      part = -1;
    } else {
      return null;
    }
  }
  if (parts === 0 || (strict && parts !== 4)) return null;
  for (let p = parts; p < 4; p++) value *= 256;
  return value >>> 0;
}

/**
 * Whether `text` is an IPv4 address or network already in canonical spelling: four decimal parts
 * without leading zeros, an optional `/PREFIX` (0-32, no leading zero) and no host bits set. Large
 * set lists are almost all such; they skip the full parse (`canonicalNetwork` returns them as they
 * are). False means "not known to be canonical", not "invalid".
 */
export function isPlainIPv4(text: string): boolean {
  // The same spellings as those with a numeric key: one scanner decides both.
  return plainIPv4Key(text) >= 0;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** A contiguous netmask's prefix length, or -1. */
export function ipv4MaskToPrefix(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  let prefix = 32;
  for (let m = inv; m !== 0; m >>>= 1) prefix--;
  return prefix;
}

export function ipv4PrefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses an IPv6 address (any valid spelling, with an optional embedded IPv4 tail). */
export function parseIPv6(text: string): number[] | null {
  if (text.length < 2 || text.length > 45) return null;
  const head: number[] = [];
  const tail: number[] = [];
  let seenGap = false;
  let words = head;
  let i = 0;
  if (text.startsWith('::')) {
    seenGap = true;
    words = tail;
    i = 2;
    if (i === text.length) return [0, 0, 0, 0, 0, 0, 0, 0];
  } else if (text.charCodeAt(0) === 58) {
    return null;
  }
  for (;;) {
    let j = i;
    let word = 0;
    while (j < text.length && j - i < 5) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      word = word * 16 + h;
      j++;
    }
    if (j < text.length && text.charCodeAt(j) === 46) {
      const v4 = parseIPv4(text.slice(i), true);
      if (v4 === null || head.length + tail.length > 6) return null;
      words.push(v4 >>> 16, v4 & 0xffff);
      break;
    }
    if (j === i || j - i > 4) return null;
    words.push(word);
    if (j === text.length) break;
    if (text.charCodeAt(j) !== 58) return null;
    if (text.charCodeAt(j + 1) === 58) {
      if (seenGap) return null;
      seenGap = true;
      words = tail;
      i = j + 2;
      if (i === text.length) break;
    } else {
      i = j + 1;
      if (i === text.length) return null;
    }
  }
  const total = head.length + tail.length;
  if (seenGap ? total > 7 : total !== 8) return null;
  const out = head.slice();
  for (let k = total; k < 8; k++) out.push(0);
  for (const w of tail) out.push(w);
  return out;
}

/** glibc inet_ntop: longest run (≥2) of zero words becomes `::`; IPv4-mapped/compatible tails dotted. */
export function formatIPv6(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(((words[6]! << 16) | words[7]!) >>> 0);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function maskIPv6(words: readonly number[], prefix: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    out.push(words[i]! & mask);
  }
  return out;
}

function parsePrefix(text: string, max: number): number {
  if (text.length === 0 || text.length > 3) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n <= max ? n : -1;
}

export interface Network {
  /** Canonical `address/prefix` (or `address/dotted-mask` for a non-contiguous IPv4 mask). */
  text: string;
  /** 0 for "any address". */
  prefix: number;
}

/**
 * An address with an optional mask as iptables stores `-s`/`-d`: host bits cleared, `/32` or `/128`
 * for a single host, dotted masks turned into prefix lengths. Null when it is not an address of
 * that family (a host name, a list).
 */
export function canonicalNetwork(text: string, family: Family): Network | null {
  if (family === 'ipv4') {
    // Plain IPv4 (decimal parts without leading zeros, a prefix, no host bits: what iptables-save
    // prints, and what nearly every policy writes) is its own canonical spelling.
    const key = plainIPv4Key(text);
    if (key >= 0) {
      const code = key % 64;
      return code === NO_PREFIX ? { text: `${text}/32`, prefix: 32 } : { text, prefix: code };
    }
  }
  return generalNetwork(text, family);
}

/** `canonicalNetwork` by the general way: parse, mask and print again. */
export function generalNetwork(text: string, family: Family): Network | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  if (family === 'ipv4') {
    const addr = parseIPv4(addrText);
    if (addr === null) return null;
    let mask = 0xffffffff;
    if (maskText !== undefined) {
      const prefix = parsePrefix(maskText, 32);
      if (prefix >= 0) {
        mask = ipv4PrefixToMask(prefix);
      } else {
        const m = parseIPv4(maskText, true);
        if (m === null) return null;
        mask = m;
      }
    }
    const prefix = ipv4MaskToPrefix(mask);
    const net = formatIPv4((addr & mask) >>> 0);
    if (prefix < 0) return { text: `${net}/${formatIPv4(mask)}`, prefix: 32 };
    return { text: `${net}/${prefix}`, prefix };
  }
  const words = parseIPv6(addrText);
  if (words === null) return null;
  let prefix = 128;
  if (maskText !== undefined) {
    prefix = parsePrefix(maskText, 128);
    if (prefix < 0) return null;
  }
  return { text: `${formatIPv6(maskIPv6(words, prefix))}/${prefix}`, prefix };
}

/** A single address in canonical spelling (no mask), or null. */
export function canonicalAddress(text: string, family: Family): string | null {
  if (family === 'ipv4') {
    const v = parseIPv4(text, true);
    return v === null ? null : formatIPv4(v);
  }
  const w = parseIPv6(text);
  return w === null ? null : formatIPv6(w);
}

/** Which family an address or network is written in, by its spelling. */
export function addressFamily(text: string): Family | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (parseIPv4(addr, true) !== null) return 'ipv4';
  if (parseIPv6(addr) !== null) return 'ipv6';
  return null;
}
