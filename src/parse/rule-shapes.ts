import type { Family } from '../model/index.js';
import { GENERIC_LONG } from './rule-syntax.js';
import { checksNamedBy, type ValueCheck } from './value-checks.js';

/**
 * Shapes of rule bodies that are known to parse cleanly, so that a dump's 100,000 rules need not all
 * go through the full parser to be validated.
 *
 * A body's shape is its word sequence with the values abstracted: a word is kept literally when the
 * rule parser's decisions can depend on it — every word that starts with `-` (options), `!`, and the
 * word after an option that names something (`-m`, `-j`, `-g`, `-p` and every long spelling or prefix
 * of them). Any other word is a value, and the parser reads a value only to check that `-c` counters
 * are digits and that `-s`/`-d` hold no comma list, so a value is recorded by its class (digits only,
 * has a comma, other). The parser also judges the value after an option that names an address or a
 * MAC (`-s`, `-d`, `--mac-source`, and their long spellings and abbreviations): such a value's class
 * also records whether each of those checks accepts it. Two bodies of one shape therefore take the same path through the parser, and
 * a shape whose first body parsed with no diagnostic at all validates every later body of that shape.
 *
 * Bodies with a double quote, or a word opening with a single quote, are never matched: their word
 * boundaries need the full lexer.
 */

const LITERAL = 0;
const DIGITS = 1;
const COMMA = 2;
const OTHER = 3;
/** Added to a value's class when the value was written in double quotes. */
const QUOTED = 3;
/** The bits of a code that are the class above; the higher bits record value checks. */
const CLASS_BITS = 7;
/** Set on a value that followed an option with value checks; bit 5 + k: check k accepted it. */
const CHECKED = 16;

/** Long options (and their prefixes) whose value the parser reads: --match, --jump, --goto, --protocol. */
const NAMING_LONG = [...GENERIC_LONG]
  .filter(([, short]) => short === '-m' || short === '-j' || short === '-g' || short === '-p')
  .map(([long]) => long);

interface Shape {
  /** Per word: LITERAL or a value class. */
  codes: Uint8Array;
  /** The literal words (undefined for values). */
  literals: (string | undefined)[];
  /** Per value word: the checks of the option before it (undefined for most). */
  checks: (readonly ValueCheck[] | undefined)[];
}

/** The part of a value's code that records what `checks` say of text[start, end). */
function checkBits(
  checks: readonly ValueCheck[],
  family: Family,
  text: string,
  start: number,
  end: number,
): number {
  let bits = CHECKED;
  for (let k = 0; k < checks.length; k++) {
    const c = checks[k]!;
    const ok = c.okAt ? c.okAt(text, start, end, family) : c.ok(text.slice(start, end), family);
    if (ok) bits |= 32 << k;
  }
  return bits;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A literal word's part of the shape hash: its length and last two characters (matching compares it all). */
function wordHash(hash: number, text: string, start: number, end: number): number {
  const len = end - start;
  let h = Math.imul(hash ^ len, 0x01000193);
  h = Math.imul(h ^ text.charCodeAt(end - 1), 0x01000193);
  if (len > 1) h = Math.imul(h ^ text.charCodeAt(end - 2), 0x01000193);
  return h;
}

/** Whether text[start, end) (a word starting with `-`) is an option whose next word names something. */
function takesName(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len === 2) {
    const c = text.charCodeAt(start + 1);
    return c === 109 /* m */ || c === 106 /* j */ || c === 103 /* g */ || c === 112; /* p */
  }
  if (len < 2 || text.charCodeAt(start + 1) !== 45) return false;
  for (const long of NAMING_LONG) {
    if (len <= long.length && long.startsWith(text.slice(start, end))) return true;
  }
  return false;
}

export class RuleShapes {
  private readonly byHash = new Map<number, Shape[]>();
  // The words of the last scanned body.
  private starts: number[] = [];
  private ends: number[] = [];
  private codes: number[] = [];
  private count = 0;
  private hash = 0;
  private naming = false;
  /** The checks of the last option word, while its value may still follow. */
  private pending: readonly ValueCheck[] | undefined;
  private wordChecks: (readonly ValueCheck[] | undefined)[] = [];
  private last: Shape | undefined;

  constructor(private readonly family: Family = 'ipv4') {}

  /** Number of distinct shapes known. */
  get size(): number {
    let n = 0;
    for (const list of this.byHash.values()) n += list.length;
    return n;
  }

  // Next positions (at or after the last scanned body) of a comma and of a character that needs the
  // careful scan (tab, vertical tab, form feed, quotes), so that plain bodies are split with indexOf.
  private scanText = '';
  private commaAt = -1;
  private specialAt = -1;
  private readonly special = /[\t\v\f"']/g;

  private nextSpecial(text: string, from: number): number {
    this.special.lastIndex = from;
    const m = this.special.exec(text);
    return m ? m.index : text.length;
  }

  /** Starts a scan of a body. */
  private begin(): void {
    this.count = 0;
    this.hash = 0x811c9dc5;
    this.naming = false;
    this.pending = undefined;
  }

  /**
   * Records one word, text[wordStart, wordEnd), whose content (without quotes) is
   * text[contentStart, contentEnd): literal when the parser's path can depend on it, else `valueCode`.
   */
  private word(
    text: string,
    wordStart: number,
    wordEnd: number,
    contentStart: number,
    contentEnd: number,
    valueCode: number,
  ): void {
    const first = contentEnd > contentStart ? text.charCodeAt(contentStart) : 0;
    let code = valueCode;
    let checks: readonly ValueCheck[] | undefined;
    const bang = first === 33 /* ! */ && contentEnd === contentStart + 1;
    if (this.naming || first === 45 /* - */ || bang) {
      code = LITERAL;
      this.hash = wordHash(this.hash, text, wordStart, wordEnd);
      this.naming = first === 45 && takesName(text, contentStart, contentEnd);
      // `-s ! ADDR` (the old negation) keeps the address pending past the `!`.
      if (!bang) this.pending = first === 45 ? checksNamedBy(text, contentStart, contentEnd) : undefined;
    } else {
      this.naming = false;
      checks = this.pending;
      if (checks) code |= checkBits(checks, this.family, text, contentStart, contentEnd);
      this.pending = undefined;
    }
    this.hash = Math.imul(this.hash ^ (256 + code), 0x01000193);
    const k = this.count++;
    this.starts[k] = wordStart;
    this.ends[k] = wordEnd;
    this.codes[k] = code;
    this.wordChecks[k] = checks;
  }

  /** Splits text[start, stop) into words and abstracts them; false when the body has quotes. */
  private scan(text: string, start: number, stop: number): boolean {
    if (text !== this.scanText) {
      this.scanText = text;
      this.commaAt = -1;
      this.specialAt = -1;
    }
    if (this.specialAt < start) this.specialAt = this.nextSpecial(text, start);
    if (this.specialAt < stop) return this.scanCarefully(text, start, stop);
    this.begin();
    let i = start;
    while (i < stop) {
      if (text.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      let end = text.indexOf(' ', i);
      if (end < 0 || end > stop) end = stop;
      this.word(text, i, end, i, end, this.classify(text, i, end));
      i = end;
    }
    return true;
  }

  /** The class of the plain word text[start, end) as a value. */
  private classify(text: string, start: number, end: number): number {
    if (this.commaAt < start) {
      const k = text.indexOf(',', start);
      this.commaAt = k < 0 ? text.length : k;
    }
    if (this.commaAt < end) return COMMA;
    let k = start;
    while (k < end && isDigit(text.charCodeAt(k))) k++;
    return k === end ? DIGITS : OTHER;
  }

  /** The same as `scan`, character by character, for bodies with tabs or quotes. */
  private scanCarefully(text: string, start: number, stop: number): boolean {
    this.begin();
    let i = start;
    while (i < stop) {
      let c = text.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (c === 39 /* ' */) return false;
      const wordStart = i;
      let contentStart = i;
      let contentEnd: number;
      let quoted = false;
      let digits = true;
      let comma = false;
      if (c === 34 /* " */) {
        // A whole word in double quotes with no escapes; anything fancier goes to the full lexer.
        quoted = true;
        contentStart = ++i;
        for (;;) {
          if (i >= stop) return false;
          c = text.charCodeAt(i);
          if (c === 34) break;
          if (c === 92 /* \ */) return false;
          if (!isDigit(c)) {
            digits = false;
            if (c === 44 /* , */) comma = true;
          }
          i++;
        }
        contentEnd = i++;
        if (i < stop && !isSpace(text.charCodeAt(i))) return false;
        if (contentEnd === contentStart) digits = false;
      } else {
        for (;;) {
          if (c === 34 /* " */) return false;
          if (!isDigit(c)) {
            digits = false;
            if (c === 44 /* , */) comma = true;
          }
          if (++i >= stop) break;
          c = text.charCodeAt(i);
          if (isSpace(c)) break;
        }
        contentEnd = i;
      }
      const value = (digits ? DIGITS : comma ? COMMA : OTHER) + (quoted ? QUOTED : 0);
      this.word(text, wordStart, i, contentStart, contentEnd, value);
    }
    return true;
  }

  /** True when text[start, stop) has the shape of a body that parsed cleanly before. */
  match(text: string, start: number, stop: number): boolean {
    // Neighbouring rules mostly share a shape: try the last one before splitting the body.
    if (this.last && fits(this.last, this.family, text, start, stop)) return true;
    if (!this.scan(text, start, stop)) return false;
    const list = this.byHash.get(this.hash);
    if (!list) return false;
    const n = this.count;
    outer: for (const shape of list) {
      if (shape.codes.length !== n) continue;
      for (let k = 0; k < n; k++) {
        const code = shape.codes[k]!;
        if (code !== this.codes[k]) continue outer;
        if (code === LITERAL) {
          const lit = shape.literals[k]!;
          if (lit.length !== this.ends[k]! - this.starts[k]! || !text.startsWith(lit, this.starts[k]!)) {
            continue outer;
          }
        }
      }
      this.last = shape;
      return true;
    }
    return false;
  }

  /** Records the shape of text[start, stop), a body that the full parser accepted without a word. */
  remember(text: string, start: number, stop: number): void {
    if (!this.scan(text, start, stop)) return;
    const n = this.count;
    const codes = new Uint8Array(n);
    const literals: (string | undefined)[] = new Array<string | undefined>(n);
    const checks: (readonly ValueCheck[] | undefined)[] = new Array<readonly ValueCheck[] | undefined>(n);
    for (let k = 0; k < n; k++) {
      codes[k] = this.codes[k]!;
      literals[k] = codes[k] === LITERAL ? text.slice(this.starts[k], this.ends[k]) : undefined;
      checks[k] = this.wordChecks[k];
    }
    const shape = { codes, literals, checks };
    const list = this.byHash.get(this.hash);
    if (list) list.push(shape);
    else this.byHash.set(this.hash, [shape]);
  }
}

/**
 * Whether text[start, stop) has the given shape, checked word by word without splitting the body
 * first. False also for anything unusual (blanks other than spaces, quotes): `scan` decides those.
 */
function fits(shape: Shape, family: Family, text: string, start: number, stop: number): boolean {
  const n = shape.codes.length;
  let p = start;
  for (let k = 0; k < n; k++) {
    while (p < stop && text.charCodeAt(p) === 32) p++;
    if (p >= stop) return false;
    const code = shape.codes[k]!;
    if (code === LITERAL) {
      const lit = shape.literals[k]!;
      if (!text.startsWith(lit, p)) return false;
      p += lit.length;
      if (p > stop || (p < stop && text.charCodeAt(p) !== 32)) return false;
      continue;
    }
    let c = text.charCodeAt(p);
    let digits = true;
    let comma = false;
    const cls = code & CLASS_BITS;
    const checks = shape.checks[k];
    if (cls > QUOTED) {
      if (c !== 34) return false;
      const contentStart = ++p;
      for (;;) {
        if (p >= stop) return false;
        c = text.charCodeAt(p);
        if (c === 34) break;
        if (c === 92) return false;
        if (c < 48 || c > 57) {
          digits = false;
          if (c === 44) comma = true;
        }
        p++;
      }
      const len = p - contentStart;
      const first = text.charCodeAt(contentStart);
      if (len === 0) digits = false;
      else if (first === 45 || (first === 33 && len === 1)) return false;
      p++;
      if (p < stop && text.charCodeAt(p) !== 32) return false;
      if ((digits ? DIGITS : comma ? COMMA : OTHER) + QUOTED !== cls) return false;
      if (checks && checkBits(checks, family, text, contentStart, p - 1) !== code - cls) return false;
      continue;
    }
    if (c === 45 /* - */ || c === 39 /* ' */) return false;
    if (c === 33 /* ! */ && (p + 1 >= stop || text.charCodeAt(p + 1) === 32)) return false;
    const wordStart = p;
    for (; p < stop; p++) {
      c = text.charCodeAt(p);
      if (c <= 57) {
        if (c >= 48) continue;
        if (c === 32) break;
        if (c === 34 || c === 9 || c === 11 || c === 12) return false;
        if (c === 44) comma = true;
      }
      digits = false;
    }
    if ((digits ? DIGITS : comma ? COMMA : OTHER) !== cls) return false;
    if (checks && checkBits(checks, family, text, wordStart, p) !== code - cls) return false;
  }
  while (p < stop && text.charCodeAt(p) === 32) p++;
  return p === stop;
}
