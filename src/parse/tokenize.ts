import { diag, type Diagnostic, type Token } from '../model/index.js';

/** A word of a rule line with the 1-based column where it starts. */
export interface LexToken extends Token {
  column: number;
}

export interface TokenizeResult {
  tokens: LexToken[];
  /** Set when the line cannot be split (an unterminated quote). */
  error?: Diagnostic;
}

export interface TokenizeOptions {
  file: string;
  line: number;
  /** Column of the first character of `text` in the file (1-based). */
  column?: number;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

/**
 * Splits rule lines as iptables-restore does: words separated by blanks; a double-quoted part
 * (opening a word or inside one) may hold blanks and backslash escapes (`\"`, `\\`, `\'`; a
 * backslash before any other character keeps just that character); the closing quote ends the word.
 * Outside quotes a backslash is an ordinary character. A word that starts with a single quote is
 * read shell-style up to the next single quote, with no escapes.
 *
 * The words of the last line are kept in reusable arrays (no object per word), which is what the
 * dump reader needs to stay fast on 100,000-rule dumps.
 */
export class Lexer {
  readonly texts: string[] = [];
  readonly quoted: boolean[] = [];
  readonly columns: number[] = [];
  /** Slot of each word in the string table (-1 for quoted words). */
  private readonly slots: number[] = [];
  count = 0;
  /** After a failed `lex`: where the unterminated quote opened (1-based column) and which quote. */
  errorColumn = 0;
  errorQuote = '';
  errorLength = 0;
  // Open-addressing table of the unquoted words seen so far: equal words share one string and one
  // frozen Token, and a word seen before is not sliced out of the line again.
  private strings: (string | undefined)[];
  private hashes: Int32Array;
  private shared: (Token | undefined)[];
  private used = 0;

  /** How many distinct unquoted words the table holds (a reused lexer is dropped when it is large). */
  get wordsHeld(): number {
    return this.used;
  }

  /** `share`: hand out one frozen Token per distinct unquoted word (for dumps). */
  constructor(private readonly share = false) {
    const size = share ? 1 << 12 : 1 << 6;
    this.strings = new Array<string | undefined>(size);
    this.hashes = new Int32Array(size);
    this.shared = new Array<Token | undefined>(size);
  }

  private word(text: string, start: number, end: number, hash: number): number {
    const mask = this.strings.length - 1;
    const len = end - start;
    let slot = hash & mask;
    for (;;) {
      const s = this.strings[slot];
      if (s === undefined) break;
      if (this.hashes[slot] === hash && s.length === len && text.startsWith(s, start)) return slot;
      slot = (slot + 1) & mask;
    }
    this.strings[slot] = text.slice(start, end);
    this.hashes[slot] = hash;
    if (++this.used * 2 > this.strings.length) return this.grow(slot);
    return slot;
  }

  private grow(keep: number): number {
    const oldStrings = this.strings;
    const oldHashes = this.hashes;
    const oldShared = this.shared;
    const size = oldStrings.length * 2;
    this.strings = new Array<string | undefined>(size);
    this.hashes = new Int32Array(size);
    this.shared = new Array<Token | undefined>(size);
    const mask = size - 1;
    let moved = -1;
    for (let i = 0; i < oldStrings.length; i++) {
      const s = oldStrings[i];
      if (s === undefined) continue;
      let slot = oldHashes[i]! & mask;
      while (this.strings[slot] !== undefined) slot = (slot + 1) & mask;
      this.strings[slot] = s;
      this.hashes[slot] = oldHashes[i]!;
      this.shared[slot] = oldShared[i];
      if (i === keep) moved = slot;
    }
    // Earlier words of the current line point at old slots: re-resolve them.
    for (let k = 0; k < this.count; k++) {
      const old = this.slots[k]!;
      if (old < 0) continue;
      let slot = oldHashes[old]! & mask;
      while (this.strings[slot] !== oldStrings[old]) slot = (slot + 1) & mask;
      this.slots[k] = slot;
    }
    return moved;
  }

  /**
   * Splits `text[start, end)`; false when a quote is not closed. `column` is the 1-based column of
   * `text[start]` in its line.
   */
  lex(text: string, start = 0, end = text.length, column = 1): boolean {
    const base = column - 1 - start;
    const texts = this.texts;
    const quotedArr = this.quoted;
    const cols = this.columns;
    const slots = this.slots;
    this.count = 0;
    let i = start;
    while (i < end) {
      let c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 11 || c === 12) {
        i++;
        continue;
      }
      const wordStart = i;
      let hash = 0x811c9dc5;
      for (;;) {
        if (
          c <= 39 &&
          (c === 32 || c === 9 || c === 34 || c === 11 || c === 12 || (c === 39 && i === wordStart))
        ) {
          break;
        }
        hash = Math.imul(hash ^ c, 0x01000193);
        if (++i >= end) break;
        c = text.charCodeAt(i);
      }
      const k = this.count;
      if (i >= end || isSpace(c)) {
        const slot = this.word(text, wordStart, i, hash);
        slots[k] = slot;
        texts[k] = this.strings[slot]!;
        quotedArr[k] = false;
        cols[k] = base + wordStart + 1;
        this.count = k + 1;
        continue;
      }
      const quote = c;
      let value = text.slice(wordStart, i);
      const quoteAt = i;
      i++;
      let closed = false;
      let segment = i;
      while (i < end) {
        const d = text.charCodeAt(i);
        if (quote === 34 && d === 92 && i + 1 < end) {
          value += text.slice(segment, i);
          segment = i + 1;
          i += 2;
          continue;
        }
        if (d === quote) {
          value += text.slice(segment, i);
          closed = true;
          i++;
          break;
        }
        i++;
      }
      if (!closed) {
        this.errorColumn = base + quoteAt + 1;
        this.errorQuote = quote === 34 ? '"' : "'";
        this.errorLength = end - quoteAt;
        return false;
      }
      slots[k] = -1;
      texts[k] = value;
      quotedArr[k] = true;
      cols[k] = base + wordStart + 1;
      this.count = k + 1;
    }
    return true;
  }

  /** The diagnostic for the last failed `lex`. */
  error(file: string, line: number): Diagnostic {
    const what = this.errorQuote === '"' ? 'double' : 'single';
    return diag(
      'error',
      'parse.unterminated-quote',
      `unterminated ${what} quote: expected a closing ${this.errorQuote} before the end of the line`,
      { file, line, column: this.errorColumn },
      { length: this.errorLength },
    );
  }

  /** Word `i` as a Token: shared and frozen for unquoted words when the lexer shares. */
  value(i: number): Token {
    const slot = this.slots[i]!;
    if (!this.share || slot < 0) return { text: this.texts[i]!, quoted: this.quoted[i]! };
    let t = this.shared[slot];
    if (!t) this.shared[slot] = t = Object.freeze({ text: this.texts[i]!, quoted: false });
    return t;
  }

  token(i: number): LexToken {
    return { text: this.texts[i]!, quoted: this.quoted[i]!, column: this.columns[i]! };
  }
}

/** Splits one line into tokens (see `Lexer`). */
export function tokenizeLine(text: string, opts: TokenizeOptions): TokenizeResult {
  const lexer = new Lexer();
  const ok = lexer.lex(text, 0, text.length, opts.column ?? 1);
  const tokens: LexToken[] = [];
  for (let i = 0; i < lexer.count; i++) tokens.push(lexer.token(i));
  return ok ? { tokens } : { tokens, error: lexer.error(opts.file, opts.line) };
}
