import { diag } from '../model/diagnostic.js';
import type { Diagnostic, SourcePos } from '../model/diagnostic.js';
import { Dropped } from './collect-issues.js';
import type { ReadMemberFile } from './member-files.js';
import type { Path, ScalarAt, Span, YamlSource } from './yaml-source.js';

/**
 * What building a policy from a checked YAML document carries along: the source and the findings.
 * Paths are those of the data the builder reads; values the schema refused were set aside from it
 * (`dropped`), and every lookup takes a path back to where it is in the file.
 */
export class BuildContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly src: YamlSource,
    /** Reads the files `members_from:` names; absent where the policy is not read from files. */
    readonly readMemberFile?: ReadMemberFile,
    /** Values the schema refused and that were already reported. */
    readonly dropped: Dropped = new Dropped(),
  ) {}

  get file(): string {
    return this.src.file;
  }

  error(code: string, message: string, span: Span, hint?: string): void {
    this.push('error', code, message, span, hint);
  }

  warn(code: string, message: string, span: Span, hint?: string): void {
    this.push('warning', code, message, span, hint);
  }

  /** Where the value at `path` is. */
  at(path: Path): Span {
    return this.src.spanAt(this.dropped.original(path));
  }

  // The key span last looked up, by path: a rule's key is looked up twice in a row (its name is
  // checked for uniqueness, then the rule takes its position), and the document never changes.
  private lastKeyPath: Path = [];
  private lastKeySpan: Span | undefined;

  /** Where the key of the entry at `path` is. */
  keyAt(path: Path): Span {
    const last = this.lastKeyPath;
    if (this.lastKeySpan && last.length === path.length && last.every((seg, i) => seg === path[i])) {
      const { pos, length } = this.lastKeySpan;
      return { pos: { ...pos }, length };
    }
    const span = this.src.keySpanAt(this.dropped.original(path));
    this.lastKeyPath = [...path];
    this.lastKeySpan = { pos: { ...span.pos }, length: span.length };
    return span;
  }

  /** The position of the key at `path`, for `pos` fields of the policy. */
  posOfKey(path: Path): SourcePos {
    return this.keyAt(path).pos;
  }

  posOf(path: Path): SourcePos {
    return this.src.spanAt(this.dropped.original(path)).pos;
  }

  /** The scalar at `path` (undefined for anything else). */
  scalarAt(path: Path): ScalarAt | undefined {
    return this.src.scalarAt(this.dropped.original(path));
  }

  private push(
    severity: 'error' | 'warning',
    code: string,
    message: string,
    span: Span,
    hint?: string,
  ): void {
    const extra: { length?: number; hint?: string } = {};
    if (span.length !== undefined) extra.length = span.length;
    if (hint !== undefined) extra.hint = hint;
    this.diagnostics.push(diag(severity, code, message, span.pos, extra));
  }
}
