import type { Family } from '../model/index.js';
import { canonicalNetwork, parseIPv6 } from './address.js';
import { parseMac } from './mac-address.js';

/**
 * Values the rule parser refuses because iptables refuses them: `-s`/`-d` addresses and `-m mac`
 * addresses. They live here, apart from the parser, because the dump reader's shape cache
 * (rule-shapes.ts) must class these values exactly as the parser judges them.
 */
export interface ValueCheck {
  /** The option's spellings: the short one and every long one (a long option may be abbreviated). */
  short?: string;
  long: readonly string[];
  ok(text: string, family: Family): boolean;
  /** `ok` of text[start, end), without copying it when it can (the shape cache's hot path). */
  okAt?(text: string, start: number, end: number, family: Family): boolean;
  /** What the option expects, for the message. */
  expects(family: Family): string;
  /** A hint for a value that fails. */
  hint?(text: string, option: string): string | undefined;
}

/** An address or network as `-s`/`-d` take it: a.b.c.d[/prefix or /mask], or an IPv6 one. */
export function isNetworkSpelling(text: string, family: Family): boolean {
  if (canonicalNetwork(text, family) !== null) return true;
  if (family !== 'ipv6') return false;
  // ip6tables also takes a mask written as an address.
  const slash = text.indexOf('/');
  return slash > 0 && parseIPv6(text.slice(0, slash)) !== null && parseIPv6(text.slice(slash + 1)) !== null;
}

/**
 * `isNetworkSpelling` of text[start, end) for IPv4 without copying: `a[.b[.c[.d]]]` (each part at
 * most 255, as iptables completes a short address) with an optional `/prefix`. Anything else (a
 * dotted mask, IPv6) is judged by `isNetworkSpelling` on a copy.
 */
function networkAt(text: string, start: number, end: number, family: Family): boolean {
  if (family !== 'ipv4') return isNetworkSpelling(text.slice(start, end), family);
  let parts = 0;
  let part = -1;
  let i = start;
  for (; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return false;
    } else if (c === 46 || c === 47) {
      if (part < 0 || parts === 4) return false;
      parts++;
      part = -1;
      if (c === 47) break;
    } else {
      return false;
    }
  }
  if (i >= end) return parts > 0;
  // A prefix after the slash: 1 to 3 digits, at most 32; a dotted mask takes the careful path.
  const len = end - i - 1;
  if (len < 1 || len > 3) return isNetworkSpelling(text.slice(start, end), family);
  let n = 0;
  for (let k = i + 1; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return isNetworkSpelling(text.slice(start, end), family);
    n = n * 10 + (c - 48);
  }
  return n <= 32;
}

export const ADDRESS_CHECK: ValueCheck = {
  long: ['--source', '--src', '--destination', '--dst'],
  ok: isNetworkSpelling,
  okAt: networkAt,
  expects: (family) =>
    family === 'ipv4'
      ? 'an IPv4 address or network (a.b.c.d, a.b.c.d/prefix)'
      : 'an IPv6 address or network (2001:db8::1, 2001:db8::/32)',
  hint: (text, option) => {
    if (/^[^/-]+-[^/-]+$/.test(text)) {
      const which = option.startsWith('-d') || option.startsWith('--d') ? 'dst' : 'src';
      return `an address range is a match of its own: -m iprange --${which}-range ${text}`;
    }
    if (/^[A-Za-z]/.test(text) && !text.includes(':')) {
      return 'host names are not resolved: write the address (iptables would resolve it once, at load time)';
    }
    return undefined;
  },
};

export const MAC_CHECK: ValueCheck = {
  long: ['--mac-source'],
  ok: (text) => parseMac(text) !== undefined,
  expects: () => 'a MAC address of six hexadecimal pairs (00:11:22:33:44:55)',
  hint: (text) =>
    /^[0-9a-f]{1,2}([-.][0-9a-f]{1,2}){5}$/i.test(text)
      ? 'iptables separates the pairs with colons only (00:11:22:33:44:55)'
      : undefined,
};

const CHECKS: readonly ValueCheck[] = [ADDRESS_CHECK, MAC_CHECK];
const ADDRESS_ONLY: readonly ValueCheck[] = [ADDRESS_CHECK];

/**
 * The checks whose option `text[start, end)` may be (for the shape cache): `-s`/`-d`, or any
 * abbreviation of a long spelling. Taking too many is safe (it only splits shapes finer).
 */
export function checksNamedBy(text: string, start: number, end: number): readonly ValueCheck[] | undefined {
  const len = end - start;
  if (len < 2 || text.charCodeAt(start) !== 45) return undefined;
  let out: ValueCheck[] | undefined;
  if (len === 2) {
    const c = text.charCodeAt(start + 1);
    return c === 115 /* s */ || c === 100 /* d */ ? ADDRESS_ONLY : undefined;
  }
  if (text.charCodeAt(start + 1) !== 45 || len < 3) return undefined;
  // Only --s…, --d… and --m… can abbreviate a checked option: most words stop here.
  const third = text.charCodeAt(start + 2);
  if (third !== 115 /* s */ && third !== 100 /* d */ && third !== 109 /* m */) return undefined;
  for (const check of CHECKS) {
    if (check.long.some((l) => abbreviates(text, start, len, l))) (out ??= []).push(check);
  }
  return out;
}

/** Whether text[start, start + len) is `long` or a beginning of it. */
function abbreviates(text: string, start: number, len: number, long: string): boolean {
  if (len > long.length) return false;
  for (let k = 0; k < len; k++) if (text.charCodeAt(start + k) !== long.charCodeAt(k)) return false;
  return true;
}
