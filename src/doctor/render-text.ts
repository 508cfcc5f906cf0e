import { severityLabel } from '../model/diagnostic.js';
import { printable, printableLines } from '../model/printable.js';
import type { Paint } from '../plan/render-text.js';
import { CATEGORY_ORDER } from './diagnose.js';
import type { DoctorReport, FindingCategory } from './facts.js';

/** The doctor's report as text: findings grouped by area, each with what it means and the fix. */

const CATEGORY_TITLES: Record<FindingCategory, string> = {
  daemon: 'Docker daemon',
  routing: 'Routing',
  iptables: 'iptables',
  firewall: 'Firewall managers',
  ipv6: 'IPv6',
};

const WIDTH = 100;

/** Breaks a long line at spaces; a `- ` bullet's continuation lines line up under its text. */
function wrapLine(line: string, width: number): string[] {
  if (line.length <= width || /^\s/.test(line)) return [line];
  const hang = line.startsWith('- ') ? '  ' : '';
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      out.push(current);
      current = hang + word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') out.push(current);
  return out;
}

/** Indents every line (wrapped to the width left), leaving empty lines empty. */
function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, WIDTH - prefix.length))
    .map((l) => (l === '' ? '' : `${prefix}${l}`))
    .join('\n');
}

export function renderDoctorText(report: DoctorReport, paint: Paint): string {
  const out: string[] = [];
  for (const category of CATEGORY_ORDER) {
    const list = report.findings.filter((f) => f.category === category);
    if (list.length === 0) continue;
    out.push(paint.bold(`${CATEGORY_TITLES[category]}:`));
    for (const f of list) {
      out.push(
        `  ${severityLabel(f.severity, paint)}: ${paint.bold(printable(f.title))} ${paint.dim(`[${printable(f.id)}]`)}`,
      );
      out.push(indent(printableLines(f.detail), '    '));
      out.push(`    ${paint.add('fix')}:`);
      out.push(indent(printableLines(f.fix), '      '));
      out.push('');
    }
  }
  if (report.notes.length > 0) {
    out.push(paint.dim('Notes:'));
    for (const n of report.notes) out.push(paint.dim(`  - ${n}`));
    out.push('');
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  if (report.findings.length === 0 && report.incomplete)
    out.push(paint.change(`No problems found in what was checked; ${report.incomplete}.`));
  else if (report.findings.length === 0) out.push(paint.add('No problems found.'));
  else {
    const n = report.findings.length;
    out.push(
      `${n} finding${n === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`,
    );
  }
  return `${out.join('\n')}\n`;
}
