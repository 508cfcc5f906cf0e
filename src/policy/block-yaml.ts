import { Document, isScalar } from 'yaml';
import type { Schema } from 'yaml';
import { DOUBLE, FLOW_SEQ, MAP, PLAIN, SEQ, SINGLE } from './block-tree.js';
import type { BlockTree } from './block-tree.js';

/**
 * A fast reader for the plain block YAML policies are written in: nested block maps and lists,
 * one-line plain, 'single' and "double" quoted scalars (no escapes), one-line flow lists of plain
 * scalars (`[eth0]`), comments. It makes the same data yaml's `parseDocument(...).toJS()` makes, and
 * the same positions its nodes would have, without the token stream, the composer and the node
 * objects that cost most of a large policy's loading time (see docs/decisions.md).
 *
 * Anything else (anchors, aliases, tags, flow maps and other flow lists, block scalars, multi-line
 * scalars, several documents, directives, empty values, tabs, duplicate, non-text or `__proto__`
 * keys, control and format characters, anything yaml would report) returns undefined: the caller
 * then parses with yaml itself, which positions every error.
 * test/property/block-yaml-equivalence.test.ts holds the two to the same result.
 */
export function readBlockYaml(text: string): BlockTree | undefined {
  if (!text.endsWith('\n') || UNUSUAL.test(text)) return undefined;
  const doc = new Document();
  const reader = new BlockReader(text, doc.schema, doc.options);
  try {
    return reader.document();
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

/**
 * Characters that make yaml read the text differently or complain, or that the key-name check
 * would report (control and format characters): left to yaml itself.
 */
// eslint-disable-next-line no-control-regex
const UNUSUAL = /[\x00-\x09\x0B-\x1F\x7F-\x9F\p{Cf}\p{Zl}\p{Zp}]|^(?:---|\.\.\.|%)/mu;
/** First characters of a plain scalar that mean something else to YAML. */
const INDICATOR = new Set([...'#,[]{}&*!|>\'"%@`']);
/**
 * First characters of the plain scalars yaml's core schema may read as something other than text
 * (null `~ null`, booleans, numbers, `.inf`, `.nan`): any other plain scalar is text.
 */
const MAY_NOT_BE_TEXT = new Set([...'~nNtTfF+-.0123456789'].map((c) => c.charCodeAt(0)));
/** After a sign, what a number starts with (`-1`, `+.5`, `-.inf`): else the scalar is text. */
const MAY_BE_NUMBER = new Set([...'.0123456789'].map((c) => c.charCodeAt(0)));
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
  resolve: (value: string, onError: (message: string) => void, options: object) => unknown;
};

function fail(): never {
  throw UNSUPPORTED;
}

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
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

  // The node table (see BlockTree), grown as needed.
  private nodes = 0;
  private kind: Uint8Array;
  private start: Int32Array;
  private end: Int32Array;
  private first: Int32Array;
  private count: Int32Array;
  private readonly values: unknown[] = [];
  private kids: Int32Array;
  private keyNodes: Int32Array;
  private readonly names: Array<string | undefined> = [];
  private slots = 0;
  // The children of the collections being read, innermost last.
  private stack: Int32Array;
  private stackKeys: Int32Array;
  private readonly stackNames: Array<string | undefined> = [];
  private top = 0;

  constructor(
    private readonly text: string,
    schema: Schema,
    private readonly options: object,
  ) {
    this.tags = (schema.tags as unknown as Tag[]).filter((t) => t.default === true && t.test);
    this.stringTag = (schema as unknown as Record<symbol, Tag>)[SCALAR]!;
    // Block YAML has at most a key and a value per line (flow lists grow the arrays).
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    const n = 2 * lines + 16;
    this.kind = new Uint8Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.first = new Int32Array(n);
    this.count = new Int32Array(n);
    this.kids = new Int32Array(n);
    this.keyNodes = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.stackKeys = new Int32Array(n);
  }

  document(): BlockTree {
    this.toContent(0);
    if (this.indent < 0) fail();
    const root = this.block(this.indent);
    if (this.indent >= 0) fail();
    const n = this.nodes;
    return {
      data: this.values[root],
      kind: this.kind.subarray(0, n),
      start: this.start.subarray(0, n),
      end: this.end.subarray(0, n),
      values: this.values,
      first: this.first.subarray(0, n),
      count: this.count.subarray(0, n),
      kids: this.kids.subarray(0, this.slots),
      keyNodes: this.keyNodes.subarray(0, this.slots),
      names: this.names,
    };
  }

  private node(kind: number, start: number, end: number, value: unknown): number {
    const id = this.nodes++;
    if (id >= this.kind.length) {
      const n = id * 2;
      this.kind = grow(this.kind, n);
      this.start = grow(this.start, n);
      this.end = grow(this.end, n);
      this.first = grow(this.first, n);
      this.count = grow(this.count, n);
      this.kids = grow(this.kids, n);
      this.keyNodes = grow(this.keyNodes, n);
      this.stack = grow(this.stack, n);
      this.stackKeys = grow(this.stackKeys, n);
    }
    this.kind[id] = kind;
    this.start[id] = start;
    this.end[id] = end;
    this.values.push(value);
    return id;
  }

  private child(id: number, key: number, name: string | undefined): void {
    const top = this.top++;
    this.stack[top] = id;
    this.stackKeys[top] = key;
    this.stackNames[top] = name;
  }

  /** Ends collection `id`, whose children are on the stack from `base`. */
  private close(id: number, base: number, end: number): void {
    const at = this.slots;
    for (let i = base; i < this.top; i++) {
      this.kids[this.slots] = this.stack[i]!;
      this.keyNodes[this.slots++] = this.stackKeys[i]!;
      this.names.push(this.stackNames[i]);
    }
    this.first[id] = at;
    this.count[id] = this.top - base;
    this.end[id] = end;
    this.top = base;
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

  private block(indent: number): number {
    return this.isSeqEntry(this.cur) ? this.seq(indent) : this.map(indent);
  }

  private map(indent: number): number {
    const id = this.node(MAP, this.cur, this.cur, undefined);
    const base = this.top;
    let end = this.cur;
    while (this.indent === indent && !this.isSeqEntry(this.cur)) {
      const colon = this.mappingColon(this.cur);
      if (colon < 0 || colon - this.cur > 1024) fail();
      const key = this.plain(this.cur, colon, true);
      const name = this.values[key];
      if (typeof name !== 'string' || name === '__proto__') fail();
      this.child(this.entryValue(colon + 1, indent), key, name);
      end = this.cur < 0 ? this.text.length : this.lineStart;
    }
    if (this.indent > indent) fail();
    this.values[id] = this.mapData(base);
    this.close(id, base, end);
    return id;
  }

  /** The object of the map whose entries are on the stack from `base`. */
  private mapData(base: number): Record<string, unknown> {
    const names = this.stackNames;
    // A one-entry map (a rule) made at once: adding its own key to `{}` costs more.
    if (this.top - base === 1) return { [names[base]!]: this.values[this.stack[base]!] };
    const obj: Record<string, unknown> = {};
    for (let i = base; i < this.top; i++) {
      const name = names[i]!;
      if (Object.hasOwn(obj, name)) fail(); // a duplicate key
      obj[name] = this.values[this.stack[i]!];
    }
    return obj;
  }

  /** The value after `key:`: on the same line, or a block below it. */
  private entryValue(after: number, indent: number): number {
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

  private seq(indent: number): number {
    const list: unknown[] = [];
    const id = this.node(SEQ, this.cur, this.cur, list);
    const base = this.top;
    let end = this.cur;
    while (this.indent === indent && this.isSeqEntry(this.cur)) {
      const t = this.text;
      let i = this.cur + 2;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      if (c === NL || c === 35 /* # */ || this.isSeqEntry(i)) fail();
      const isQuoted = c === 39 /* ' */ || c === 34; /* " */
      let item: number;
      if (!isQuoted && this.mappingColon(i) >= 0) {
        this.cur = i;
        this.indent = i - this.lineStart;
        item = this.map(this.indent);
      } else {
        item = this.inlineScalar(i);
      }
      list.push(this.values[item]);
      this.child(item, -1, undefined);
      if (this.indent > indent) fail();
      end = this.cur < 0 ? this.text.length : this.lineStart;
    }
    this.close(id, base, end);
    return id;
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
  private inlineScalar(at: number): number {
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
      const id = this.node(c === 39 ? SINGLE : DOUBLE, at, i + 1, value);
      this.endLine(i + 1);
      return id;
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
    const id = this.plain(at, end, false);
    this.endLine(end);
    return id;
  }

  /** A one-line flow list of plain scalars, `[a, b]`; moves to the next content line. */
  private flowSeq(at: number): number {
    const t = this.text;
    const list: unknown[] = [];
    const id = this.node(FLOW_SEQ, at, at, list);
    const base = this.top;
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
      const item = this.plain(start, end, false);
      list.push(this.values[item]);
      this.child(item, -1, undefined);
      if (t.charCodeAt(i) === 93 /* ] */) break;
      i++;
    }
    this.close(id, base, i + 1);
    this.endLine(i + 1);
    return id;
  }

  /** The plain scalar `text[start, end)`, resolved as yaml's core schema would. */
  private plain(start: number, end: number, atKey: boolean): number {
    const t = this.text;
    if (end <= start) fail();
    const first = t.charCodeAt(start);
    const next = t.charCodeAt(start + 1);
    if (INDICATOR.has(t[start]!)) fail();
    if ((first === 45 || first === 63 || first === 58) /* - ? : */ && (next === SPACE || next === NL)) fail();
    if (atKey && t.charCodeAt(end - 1) === SPACE) fail();
    const source = t.slice(start, end);
    if (!MAY_NOT_BE_TEXT.has(first) || ((first === 45 || first === 43) /* - + */ && !MAY_BE_NUMBER.has(next)))
      return this.node(PLAIN, start, end, source);
    // Keys and values alike: yaml's core schema has no key-only tags.
    const tag = this.tags.find((x) => x.test!.test(source)) ?? this.stringTag;
    let problem = false;
    const res = tag.resolve(source, () => (problem = true), this.options);
    if (problem) fail();
    const value = isScalar(res) ? res.value : res;
    return this.node(PLAIN, start, end, value);
  }
}
