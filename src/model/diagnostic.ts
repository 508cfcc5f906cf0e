/** Where something was read from: a file (or `<stdin>`, `<policy>`), 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export type Severity = 'error' | 'warning' | 'info';

/**
 * A problem found in input, reported as data (never thrown). The CLI renders it with a caret
 * excerpt; library code only collects them.
 */
export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `parse.unexpected-token`, `policy.unknown-key`. */
  code: string;
  message: string;
  pos?: SourcePos;
  /** Length of the offending text on that line, for the caret underline. */
  length?: number;
  hint?: string;
  /** Other places the message names (the entry that shadows this one, say). */
  related?: SourcePos[];
}

export function diag(
  severity: Severity,
  code: string,
  message: string,
  pos?: SourcePos,
  extra: { length?: number; hint?: string } = {},
): Diagnostic {
  const d: Diagnostic = { severity, code, message };
  if (pos) d.pos = pos;
  if (extra.length !== undefined) d.length = extra.length;
  if (extra.hint !== undefined) d.hint = extra.hint;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * A severity as the human renderers label it (diagnostics, doctor's findings): `error` painted as
 * removed, `warning` as changed, `info` dimmed.
 */
export function severityLabel(
  severity: Severity,
  paint: { remove(s: string): string; change(s: string): string; dim(s: string): string },
): string {
  return severity === 'error'
    ? paint.remove('error')
    : severity === 'warning'
      ? paint.change('warning')
      : paint.dim('info');
}

/** A result that always carries diagnostics; `value` is absent when an error made it unusable. */
export interface Result<T> {
  value?: T;
  diagnostics: Diagnostic[];
}
