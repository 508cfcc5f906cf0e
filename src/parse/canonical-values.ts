import type { RuleOption } from '../model/index.js';
import { needsQuoting } from './quote.js';

/** Small helpers shared by the match and target specs' canonical forms. */

/** A number as strtoul(…, 0) reads it: `0x` hex, leading-zero octal, else decimal. */
export function parseNumber(text: string, max = 0xffffffff): number | null {
  let s = text;
  let radix = 10;
  if (s.length > 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')) {
    radix = 16;
    s = s.slice(2);
  } else if (s.length > 1 && s[0] === '0') {
    radix = 8;
    s = s.slice(1);
  }
  if (s.length === 0 || s.length > (radix === 16 ? 8 : radix === 8 ? 11 : 10)) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d = -1;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    if (d < 0 || d >= radix) return null;
    n = n * radix + d;
  }
  return n <= max ? n : null;
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** `value[/mask]` as two numbers; mask defaults to 0xffffffff. */
export function parseValueMask(text: string): [number, number] | null {
  const slash = text.indexOf('/');
  const v = parseNumber(slash < 0 ? text : text.slice(0, slash));
  const m = slash < 0 ? 0xffffffff : parseNumber(text.slice(slash + 1));
  return v === null || m === null ? null : [v, m];
}

/** `-m mark --mark` spelling: `0x10`, `0x10/0xff`. */
export function canonicalMarkMatch(text: string): string | null {
  const vm = parseValueMask(text);
  if (!vm) return null;
  return vm[1] === 0xffffffff ? hex(vm[0]) : `${hex(vm[0])}/${hex(vm[1])}`;
}

/** A comma list of upper-case names re-ordered as iptables prints them; null if any is unknown. */
export function orderedList(text: string, order: readonly string[], empty?: string): string | null {
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const up = part.toUpperCase();
    if (!order.includes(up)) return null;
    seen.add(up);
  }
  const out = order.filter((n) => seen.has(n));
  return out.length > 0 ? out.join(',') : (empty ?? null);
}

/** `a`, `a:b` (also `a-b`, `a:`, `:b`) of numbers up to `max`; `a:a` prints as `a` unless `keepPair`. */
export function canonicalNumberRange(text: string, max: number, keepPair = false, sep = ':'): string | null {
  let at = text.indexOf(':');
  if (at < 0) at = text.indexOf('-');
  if (at < 0) {
    const n = parseNumber(text, max);
    return n === null ? null : String(n);
  }
  const lo = at === 0 ? 0 : parseNumber(text.slice(0, at), max);
  const hi = at === text.length - 1 ? max : parseNumber(text.slice(at + 1), max);
  if (lo === null || hi === null || lo > hi) return null;
  return lo === hi && !keepPair ? String(lo) : `${lo}${sep}${hi}`;
}

/** A new option; argument tokens are quoted only when they must be. */
export function option(name: string, args: readonly string[] = [], negated = false): RuleOption {
  return { name, negated, args: args.map((text) => ({ text, quoted: needsQuoting(text) })) };
}

/** The first argument's text of the first option with that name. */
export function argOf(options: readonly RuleOption[], name: string): string | undefined {
  return options.find((o) => o.name === name)?.args[0]?.text;
}

export function hasOption(options: readonly RuleOption[], name: string): boolean {
  return options.some((o) => o.name === name);
}
