import { diag } from '../model/diagnostic.js';
import type { Diagnostic, SourcePos } from '../model/diagnostic.js';
import type { ReadMemberFile } from './member-files.js';
import type { Path, Span, YamlSource } from './yaml-source.js';

/** What building a policy from a checked YAML document carries along: the source and the findings. */
export class BuildContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly src: YamlSource,
    /** Reads the files `members_from:` names; absent where the policy is not read from files. */
    readonly readMemberFile?: ReadMemberFile,
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
    return this.src.spanAt(path);
  }

  /** Where the key of the entry at `path` is. */
  keyAt(path: Path): Span {
    return this.src.keySpanAt(path);
  }

  /** The position of the key at `path`, for `pos` fields of the policy. */
  posOfKey(path: Path): SourcePos {
    return this.src.keySpanAt(path).pos;
  }

  posOf(path: Path): SourcePos {
    return this.src.spanAt(path).pos;
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
