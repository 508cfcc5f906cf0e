import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, Scalar, YAMLError } from 'yaml';
import { diag } from '../model/diagnostic.js';
import { parseBlockYaml } from './block-yaml.js';
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
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(
    readonly text: string,
    readonly file: string,
    /** Whether plain block YAML may be read by the fast reader (same result; off to compare). */
    fast = true,
  ) {
    this.lines = new LineCounter();
    const options = { prettyErrors: false, uniqueKeys: true };
    const block = fast ? parseBlockYaml(text, this.lines, options) : undefined;
    this.readFast = block !== undefined;
    this.doc = block ?? parseDocument(text, { ...options, lineCounter: this.lines });
  }

  /** Whether the fast block reader read the text (then `blockToJS` gives its plain data). */
  readonly readFast: boolean;

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

  /** yaml's own errors and warnings, positioned. */
  yamlDiagnostics(): Diagnostic[] {
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

  /** The node at `path`, following aliases; undefined when the path does not exist. */
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

  /** The key node of the map entry at `path` (whose last segment names the key). */
  keyNodeAt(path: Path): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = this.nodeAt(path.slice(0, -1));
    if (!parent || !isMap(parent)) return undefined;
    const pair = findPair(parent.items as Pair[], path[path.length - 1] as PathSeg);
    return pair && isScalar(pair.key) ? (pair.key as Scalar) : undefined;
  }

  /** The keys of the map at `path`, with their key nodes, in file order. */
  mapKeys(path: Path): Array<{ key: string; node: Node }> {
    const m = this.nodeAt(path);
    if (!m || !isMap(m)) return [];
    const out: Array<{ key: string; node: Node }> = [];
    for (const p of m.items) {
      if (isPair(p) && isScalar(p.key)) out.push({ key: String(p.key.value), node: p.key as Node });
    }
    return out;
  }

  /** Where the value at `path` is; falls back to its key, then to the nearest existing parent. */
  spanAt(path: Path): Span {
    const node = this.nodeAt(path);
    if (node?.range) return this.nodeSpan(node);
    return this.keySpanAt(path);
  }

  /** Where the key of the map entry at `path` is; falls back to the value, then to the parent. */
  keySpanAt(path: Path): Span {
    const key = this.keyNodeAt(path);
    if (key?.range) return this.nodeSpan(key);
    const node = this.nodeAt(path);
    if (node?.range) return this.nodeSpan(node);
    if (path.length === 0) return { pos: this.posAt(0), length: 1 };
    return this.keySpanAt(path.slice(0, -1));
  }

  /** Where a value that should be at `path` (but is missing) belongs: on its parent's key. */
  missingSpanAt(path: Path): Span {
    const parentPath = path.slice(0, -1);
    if (parentPath.length === 0) return this.startSpan();
    const last = parentPath[parentPath.length - 1];
    if (typeof last === 'string') return this.keySpanAt(parentPath);
    const node = this.nodeAt(parentPath);
    if (node?.range) return this.spanOf(node.range[0], node.range[1]);
    return this.keySpanAt(parentPath);
  }

  /** The first character of the document's content (or of the file). */
  startSpan(): Span {
    const c = this.doc.contents as Node | null;
    return c?.range ? this.spanOf(c.range[0], c.range[0] + 1) : { pos: this.posAt(0), length: 1 };
  }

  nodeSpan(node: Node): Span {
    const [start, end] = node.range ?? [0, 1];
    return this.spanOf(start, end);
  }

  /**
   * The offset of the first character of a scalar's value in the file: for quoted scalars, the
   * character after the opening quote.
   */
  scalarValueStart(node: Scalar): number {
    const start = node.range?.[0] ?? 0;
    return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? start + 1 : start;
  }

  resolve(node: Node | undefined): Node | undefined {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? undefined;
    return node;
  }
}

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
