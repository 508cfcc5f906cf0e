import { diag, hasErrors, shownValue, type Diagnostic, type Result } from '../model/index.js';

/** The comment a stand-in rule carries: not `dockwall:…`, so it is never dockwall's to change. */
export const UNREADABLE_RULE_COMMENT = 'unreadable rule left alone';

/**
 * Parses what iptables printed of the live kernel. Another program's rule that cannot be read back
 * (Docker writes `-o q"x` for a bridge named `q"x`: iptables prints the name raw, and neither
 * iptables-restore nor dockwall can read it) must not stop dockwall from keeping its own rules: such
 * a line becomes an inert stand-in that keeps its place in the chain (a comment match, no target),
 * with a warning. Lines that carry dockwall's tag, and any other error, still fail the read.
 */
export function parseKernelText<T>(
  text: string,
  file: string,
  parse: (text: string) => Result<T>,
): Result<T> {
  const first = parse(text);
  if (!hasErrors(first.diagnostics)) return first;
  const lines = text.split('\n');
  const bad = new Set<number>();
  for (const d of first.diagnostics) {
    if (d.severity !== 'error') continue;
    const line = d.pos?.line;
    const at = line === undefined ? undefined : lines[line - 1];
    const chain = at === undefined ? undefined : /^-A (\S+) /.exec(at)?.[1];
    if (line === undefined || chain === undefined || at!.includes('dockwall:')) return first;
    bad.add(line);
  }
  const notes: Diagnostic[] = [];
  for (const line of [...bad].sort((a, b) => a - b)) {
    const original = lines[line - 1]!;
    const chain = /^-A (\S+) /.exec(original)![1]!;
    lines[line - 1] = `-A ${chain} -m comment --comment "${UNREADABLE_RULE_COMMENT}"`;
    notes.push(
      diag(
        'warning',
        'live.unreadable-rule',
        `another program's rule in ${chain} cannot be read back (iptables-restore would refuse it too): ${shownValue(original)}`,
        { file, line, column: 1 },
        { hint: 'dockwall leaves it alone and keeps its place; check and trace do not model it' },
      ),
    );
  }
  const second = parse(lines.join('\n'));
  if (hasErrors(second.diagnostics)) return first;
  return { ...second, diagnostics: [...notes, ...second.diagnostics] };
}
