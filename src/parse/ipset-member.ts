import { tokenizeLine, type LexToken } from './tokenize.js';

/**
 * An ipset member as dockwall keeps it: the element (`10.0.0.0/8`, `1.2.3.4,tcp:80`) followed by the
 * per-member options that change what it matches or carries, in the order `ipset save` prints them:
 * `nomatch`, `comment "TEXT"`, `skbmark`, `skbprio`, `skbqueue`. A remaining `timeout` and the
 * `packets`/`bytes` counters change by themselves, so they are not part of a member.
 */

/** Options kept with a member, in `ipset save` order; `true` for the flag `nomatch`. */
export type MemberOptions = Array<[string, string | true]>;

export interface SplitMember {
  element: string;
  options: MemberOptions;
  /** The text carried a remaining timeout or counters, which are left out. */
  dynamic: boolean;
}

export interface MemberProblem {
  message: string;
  /** 0-based offset of the offending word in the text, and its length. */
  offset: number;
  length: number;
}

/** Kept options and whether each takes a value, in the order ipset prints them. */
const KEPT: ReadonlyArray<[string, boolean]> = [
  ['nomatch', false],
  ['comment', true],
  ['skbmark', true],
  ['skbprio', true],
  ['skbqueue', true],
];
const KEPT_ARITY = new Map(KEPT);
const ORDER = new Map(KEPT.map(([k], i) => [k, i]));
/** Values that change by themselves: read and left out. */
const DYNAMIC = new Set(['timeout', 'packets', 'bytes']);

/** ipset refuses longer comments (IPSET_MAX_COMMENT_SIZE). */
export const MAX_MEMBER_COMMENT = 255;

/** The element alone: the text up to the first blank (members without options are just that). */
export function memberElement(member: string): string {
  const t = member.trim();
  const sp = t.search(/\s/);
  return sp < 0 ? t : t.slice(0, sp);
}

/** Splits `ELEMENT [OPTION [VALUE]]...` as ipset reads an `add` line after the set name. */
export function splitMember(text: string): { value?: SplitMember; problem?: MemberProblem } {
  const trimmed = text.trim();
  if (!/\s/.test(trimmed)) return { value: { element: trimmed, options: [], dynamic: false } };
  const lexed = tokenizeLine(trimmed, { file: '', line: 1 });
  if (lexed.error) {
    const at = trimmed.indexOf('"');
    return { problem: { message: 'unterminated quote', offset: Math.max(0, at), length: 1 } };
  }
  const [first, ...rest] = lexed.tokens;
  return readMemberOptions(first!.text, trimmed.includes('\\') ? rawComments(trimmed, rest) : rest);
}

/** The element and the option words after it (as tokenized from an `add` line or a policy member). */
export function readMemberOptions(
  element: string,
  words: readonly LexToken[],
): { value?: SplitMember; problem?: MemberProblem } {
  const options: MemberOptions = [];
  let dynamic = false;
  const problem = (message: string, w: LexToken) => ({
    problem: { message, offset: w.column - 1, length: Math.max(1, w.text.length) },
  });
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!;
    const valued = KEPT_ARITY.get(key.text);
    if (valued === undefined && !DYNAMIC.has(key.text)) {
      return problem(
        `unknown member option "${key.text}": expected nomatch, comment, skbmark, skbprio, skbqueue, timeout, packets or bytes`,
        key,
      );
    }
    if (options.some(([k]) => k === key.text)) return problem(`member option "${key.text}" given twice`, key);
    if (valued === false) {
      options.push([key.text, true]);
      continue;
    }
    const value = words[i + 1];
    if (!value) return problem(`member option "${key.text}" needs a value`, key);
    i++;
    if (DYNAMIC.has(key.text)) dynamic = true;
    else {
      const v = canonicalValue(key.text, value.text);
      if (v !== undefined) options.push([key.text, v]);
    }
  }
  options.sort((a, b) => ORDER.get(a[0])! - ORDER.get(b[0])!);
  return { value: { element, options, dynamic } };
}

/**
 * Values as `ipset save` prints them: skb values in hexadecimal without leading zeros, a full
 * skbmark mask left out. ipset prints nothing for an empty comment, a 0/0 skbmark, skbprio 0:0 or
 * skbqueue 0: those are undefined here. Values that are not numbers are kept (the policy checks
 * them; ipset refuses them).
 */
function canonicalValue(key: string, value: string): string | undefined {
  if (key === 'comment') return value === '' ? undefined : value;
  const hex = (h: string) =>
    /^0x[0-9a-f]{1,8}$/i.test(h) ? `0x${parseInt(h.slice(2), 16).toString(16)}` : h;
  if (key === 'skbmark') {
    const [mark, mask, ...more] = value.split('/');
    if (more.length > 0) return value;
    const m = mask === undefined ? undefined : hex(mask);
    if (hex(mark!) === '0x0' && m === '0x0') return undefined;
    return m === undefined || m === '0xffffffff' ? hex(mark!) : `${hex(mark!)}/${m}`;
  }
  if (key === 'skbprio') {
    const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(value);
    if (!m) return value;
    const v = `${parseInt(m[1]!, 16).toString(16)}:${parseInt(m[2]!, 16).toString(16)}`;
    return v === '0:0' ? undefined : v;
  }
  if (key === 'skbqueue') {
    // ipset reads a leading 0 as octal: only plain decimals are taken as numbers.
    if (!/^(0|[1-9]\d{0,4})$/.test(value)) return value;
    return value === '0' ? undefined : value;
  }
  return value;
}

/**
 * ipset prints a comment between double quotes as it is: a backslash in it is a backslash (the
 * tokenizer, made for iptables, reads it as an escape). A comment cannot hold a quote, so the text
 * up to the next quote is the comment.
 */
export function rawComments(line: string, words: LexToken[]): LexToken[] {
  return words.map((w, i) => {
    const key = words[i - 1];
    if (key?.text !== 'comment' || !w.quoted) return w;
    // The opening quote is at column w.column (1-based), so the comment starts at that index.
    const start = w.column;
    const end = line.indexOf('"', start);
    return end < 0 ? w : { ...w, text: line.slice(start, end) };
  });
}

/** A member's text: the element, then its options in ipset's order (a comment always quoted). */
export function joinMember(element: string, options: MemberOptions): string {
  let out = element;
  for (const [k, v] of options) out += v === true ? ` ${k}` : k === 'comment' ? ` ${k} "${v}"` : ` ${k} ${v}`;
  return out;
}

/** The member's options (none for a bare element). */
export function memberOptions(member: string): MemberOptions {
  return /\s/.test(member.trim()) ? (splitMember(member).value?.options ?? []) : [];
}

export function isNomatch(member: string): boolean {
  return memberOptions(member).some(([k]) => k === 'nomatch');
}

/** The member's comment, if it has one. */
export function memberComment(member: string): string | undefined {
  const c = memberOptions(member).find(([k]) => k === 'comment');
  return c && typeof c[1] === 'string' ? c[1] : undefined;
}
