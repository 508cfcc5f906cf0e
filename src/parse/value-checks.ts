import type { Family } from '../model/index.js';
import { canonicalNetwork, parseIPv6 } from './address.js';

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

const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

export const ADDRESS_CHECK: ValueCheck = {
  long: ['--source', '--src', '--destination', '--dst'],
  ok: isNetworkSpelling,
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
  ok: (text) => MAC.test(text),
  expects: () => 'a MAC address of six hexadecimal pairs (00:11:22:33:44:55)',
};

const CHECKS: readonly ValueCheck[] = [ADDRESS_CHECK, MAC_CHECK];

/**
 * The checks whose option `text[start, end)` may be (for the shape cache): `-s`/`-d`, or any
 * abbreviation of a long spelling. Taking too many is safe (it only splits shapes finer).
 */
export function checksNamedBy(text: string, start: number, end: number): ValueCheck[] | undefined {
  const len = end - start;
  if (len < 2 || text.charCodeAt(start) !== 45) return undefined;
  let out: ValueCheck[] | undefined;
  if (len === 2) {
    const c = text.charCodeAt(start + 1);
    if (c === 115 /* s */ || c === 100 /* d */) out = [ADDRESS_CHECK];
    return out;
  }
  if (text.charCodeAt(start + 1) !== 45 || len < 3) return undefined;
  const word = text.slice(start, end);
  for (const check of CHECKS) {
    if (check.long.some((l) => len <= l.length && l.startsWith(word))) (out ??= []).push(check);
  }
  return out;
}
