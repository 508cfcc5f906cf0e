import type { Diagnostic } from '../model/index.js';
import { printable, severityLabel } from '../model/index.js';
import type { Paint } from '../plan/render-text.js';

/**
 * Renders diagnostics as a person reads them: severity, code, message, the file:line:column, and the
 * offending line with a caret under the column.
 */
export function renderDiagnostics(
  diags: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  paint: Paint,
): string {
  // Each file split into lines once: many findings in a long file (a members file of 100,000
  // lines) must not split it again for each.
  const split = new Map<string, string[] | undefined>();
  const lineOf = (file: string, line: number) => {
    if (!split.has(file)) split.set(file, sources.get(file)?.split('\n'));
    return split.get(file)?.[line - 1];
  };
  return diags.map((d) => renderOne(d, lineOf, paint)).join('');
}

function renderOne(
  d: Diagnostic,
  lineOf: (file: string, line: number) => string | undefined,
  paint: Paint,
): string {
  const label = severityLabel(d.severity, paint);
  const lines = [`${label}${paint.dim(`[${d.code}]`)}: ${printable(d.message)}`];
  if (d.pos) {
    lines.push(`  --> ${printable(d.pos.file)}:${d.pos.line}:${d.pos.column}`);
    const text = lineOf(d.pos.file, d.pos.line);
    if (text !== undefined) {
      const num = String(d.pos.line);
      const gutter = ' '.repeat(num.length);
      const shown = printable(text.replace(/\t/g, ' '));
      lines.push(
        `   ${gutter}|`,
        `   ${num}| ${shown}`,
        `   ${gutter}| ${' '.repeat(Math.max(0, d.pos.column - 1))}${paint.remove('^'.repeat(Math.max(1, d.length ?? 1)))}`,
      );
    }
  }
  if (d.hint) lines.push(`   = hint: ${printable(d.hint)}`);
  return lines.join('\n') + '\n';
}

/** One line per diagnostic, for logs: `file:line:col: severity: message`. */
export function diagnosticLine(d: Diagnostic): string {
  const at = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.column}: ` : '';
  return printable(`${at}${d.severity}: ${d.message}`);
}
