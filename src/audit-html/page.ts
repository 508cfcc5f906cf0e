import type { Diagnostic } from '../model/diagnostic.js';
import type { Family, Ruleset, TableName } from '../model/ruleset.js';
import type { AuditReport } from '../sim/index.js';
import { chainGraph } from './chain-graph.js';
import { renderChainSvg } from './chain-svg.js';
import { esc } from './escape.js';
import { renderLegend, renderMatrix } from './matrix.js';
import { familyMatrix } from './source-columns.js';
import { STYLES } from './styles.js';

export interface AuditHtmlOptions {
  /** The rule sets the report was computed on: the chain graphs are drawn from them. */
  rulesets: { ipv4?: Ruleset; ipv6?: Ruleset };
  /** Page title (default "dockwall audit"). */
  title?: string;
  /** What was audited, e.g. "the live host" or the dump's file name. */
  subject?: string;
  /** When the report was made (the generator itself reads no clock). */
  generatedAt?: string;
}

const FAMILIES: Family[] = ['ipv4', 'ipv6'];
const GRAPH_TABLES: TableName[] = ['filter', 'nat'];

/** How many source groups each chain's rules or policy decided, per family and table. */
function decisionCounts(report: AuditReport): Map<string, number> {
  const out = new Map<string, number>();
  const bump = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  for (const r of report.destinations)
    for (const p of r.probes)
      for (const g of p.groups) {
        const d = g.decidedBy;
        if (d?.kind === 'rule') bump(`${d.family} ${d.table} ${d.chain}`);
        else if (d?.kind === 'policy') bump(`${d.family} ${d.table} ${d.policy}`);
      }
  return out;
}

function findingItem(f: Diagnostic): string {
  const hint = f.hint ? `<span class="hint">hint: ${esc(f.hint)}</span>` : '';
  return `<li class="${esc(f.severity)}" data-code="${esc(f.code)}"><span class="sev">${esc(f.severity)}</span>${esc(f.message)}<span class="code">${esc(f.code)}</span>${hint}</li>`;
}

function summary(report: AuditReport): string {
  const policies = FAMILIES.filter((f) => f in report.inputPolicy).map(
    (f) => `<li><b>${f} filter INPUT:</b> ${esc(report.inputPolicy[f] ?? 'no filter table')}</li>`,
  );
  const classes = FAMILIES.filter((f) => report.classes[f] !== undefined).map(
    (f) => `<li><b>${f} source classes:</b> ${report.classes[f]}</li>`,
  );
  const open = report.destinations.filter((d) => d.worldOpen).length;
  return `<ul class="summary">
<li><b>outside interfaces:</b> ${esc(report.interfaces.join(', ') || '(none)')}</li>
${policies.join('\n')}
<li><b>destinations:</b> ${report.destinations.length} (${open} open to every source)</li>
${classes.join('\n')}
</ul>`;
}

function graphsSection(report: AuditReport, opts: AuditHtmlOptions): string {
  const decides = decisionCounts(report);
  const figures: string[] = [];
  for (const f of FAMILIES) {
    const rs = opts.rulesets[f];
    if (!rs) continue;
    for (const table of GRAPH_TABLES) {
      const counts = new Map<string, number>();
      for (const [k, n] of decides) {
        const [kf, kt, chain] = k.split(' ');
        if (kf === f && kt === table && chain) counts.set(chain, n);
      }
      const g = chainGraph(rs, table, counts);
      if (!g) continue;
      figures.push(`<figure><figcaption>${f} ${table}</figcaption>${renderChainSvg(g)}</figure>`);
    }
  }
  const legend = `<p class="graph-legend">Boxes:<span style="background:#ddf4ff;border-color:#0969da"></span>built-in<span style="background:#f3f0ff;border-color:#8250df"></span>Docker's<span style="background:#dafbe1;border-color:#1a7f37"></span>dockwall's<span style="background:#fff;border-color:#8c959f"></span>other; a thick border marks a chain that decided part of the matrix. Arrows: solid <code>-j</code> (jump, returns), dashed <code>-g</code> (goto). Hover for rule numbers.</p>`;
  return `<section id="chains"><h2>Chains</h2>${
    figures.length
      ? `<div class="graphs">${figures.join('\n')}</div>${legend}`
      : '<p class="none">no filter or nat table</p>'
  }</section>`;
}

/**
 * The audit report as one self-contained HTML page: summary, findings, the service matrix
 * (destinations × source classes, each cell coloured by verdict, the deciding rule on hover and in
 * a details row) and the jump graph of the filter and nat chains as inline SVG. No script, no
 * external resource; a Content-Security-Policy forbids loading any.
 */
export function renderAuditHtml(report: AuditReport, opts: AuditHtmlOptions): string {
  const title = opts.title ?? 'dockwall audit';
  const sub = [
    opts.subject ? `audit of ${opts.subject}` : '',
    opts.generatedAt ? `made ${opts.generatedAt}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const findings = report.findings.length
    ? `<ul class="findings">${report.findings.map(findingItem).join('')}</ul>`
    : '<p class="none">nothing to report: no port is open to every source</p>';
  const matrices = FAMILIES.map((f) => familyMatrix(report, f))
    .filter((m) => m !== undefined)
    .map(
      (m) =>
        `<h3>${m.family}: ${m.rows.length} row${m.rows.length === 1 ? '' : 's'} × ${m.columns.length} source class${m.columns.length === 1 ? '' : 'es'}</h3><div class="matrix-wrap">${renderMatrix(m)}</div>`,
    );
  const notes = [
    ...report.assumptions.map((a) => `assumed: ${a}`),
    ...report.diagnostics.map((d) => `${d.severity}: ${d.message}`),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLES}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>${sub ? `<p>${esc(sub)}</p>` : ''}</header>
<main>
<section id="summary"><h2>Summary</h2>${summary(report)}</section>
<section id="findings"><h2>Findings</h2>${findings}</section>
<section id="matrix"><h2>Service matrix</h2>${
    matrices.length ? matrices.join('\n') : '<p class="none">no published or listening ports to look at</p>'
  }${renderLegend()}</section>
${graphsSection(report, opts)}
<section id="notes"><h2>Assumptions</h2>${
    notes.length
      ? `<ul class="plain">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
      : '<p class="none">none</p>'
  }</section>
</main>
<footer>dockwall audit · report format ${report.formatVersion}</footer>
</body>
</html>
`;
}
