import { Document, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { LineCounter, ParsedNode, Schema } from 'yaml';

/**
 * A fast reader for the plain block YAML policies are written in: nested block maps and lists,
 * one-line plain, 'single' and "double" quoted scalars (no escapes), one-line flow lists of plain
 * scalars (`[eth0]`), comments. It makes the same nodes, with the same values, types and positions,
 * as yaml's `parseDocument` would, without the token stream and composer that cost most of a large
 * policy's loading time.
 *
 * Anything else (anchors, aliases, tags, flow maps and other flow lists, block scalars, multi-line
 * scalars, several documents, directives, empty values, tabs, duplicate or non-text keys, anything
 * yaml would report) returns undefined: the caller then parses with yaml itself, which positions
 * every error. test/property/block-yaml-equivalence.test.ts holds the two to the same result.
 */
export function parseBlockYaml(
  text: string,
  lines: LineCounter,
  options: { prettyErrors: boolean; uniqueKeys: boolean },
): Document.Parsed | undefined {
  if (!text.endsWith('\n') || UNUSUAL.test(text)) return undefined;
  const doc = new Document(undefined, options);
  const reader = new BlockReader(text, doc.schema, doc.options);
  let contents: ParsedNode | undefined;
  try {
    contents = reader.document();
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  doc.contents = contents;
  const parsed = doc as Document.Parsed;
  parsed.range = [0, text.length, text.length];
  return parsed;
}

/**
 * The plain data of a document `parseBlockYaml` read: what yaml's `toJS` makes of it (an object per
 * map, with keys in order and inherited names such as `__proto__` made own properties, an array per
 * list, each scalar's value), without its per-node context. Those documents hold only text keys,
 * no aliases, anchors or tags, which is all this handles. test/property/block-yaml-equivalence.test.ts
 * holds it to yaml's `toJS`.
 */
export function blockToJS(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map(blockToJS);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = (pair.key as Scalar<string>).value;
      const value = blockToJS(pair.value);
      if (key in out)
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }
  throw new Error('internal error: not a node of a block YAML document');
}

/** Characters that make yaml read the text differently or complain: left to yaml itself. */
// eslint-disable-next-line no-control-regex
const UNUSUAL = /[\x00-\x09\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF]|^(?:---|\.\.\.|%)/m;
/** First characters of a plain scalar that mean something else to YAML. */
const INDICATOR = new Set([...'#,[]{}&*!|>\'"%@`']);
/** Characters that open a nested flow collection, or close one other than a list. */
const FLOW_OPEN = new Set([91, 123, 125]); // [ { }
/** What may not follow a colon (or a leading `-?:`) inside a flow list's plain scalar. */
const FLOW_STOP = new Set([32, 44, 91, 93, 123, 125, 10]); // space , [ ] { } newline
const UNSUPPORTED = new Error('not plain block YAML');
const SCALAR = Symbol.for('yaml.scalar');
const NL = 10;
const SPACE = 32;

type Tag = {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve: (value: string, onError: (message: string) => void, options: object) => unknown;
};

function fail(): never {
  throw UNSUPPORTED;
}

class BlockReader {
  /** Offset of the current content (after indentation, or after `- `); -1 at the end. */
  private cur = 0;
  /** Column (0-based) of `cur`; -1 at the end of the text. */
  private indent = 0;
  /** Offset where the line holding `cur` starts. */
  private lineStart = 0;
  private readonly tags: Tag[];
  private readonly stringTag: Tag;

  constructor(
    private readonly text: string,
    private readonly schema: Schema,
    private readonly options: object,
  ) {
    this.tags = (schema.tags as unknown as Tag[]).filter((t) => t.default === true && t.test);
    this.stringTag = (schema as unknown as Record<symbol, Tag>)[SCALAR]!;
  }

  document(): ParsedNode {
    this.toContent(0);
    if (this.indent < 0) fail();
    const node = this.block(this.indent);
    if (this.indent >= 0) fail();
    return node;
  }

  /** Moves to the first line at or after `from` (a line start) that holds more than a comment. */
  private toContent(from: number): void {
    const t = this.text;
    let i = from;
    while (i < t.length) {
      let j = i;
      while (t.charCodeAt(j) === SPACE) j++;
      const c = t.charCodeAt(j);
      if (c === NL) {
        i = j + 1;
        continue;
      }
      if (c === 35 /* # */) {
        i = t.indexOf('\n', j) + 1;
        continue;
      }
      this.lineStart = i;
      this.cur = j;
      this.indent = j - i;
      return;
    }
    this.cur = -1;
    this.indent = -1;
  }

  /** Moves past the rest of the line at `at`: spaces, then a comment or nothing. */
  private endLine(at: number): void {
    const t = this.text;
    let i = at;
    while (t.charCodeAt(i) === SPACE) i++;
    const c = t.charCodeAt(i);
    if (c === 35 /* # */) {
      if (i === at) fail(); // a comment needs a space before it
      i = t.indexOf('\n', i);
    } else if (c !== NL) {
      fail();
    }
    this.toContent(i + 1);
  }

  private isSeqEntry(at: number): boolean {
    const t = this.text;
    return t.charCodeAt(at) === 45 /* - */ && t.charCodeAt(at + 1) === SPACE;
  }

  private block(indent: number): ParsedNode {
    return this.isSeqEntry(this.cur) ? this.seq(indent) : this.map(indent);
  }

  private map(indent: number): ParsedNode {
    const map = new YAMLMap(this.schema);
    const start = this.cur;
    const keys = new Set<string>();
    let end = start;
    while (this.indent === indent && !this.isSeqEntry(this.cur)) {
      const colon = this.mappingColon(this.cur);
      if (colon < 0 || colon - this.cur > 1024) fail();
      const key = this.plain(this.cur, colon, true);
      if (typeof key.value !== 'string' || keys.has(key.value)) fail();
      keys.add(key.value);
      const value = this.entryValue(colon + 1, indent);
      map.items.push(new Pair(key, value));
      end = this.cur < 0 ? this.text.length : this.lineStart;
    }
    if (this.indent > indent) fail();
    map.range = [start, end, end];
    return map as ParsedNode;
  }

  /** The value after `key:`: on the same line, or a block below it. */
  private entryValue(after: number, indent: number): ParsedNode {
    const t = this.text;
    let i = after;
    while (t.charCodeAt(i) === SPACE) i++;
    const c = t.charCodeAt(i);
    if (c === NL || c === 35 /* # */) {
      this.endLine(i);
      if (this.indent > indent) return this.block(this.indent);
      if (this.indent === indent && this.isSeqEntry(this.cur)) return this.seq(indent);
      return fail(); // an empty value
    }
    if (i === after) fail();
    const node = this.inlineScalar(i);
    if (this.indent > indent) fail(); // a multi-line scalar, or bad indentation
    return node;
  }

  private seq(indent: number): ParsedNode {
    const seq = new YAMLSeq(this.schema);
    const start = this.cur;
    let end = start;
    while (this.indent === indent && this.isSeqEntry(this.cur)) {
      const t = this.text;
      let i = this.cur + 2;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      if (c === NL || c === 35 /* # */ || this.isSeqEntry(i)) fail();
      const isQuoted = c === 39 /* ' */ || c === 34; /* " */
      if (!isQuoted && this.mappingColon(i) >= 0) {
        this.cur = i;
        this.indent = i - this.lineStart;
        seq.items.push(this.map(this.indent));
      } else {
        seq.items.push(this.inlineScalar(i));
      }
      if (this.indent > indent) fail();
      end = this.cur < 0 ? this.text.length : this.lineStart;
    }
    seq.range = [start, end, end];
    return seq as ParsedNode;
  }

  /** The `:` that ends a plain key starting at `at` on its line, or -1. */
  private mappingColon(at: number): number {
    const t = this.text;
    for (let i = at; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === NL) return -1;
      if (c === 58 /* : */) {
        const n = t.charCodeAt(i + 1);
        if (n === SPACE || n === NL) return i;
      } else if (c === 35 /* # */ && t.charCodeAt(i - 1) === SPACE) {
        return -1;
      }
    }
    return -1;
  }

  /** A one-line scalar value starting at `at`; moves to the next content line. */
  private inlineScalar(at: number): ParsedNode {
    const t = this.text;
    const c = t.charCodeAt(at);
    if (c === 91 /* [ */) return this.flowSeq(at);
    if (c === 39 /* ' */ || c === 34 /* " */) {
      let i = at + 1;
      for (;;) {
        const d = t.charCodeAt(i);
        if (d === NL || i >= t.length || (c === 34 && d === 92) /* \ */) fail();
        if (d === c) {
          if (c === 39 && t.charCodeAt(i + 1) === 39) {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      const inner = t.slice(at + 1, i);
      const value = c === 39 ? inner.replace(/''/g, "'") : inner;
      const scalar = new Scalar(value);
      scalar.range = [at, i + 1, i + 1];
      scalar.source = value;
      scalar.type = c === 39 ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
      this.endLine(i + 1);
      return scalar as ParsedNode;
    }
    let i = at;
    for (; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === NL) break;
      if (d === 58 /* : */ && (t.charCodeAt(i + 1) === SPACE || t.charCodeAt(i + 1) === NL)) fail();
      if (d === 35 /* # */ && t.charCodeAt(i - 1) === SPACE) break;
    }
    let end = i;
    while (t.charCodeAt(end - 1) === SPACE) end--;
    const scalar = this.plain(at, end, false);
    this.endLine(end);
    return scalar as ParsedNode;
  }

  /** A one-line flow list of plain scalars, `[a, b]`; moves to the next content line. */
  private flowSeq(at: number): ParsedNode {
    const t = this.text;
    const seq = new YAMLSeq(this.schema);
    seq.flow = true;
    let i = at + 1;
    for (;;) {
      while (t.charCodeAt(i) === SPACE) i++;
      const start = i;
      for (;;) {
        const d = t.charCodeAt(i);
        if (d === 44 /* , */ || d === 93 /* ] */) break;
        if (d === NL || i >= t.length || FLOW_OPEN.has(d)) fail();
        // `a: b` is a pair in a flow list; a colon inside a word (`fd00::1`) is text.
        if (d === 58 /* : */ && FLOW_STOP.has(t.charCodeAt(i + 1))) fail();
        if (d === 35 /* # */ && t.charCodeAt(i - 1) === SPACE) fail();
        i++;
      }
      let end = i;
      while (t.charCodeAt(end - 1) === SPACE) end--;
      if (end <= start) fail(); // `[]`, `[a,]`, `[, a]`
      if (FLOW_STOP.has(t.charCodeAt(start + 1)) && '-?:'.includes(t[start]!)) fail();
      seq.items.push(this.plain(start, end, false));
      if (t.charCodeAt(i) === 93 /* ] */) break;
      i++;
    }
    seq.range = [at, i + 1, i + 1];
    this.endLine(i + 1);
    return seq as ParsedNode;
  }

  /** The plain scalar `text[start, end)`, resolved as yaml's core schema would. */
  private plain(start: number, end: number, atKey: boolean): Scalar {
    const t = this.text;
    if (end <= start) fail();
    const first = t[start]!;
    const next = t.charCodeAt(start + 1);
    if (INDICATOR.has(first)) fail();
    if ((first === '-' || first === '?' || first === ':') && (next === SPACE || next === NL)) fail();
    if (atKey && t.charCodeAt(end - 1) === SPACE) fail();
    const source = t.slice(start, end);
    // Keys and values alike: yaml's core schema has no key-only tags.
    const tag = this.tags.find((x) => x.test!.test(source)) ?? this.stringTag;
    let problem = false;
    const res = tag.resolve(source, () => (problem = true), this.options);
    if (problem) fail();
    const scalar = isScalar(res) ? res : new Scalar(res);
    scalar.range = [start, end, end];
    scalar.source = source;
    scalar.type = Scalar.PLAIN;
    if (tag.format) scalar.format = tag.format;
    return scalar;
  }
}
