import { describeDecision, describeDestination, type SourceGroup } from '../sim/index.js';
import { attrs, esc } from './escape.js';
import type { FamilyMatrix, MatrixRow, SourceColumn } from './source-columns.js';

/** The service matrix as an HTML table: a row per destination and probe, a column per source class. */

export type CellClass = 'open' | 'accept' | 'reject' | 'drop' | 'unknown' | 'depends';

export function cellClass(g: SourceGroup): CellClass {
  if (g.verdict === 'accept') return g.reachable ? 'open' : 'accept';
  return g.verdict;
}

const CELL_TEXT: Record<CellClass, string> = {
  open: 'open',
  accept: 'accept',
  reject: 'reject',
  drop: 'drop',
  unknown: '?',
  depends: 'depends',
};

const CELL_MEANING: Record<CellClass, string> = {
  open: 'accepted and delivered to the service',
  accept: 'accepted, but it does not reach this service',
  reject: 'rejected (the client is told)',
  drop: 'dropped (the client hears nothing)',
  unknown: 'the simulator cannot tell',
  depends:
    'it depends on what the rules cannot know ahead (a recent list, a rate limit, a match not modelled): neither open nor closed',
};

export function decisionText(g: SourceGroup): string {
  if (g.decidedBy) return describeDecision(g.decidedBy);
  if (g.dependsOn) return `no single rule: ${g.dependsOn}`;
  if (g.decisionCount) return `${g.decisionCount} different rules, depending on the source`;
  return 'no rule decided';
}

function shown(ranges: string[], max = 8): string {
  return ranges.length > max
    ? `${ranges.slice(0, max).join(', ')} … ${ranges.length - max} more`
    : ranges.join(', ');
}

function columnHeader(c: SourceColumn): string {
  const title = `${c.ranges.length} range${c.ranges.length === 1 ? '' : 's'}: ${shown(c.ranges, 40)}`;
  return `<th${attrs({
    scope: 'col',
    class: `col ${c.kind}`,
    'data-column': c.id,
    'data-kind': c.kind,
    'data-ranges': c.ranges.join(' '),
    title,
  })}>${esc(c.label)}<span class="example">e.g. ${esc(c.example)}</span></th>`;
}

function rowHeader(r: MatrixRow): string {
  const d = r.result.destination;
  const where =
    r.probe.kind === 'link-neighbour'
      ? `from a neighbour on ${r.probe.interface}, to ${r.probe.dst}`
      : `in ${r.probe.interface}, to ${r.probe.dst}`;
  const flags = [
    r.result.worldOpen && r.probe.kind === 'address'
      ? '<span class="flag world">open to the world</span>'
      : '',
    r.result.unknown ? '<span class="flag unknown">partly unknown</span>' : '',
    r.result.depends ? '<span class="flag depends">partly depends</span>' : '',
  ].join('');
  return `<th scope="row" class="dest">${esc(describeDestination(d))}<span class="where">${esc(where)}</span>${flags}</th>`;
}

function cell(g: SourceGroup, c: SourceColumn): string {
  const k = cellClass(g);
  const lines = [
    `${CELL_TEXT[k].toUpperCase()}: ${CELL_MEANING[k]}`,
    `decided by ${decisionText(g)}`,
    `sources: ${c.label} (e.g. ${c.example})`,
  ];
  if (g.unknownReason) lines.push(`unknown because: ${g.unknownReason}`);
  if (g.dependsOn) lines.push(`depends: ${g.dependsOn}`);
  return `<td${attrs({
    class: `v ${k}`,
    'data-column': c.id,
    'data-verdict': g.verdict,
    'data-reachable': String(g.reachable),
    title: lines.join('\n'),
  })}>${CELL_TEXT[k]}</td>`;
}

function detailsRow(r: MatrixRow, span: number): string {
  const items = r.probe.groups.map((g) => {
    const k = cellClass(g);
    const unknown = g.unknownReason ? ` — unknown because: ${esc(g.unknownReason)}` : '';
    const depends = g.dependsOn ? ` — depends: ${esc(g.dependsOn)}` : '';
    return `<li><span class="badge ${k}">${CELL_TEXT[k]}</span> <code>${esc(shown(g.ranges))}</code> <span class="by">— ${esc(decisionText(g))}</span>${unknown}${depends}</li>`;
  });
  return `<tr class="details"><td colspan="${span}"><details><summary>how each source group fares, and the rule that decides</summary><ul>${items.join('')}</ul></details></td></tr>`;
}

export function renderMatrix(m: FamilyMatrix): string {
  const head = `<tr><th scope="col" class="corner">destination \\ sources</th>${m.columns.map(columnHeader).join('')}</tr>`;
  const body = m.rows.map((r) => {
    const d = r.result.destination;
    const row = `<tr${attrs({
      class: 'dest-row',
      'data-family': d.family,
      'data-proto': d.proto,
      'data-host-ip': d.hostIp,
      'data-port': d.hostPort,
      'data-kind': d.kind,
      'data-probe': r.probe.kind,
      'data-interface': r.probe.interface,
      'data-dst': r.probe.dst,
      'data-world-open': String(r.result.worldOpen),
    })}>${rowHeader(r)}${r.cells.map((g, i) => cell(g, m.columns[i]!)).join('')}</tr>`;
    return row + detailsRow(r, m.columns.length + 1);
  });
  return `<table class="matrix"${attrs({ 'data-family': m.family })}><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

export function renderLegend(): string {
  const items = (Object.keys(CELL_TEXT) as CellClass[]).map(
    (k) => `<li><span class="badge ${k}">${CELL_TEXT[k]}</span> ${esc(CELL_MEANING[k])}</li>`,
  );
  return `<ul class="legend">${items.join('')}</ul>`;
}
