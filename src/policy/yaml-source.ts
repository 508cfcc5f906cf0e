import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, Scalar, YAMLError } from 'yaml';
import { diag } from '../model/diagnostic.js';
import { BlockLookup, DOUBLE, MAP } from './block-tree.js';
import { readBlockYaml } from './block-yaml.js';
import type { Diagnostic, Severity, SourcePos } from '../model/diagnostic.js';

export type PathSeg = string | number;
export type Path = readonly PathSeg[];

/** A span in the policy file: where it starts and how long it is on that line. */
export interface Span {
  pos: SourcePos;
  length?: number;
}

/**
 * A parsed YAML policy file together with what is needed to point back into it: every value
 * read from the file can be located by its path (`['ipsets', 'allowed_hosts', 'members', 0]`).
 */
export class YamlSource {
  private readonly lines = new LineCounter();
  /** The fast reader's data and positions; undefined when yaml read the text. */
  private readonly fast: BlockLookup | undefined;
  private full: Document.Parsed | undefined;

  constructor(
    readonly text: string,
    readonly file: string,
    /** Whether plain block YAML may be read by the fast reader (same result; off to compare). */
    fast = true,
  ) {
    const tree = fast ? readBlockYaml(text) : undefined;
    if (tree) {
      this.fast = new BlockLookup(tree);
      this.lines.addNewLine(0);
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lines.addNewLine(i + 1);
    } else {
      this.full = parseDocument(text, { ...OPTIONS, lineCounter: this.lines });
    }
  }

  /** Whether the fast block reader read the text (then there are no yaml errors or warnings). */
  get readFast(): boolean {
    return this.fast !== undefined;
  }

  /**
   * yaml's document of the text. Where the fast reader read it, it is parsed only when asked: for
   * the wording of a diagnostic (what a wrong value is), never on the way of a valid policy.
   */
  get doc(): Document.Parsed {
    this.full ??= parseDocument(this.text, OPTIONS);
    return this.full;
  }

  /** The document as plain data (yaml's `toJS`); may throw on aliases, as `toJS` does. */
  toJS(maxAliasCount: number): unknown {
    return this.fast ? this.fast.tree.data : this.doc.toJS({ maxAliasCount });
  }

  /** What the document holds: nothing (or a null), a map, or something else. */
  rootKind(): 'empty' | 'map' | 'other' {
    if (this.fast) return this.fast.tree.kind[0] === MAP ? 'map' : 'other';
    const contents = this.doc.contents;
    if (contents === null || (contents as { value?: unknown }).value === null) return 'empty';
    return isMap(contents) ? 'map' : 'other';
  }

  /** The 1-based position of a character offset. */
  posAt(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, column: col };
  }

  /** The span from `start` to `end`, cut at the end of the first line. */
  spanOf(start: number, end: number): Span {
    const nl = this.text.indexOf('\n', start);
    const stop = nl >= 0 && nl < end ? nl : end;
    const length = Math.max(1, stop - start);
    return { pos: this.posAt(start), length };
  }

  /** yaml's own errors and warnings, positioned (none where the fast reader read the text). */
  yamlDiagnostics(): Diagnostic[] {
    if (this.fast) return [];
    const out: Diagnostic[] = [];
    const add = (e: YAMLError, severity: Severity) => {
      const [start, end] = e.pos;
      const span = this.spanOf(start, Math.max(end, start + 1));
      const code = `yaml.${e.code.toLowerCase().replace(/_/g, '-')}`;
      out.push(diag(severity, code, yamlMessage(e), span.pos, { length: span.length }));
    };
    for (const e of this.doc.errors) add(e, 'error');
    for (const w of this.doc.warnings) add(w, 'warning');
    return out;
  }

  // The nodes along the last path looked up (before alias resolution): builders look up many paths
  // that share all but their last segments (every rule of a chain), and the document never changes.
  private lastPath: PathSeg[] = [];
  private lastNodes: Array<Node | undefined> = [];

  /** yaml's node at `path`, following aliases; undefined when the path does not exist. */
  nodeAt(path: Path): Node | undefined {
    const lp = this.lastPath;
    const nodes = this.lastNodes;
    if (nodes.length === 0) nodes.push((this.doc.contents as Node | null) ?? undefined);
    let k = 0;
    const common = Math.min(lp.length, path.length);
    while (k < common && lp[k] === path[k]) k++;
    nodes.length = k + 1;
    lp.length = k;
    let node = nodes[k];
    for (let i = k; i < path.length; i++) {
      const seg = path[i]!;
      const at = this.resolve(node);
      if (!at) node = undefined;
      else if (isMap(at)) {
        const pair = findPair(at.items as Pair[], seg);
        node = pair ? ((pair.value as Node | null) ?? undefined) : undefined;
      } else if (isSeq(at) && typeof seg === 'number') {
        node = (at.items[seg] as Node | undefined) ?? undefined;
      } else {
        node = undefined;
      }
      lp.push(seg);
      nodes.push(node);
      if (node === undefined) break;
    }
    return lp.length === path.length ? this.resolve(node) : undefined;
  }

  /** yaml's key node of the map entry at `path` (whose last segment names the key). */
  keyNodeAt(path: Path): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = this.nodeAt(path.slice(0, -1));
    if (!parent || !isMap(parent)) return undefined;
    const pair = findPair(parent.items as Pair[], path[path.length - 1] as PathSeg);
    return pair && isScalar(pair.key) ? (pair.key as Scalar) : undefined;
  }

  /** The scalar at `path` (its value, where it is, how it is written); undefined for anything else. */
  scalarAt(path: Path): ScalarAt | undefined {
    const f = this.fast;
    const t = f?.tree;
    if (!t) {
      const node = this.nodeAt(path);
      return node && isScalar(node) ? node : undefined;
    }
    const id = f.idAt(path);
    if (id < 0 || t.kind[id]! > DOUBLE) return undefined;
    return { value: t.values[id], range: [t.start[id]!, t.end[id]!], type: SCALAR_TYPES[t.kind[id]!] };
  }

  /** The keys of the map at `path`, with where each is, in file order. */
  mapKeys(path: Path): Array<{ key: string; span: Span }> {
    const out: Array<{ key: string; span: Span }> = [];
    const f = this.fast;
    const t = f?.tree;
    if (t) {
      const id = f.idAt(path);
      if (id < 0 || t.kind[id] !== MAP) return out;
      for (let s = t.first[id]!, e = s + t.count[id]!; s < e; s++) {
        const k = t.keyNodes[s]!;
        out.push({ key: t.names[s]!, span: this.spanOf(t.start[k]!, t.end[k]!) });
      }
      return out;
    }
    const m = this.nodeAt(path);
    if (!m || !isMap(m)) return out;
    for (const p of m.items) {
      if (isPair(p) && isScalar(p.key)) out.push({ key: String(p.key.value), span: this.nodeSpan(p.key) });
    }
    return out;
  }

  /** Where the value at `path` is; falls back to its key, then to the nearest existing parent. */
  spanAt(path: Path): Span {
    return this.valueSpan(path) ?? this.keySpanAt(path);
  }

  /** Where the key of the map entry at `path` is; falls back to the value, then to the parent. */
  keySpanAt(path: Path): Span {
    const span = this.keySpan(path) ?? this.valueSpan(path);
    if (span) return span;
    if (path.length === 0) return { pos: this.posAt(0), length: 1 };
    return this.keySpanAt(path.slice(0, -1));
  }

  /** Where a value that should be at `path` (but is missing) belongs: on its parent's key. */
  missingSpanAt(path: Path): Span {
    const parentPath = path.slice(0, -1);
    if (parentPath.length === 0) return this.startSpan();
    const last = parentPath[parentPath.length - 1];
    if (typeof last === 'string') return this.keySpanAt(parentPath);
    return this.valueSpan(parentPath) ?? this.keySpanAt(parentPath);
  }

  /** The first character of the document's content (or of the file). */
  startSpan(): Span {
    if (this.fast) return this.spanOf(this.fast.tree.start[0]!, this.fast.tree.start[0]! + 1);
    const c = this.doc.contents as Node | null;
    return c?.range ? this.spanOf(c.range[0], c.range[0] + 1) : { pos: this.posAt(0), length: 1 };
  }

  nodeSpan(node: { range?: readonly number[] | null }): Span {
    const [start, end] = node.range ?? [0, 1];
    return this.spanOf(start!, end!);
  }

  /**
   * The offset of the first character of a scalar's value in the file: for quoted scalars, the
   * character after the opening quote.
   */
  scalarValueStart(node: ScalarAt): number {
    const start = node.range?.[0] ?? 0;
    return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? start + 1 : start;
  }

  resolve(node: Node | undefined): Node | undefined {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? undefined;
    return node;
  }

  /** Where the value at `path` is, if it is there. */
  private valueSpan(path: Path): Span | undefined {
    const f = this.fast;
    const t = f?.tree;
    if (t) {
      const id = f.idAt(path);
      return id < 0 ? undefined : this.spanOf(t.start[id]!, t.end[id]!);
    }
    const node = this.nodeAt(path);
    return node?.range ? this.nodeSpan(node) : undefined;
  }

  /** Where the key of the map entry at `path` is, if it is there. */
  private keySpan(path: Path): Span | undefined {
    const f = this.fast;
    const t = f?.tree;
    if (!t) {
      const key = this.keyNodeAt(path);
      return key?.range ? this.nodeSpan(key) : undefined;
    }
    if (path.length === 0) return undefined;
    const parent = f.idAt(path, path.length - 1);
    if (parent < 0 || t.kind[parent] !== MAP) return undefined;
    const slot = f.slotOf(parent, path[path.length - 1]!);
    if (slot < 0) return undefined;
    const k = t.keyNodes[slot]!;
    return this.spanOf(t.start[k]!, t.end[k]!);
  }
}

/** What the loader reads of a scalar: yaml's `Scalar` has these, and so has the fast reader's. */
export interface ScalarAt {
  readonly value: unknown;
  readonly range?: readonly number[] | null;
  readonly type?: string;
  readonly tag?: string;
}

const OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;
const SCALAR_TYPES = ['PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE'];

function findPair(items: readonly Pair[], seg: PathSeg): Pair | undefined {
  return items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
}

function yamlMessage(e: YAMLError): string {
  switch (e.code) {
    case 'DUPLICATE_KEY':
      return 'this key is already defined above in the same map (YAML keys must be unique)';
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML: indent with spaces';
    default:
      return `YAML: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`;
  }
}

/** Renders a path as written in the docs: `filter.allow[0].ports[1]`. */
export function pathLabel(path: Path): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s === '' ? 'the file' : s;
}

/** A short description of what a node holds, for "found …" in messages. */
export function describeNode(node: Node | undefined): string {
  if (!node) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'an empty value';
    if (typeof v === 'string')
      return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
    if (typeof v === 'number') return `the number ${String(v)}`;
    if (typeof v === 'boolean') return `\`${String(v)}\``;
    return String(v as unknown);
  }
  return 'a value';
}
