import type { Token } from '../model/index.js';

/**
 * Quoting as iptables-save does it (xtables_save_string): a value is printed bare only when it is
 * non-empty and made of `A-Za-z0-9_-`; otherwise it is double-quoted with `"`, `\` and `'`
 * backslash-escaped. iptables-restore reads that back (inside double quotes a backslash escapes any
 * character). Line breaks and NUL cannot be written in a rule line; they are printed as spaces.
 */

function isBareChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 95 /* _ */ ||
    c === 45 /* - */
  );
}

/** True when iptables-save prints `value` without quotes. */
export function isBareValue(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isBareChar(value.charCodeAt(i))) return false;
  return true;
}

/** `value` in double quotes, escaped so iptables-restore and the tokenizer read it back unchanged. */
export function quoteValue(value: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 || c === 92 || c === 39) {
      out += value.slice(start, i) + '\\' + value[i];
      start = i + 1;
    } else if (c === 10 || c === 13 || c === 0) {
      out += value.slice(start, i) + ' ';
      start = i + 1;
    }
  }
  return out + value.slice(start) + '"';
}

/** The value as iptables-save prints a string option (`--comment`, `--log-prefix`). */
export function saveString(value: string): string {
  return isBareValue(value) ? value : quoteValue(value);
}

/** True when a word cannot be printed bare: it would split, vanish or change meaning when read back. */
export function needsQuoting(value: string): boolean {
  if (value.length === 0) return true;
  if (value.charCodeAt(0) === 39 /* ' */) return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 92 || c === 127) return true;
  }
  return false;
}

/** A token as printed: quoted when it was quoted in the input or must be. */
export function formatToken(token: Token): string {
  return token.quoted || needsQuoting(token.text) ? quoteValue(token.text) : token.text;
}
