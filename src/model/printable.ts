/**
 * Text from the outside (rule comments, names, Docker's values, dumps) shown to a person. A
 * control character printed raw can clear the screen, move the cursor or start a new line, so a
 * plan shown before "Apply these changes?" could hide or forge lines. Every human renderer passes
 * such text through `printable`, and the CLI's human output passes all it writes through
 * `terminalSafe` as well. JSON output needs neither: JSON.stringify escapes control characters.
 */

/** Control and format characters (C0, DEL, C1, bidi overrides, zero-width, line separators). */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

const NAMED: ReadonlyMap<string, string> = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
]);

/** `\n`, `\t`, `\r`, else `\uXXXX` per UTF-16 unit: the escapes JSON uses, so JSON output stays JSON. */
function escapeChar(c: string): string {
  const named = NAMED.get(c);
  if (named !== undefined) return named;
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** `text` with every non-printable character written as an escape (`\u001b`, `\n`, `\u202e`). */
export function printable(text: string): string {
  NON_PRINTABLE.lastIndex = 0;
  return NON_PRINTABLE.test(text) ? text.replace(NON_PRINTABLE, escapeChar) : text;
}

/** Whether `text` holds a character `printable` would escape. */
export function hasNonPrintable(text: string): boolean {
  NON_PRINTABLE.lastIndex = 0;
  return NON_PRINTABLE.test(text);
}

/** The colour sequences the CLI's own paint writes (picocolors: bold, dim, red, green, yellow, resets). */
const OWN_SGR = new RegExp(`^${String.fromCharCode(27)}\\[(?:1|2|22|31|32|33|39)m`);

/**
 * Human output as it goes to the terminal: line breaks and tabs stay, the CLI's own colour sequences stay,
 * every other non-printable character is escaped. A renderer that forgot `printable` still cannot
 * move the cursor or hide a line.
 */
export function terminalSafe(text: string): string {
  NON_PRINTABLE.lastIndex = 0;
  if (!NON_PRINTABLE.test(text)) return text;
  let out = '';
  let last = 0;
  NON_PRINTABLE.lastIndex = 0;
  for (let m = NON_PRINTABLE.exec(text); m !== null; m = NON_PRINTABLE.exec(text)) {
    const c = m[0];
    if (c === '\n' || c === '\t') continue;
    if (c === '\x1b') {
      const sgr = OWN_SGR.exec(text.slice(m.index, m.index + 6));
      if (sgr) {
        NON_PRINTABLE.lastIndex = m.index + sgr[0].length;
        continue;
      }
    }
    out += text.slice(last, m.index) + escapeChar(c);
    last = m.index + c.length;
  }
  return out + text.slice(last);
}

/** A deep copy of plain data (JSON-shaped) with every string passed through `printable`. */
export function printableData<T>(value: T): T {
  const json = JSON.stringify(value);
  return needsEscapes(json) ? revive(json) : (JSON.parse(json) as T);
}

/**
 * Plain data to read (never to change) with every string printable: `value` itself when no string
 * in it needs escaping (the usual case: a large plan is not copied), else `printableData`'s copy.
 */
export function printableView<T>(value: T): T {
  const json = JSON.stringify(value);
  return needsEscapes(json) ? revive(json) : value;
}

/** The escapes JSON writes for C0 controls (and lone surrogates); `\"` and `\\` are not among them. */
const JSON_CONTROL_ESCAPE = /\\[bfnrtu]/;

/**
 * Whether a JSON text may hold a string `printable` changes. JSON writes C0 controls as escapes and
 * every other non-printable character raw: a text with neither holds none (a quoted comment in a
 * rule, `\"`, is no reason to look at every string).
 */
function needsEscapes(json: string): boolean {
  return JSON_CONTROL_ESCAPE.test(json) || hasNonPrintable(json);
}

function revive<T>(json: string): T {
  return JSON.parse(json, (_key, v: unknown) => (typeof v === 'string' ? printable(v) : v)) as T;
}

/** `printable` line by line: text that is meant to span lines keeps its line breaks. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
