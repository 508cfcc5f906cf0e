import { printableData } from '../model/printable.js';
import { diag, type Diagnostic } from '../model/diagnostic.js';
import { findChain, type ChainPolicy, type Family } from '../model/ruleset.js';
import type { MatrixDestination } from './destinations.js';
import { serviceMatrix, type DestinationResult, type MatrixInput } from './service-matrix.js';
import { describeDecision } from './trace.js';

export interface AuditReport {
  formatVersion: 1;
  /** Policy of filter INPUT per family (null: no filter table). */
  inputPolicy: Partial<Record<Family, ChainPolicy | null>>;
  interfaces: string[];
  destinations: DestinationResult[];
  /** What deserves attention: world-open ports, the INPUT-DROP hole, loopback ports open to the link. */
  findings: Diagnostic[];
  classes: Partial<Record<Family, number>>;
  assumptions: string[];
  diagnostics: Diagnostic[];
}

export function describeDestination(d: MatrixDestination): string {
  const bind = d.hostIp.includes(':') ? `[${d.hostIp}]` : d.hostIp;
  const what =
    d.kind === 'published'
      ? `published ${d.container ? `by ${d.container} ` : ''}${d.target ? `-> ${d.target.address}:${d.target.port}` : ''}`.trim()
      : `listening${d.name ? ` (${d.name})` : ''}`;
  return `${bind}:${d.hostPort}/${d.proto} ${what}`;
}

/** The service matrix with the findings an operator should act on. */
export function audit(input: MatrixInput): AuditReport {
  const m = serviceMatrix(input);
  const inputPolicy: AuditReport['inputPolicy'] = {};
  for (const f of ['ipv4', 'ipv6'] as const) {
    const rs = input.rulesets[f];
    if (rs) inputPolicy[f] = findChain(rs, 'filter', 'INPUT')?.policy ?? null;
  }
  const findings: Diagnostic[] = [];
  for (const r of m.destinations) {
    const d = r.destination;
    const name = describeDestination(d);
    if (r.worldOpen && d.kind === 'published' && inputPolicy[d.family] === 'DROP') {
      findings.push(
        diag(
          'warning',
          'audit.published-port-bypasses-input-drop',
          `${name} is reachable from every source although filter INPUT's policy is DROP`,
          undefined,
          {
            hint: "published ports are DNATed and forwarded: they pass FORWARD, never INPUT. Filter them in DOCKER-USER (or with dockwall's containers/shared filter).",
          },
        ),
      );
    } else if (r.worldOpen) {
      findings.push(diag('info', 'audit.world-open', `${name} is reachable from every source`));
    }
    for (const p of r.probes) {
      if (p.kind !== 'link-neighbour') continue;
      const open = p.groups.filter((g) => g.reachable);
      if (open.length > 0)
        findings.push(
          diag(
            'warning',
            'audit.loopback-port-reachable-from-link',
            `${name}: a machine on the link of ${p.interface} can reach it by sending to ${p.dst} (DNAT happens before the kernel's loopback check)`,
            undefined,
            {
              hint: `drop it early: -t raw -A PREROUTING -d ${p.dst} ! -i lo -p ${d.proto} --dport ${d.hostPort} -j DROP`,
            },
          ),
        );
    }
    if (r.unknown) {
      const g = r.probes.flatMap((p) => p.groups).find((x) => x.verdict === 'unknown');
      findings.push(
        diag('warning', 'audit.unknown', `${name}: the verdict for some sources is unknown`, undefined, {
          hint: g?.unknownReason ?? (g?.decidedBy ? describeDecision(g.decidedBy) : undefined) ?? '',
        }),
      );
    }
  }
  for (const r of m.destinations) {
    if (!r.depends) continue;
    const g = r.probes.flatMap((p) => p.groups).find((x) => x.verdict === 'depends');
    findings.push(
      diag(
        'info',
        'audit.depends',
        `${describeDestination(r.destination)}: for some sources the verdict depends on history, rates or a match not modelled (neither open nor closed)`,
        undefined,
        { hint: g?.dependsOn ?? '' },
      ),
    );
  }
  return {
    formatVersion: 1,
    inputPolicy,
    interfaces: m.interfaces,
    destinations: m.destinations,
    findings,
    classes: m.classes,
    assumptions: m.assumptions,
    diagnostics: m.diagnostics,
  };
}

/** The report as plain text lines (the CLI adds colour). */
export function renderAudit(raw: AuditReport): string[] {
  const report = printableData(raw);
  const lines: string[] = [];
  const policies = Object.entries(report.inputPolicy)
    .map(([f, p]) => `${f} INPUT ${p ?? 'no filter table'}`)
    .join(', ');
  lines.push(`interfaces: ${report.interfaces.join(', ') || '(none)'}${policies ? `; ${policies}` : ''}`);
  if (report.destinations.length === 0) lines.push('no published or listening ports to look at');
  for (const r of report.destinations) {
    const flag = r.worldOpen
      ? '  [open to the world]'
      : r.unknown
        ? '  [partly unknown]'
        : r.depends
          ? '  [partly depends]'
          : '';
    lines.push(`${describeDestination(r.destination)}${flag}`);
    if (r.unchecked) lines.push(`  not checked: ${r.unchecked}`);
    for (const p of r.probes) {
      lines.push(
        `  in ${p.interface} to ${p.dst}${p.kind === 'link-neighbour' ? ' (from a link neighbour)' : ''}:`,
      );
      for (const g of p.groups) {
        const what = g.reachable
          ? 'reaches it'
          : g.verdict === 'accept'
            ? 'accepted, does not reach it'
            : g.verdict === 'depends'
              ? `depends (${g.dependsOn ?? ''})`
              : g.verdict;
        const by = g.decidedBy ? ` (${describeDecision(g.decidedBy)})` : '';
        const shown =
          g.ranges.length > 6 ? [...g.ranges.slice(0, 6), `… ${g.ranges.length - 6} more`] : g.ranges;
        lines.push(`    ${what}: ${shown.join(', ')}${by}`);
        if (g.unknownReason) lines.push(`      unknown because: ${g.unknownReason}`);
      }
    }
  }
  for (const f of report.findings) {
    lines.push(`${f.severity}: ${f.message}`);
    if (f.hint) lines.push(`  hint: ${f.hint}`);
  }
  for (const a of report.assumptions) lines.push(`assumed: ${a}`);
  return lines;
}
