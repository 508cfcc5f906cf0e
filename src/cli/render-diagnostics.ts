import type { Diagnostic } from '../model/index.js';
import { printable } from '../model/index.js';
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
  return diags.map((d) => renderOne(d, sources, paint)).join('');
}

function renderOne(d: Diagnostic, sources: ReadonlyMap<string, string>, paint: Paint): string {
  const label =
    d.severity === 'error'
      ? paint.remove('error')
      : d.severity === 'warning'
        ? paint.change('warning')
        : paint.dim('info');
  const lines = [`${label}${paint.dim(`[${d.code}]`)}: ${printable(d.message)}`];
  if (d.pos) {
    lines.push(`  --> ${printable(d.pos.file)}:${d.pos.line}:${d.pos.column}`);
    const text = sources.get(d.pos.file)?.split('\n')[d.pos.line - 1];
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
