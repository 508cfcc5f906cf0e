import type { Severity } from '../model/index.js';
import type { DoctorFacts, DoctorReport, Finding, FindingCategory } from './facts.js';
import { subnetOverlapFindings } from './findings-routing.js';
import { dockerIptablesFindings, variantFindings } from './findings-iptables.js';
import { managerFindings } from './findings-managers.js';
import { ipv6Findings } from './findings-ipv6.js';

/** Findings from facts: pure, deterministic, in a fixed order (category, then severity). */

export const CATEGORY_ORDER: readonly FindingCategory[] = [
  'daemon',
  'routing',
  'iptables',
  'firewall',
  'ipv6',
];
const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info'];

function daemonJsonFindings(facts: DoctorFacts): Finding[] {
  const d = facts.daemonJson;
  if (d.state !== 'invalid') return [];
  return [
    {
      id: 'daemon-json-invalid',
      severity: 'error',
      category: 'daemon',
      title: `${d.path} is not valid JSON (line ${d.line}, column ${d.column})`,
      detail:
        `${d.path}:${d.line}:${d.column}: ${d.error}. dockerd refuses to start with a daemon.json it cannot ` +
        'read, so the next restart (or reboot) leaves the host without Docker; until then the running dockerd ' +
        'may use other settings than the file says.',
      fix:
        `Correct the file at line ${d.line}, column ${d.column} (JSON allows no comments and no trailing commas), ` +
        `then check it with \`dockerd --validate --config-file ${d.path}\` (Docker 23+) or \`python3 -m json.tool ${d.path}\`.`,
    },
  ];
}

function notesFor(facts: DoctorFacts): string[] {
  const notes = [...facts.unread];
  if (!facts.docker.reachable) {
    notes.push(
      `Docker did not answer (${facts.docker.error}): subnet overlaps and Docker's networks were not checked.`,
    );
  }
  if (facts.daemonJson.state === 'missing')
    notes.push(`${facts.daemonJson.path} does not exist (Docker's defaults apply).`);
  if (facts.daemonJson.state === 'unreadable') {
    notes.push(`${facts.daemonJson.path} could not be read: ${facts.daemonJson.error}.`);
  }
  return notes;
}

export function diagnose(facts: DoctorFacts): DoctorReport {
  const findings = [
    ...daemonJsonFindings(facts),
    ...subnetOverlapFindings(facts),
    ...variantFindings(facts),
    ...dockerIptablesFindings(facts),
    ...managerFindings(facts),
    ...ipv6Findings(facts),
  ];
  const rank = (f: Finding): number =>
    CATEGORY_ORDER.indexOf(f.category) * 10 + SEVERITY_ORDER.indexOf(f.severity);
  // Array.prototype.sort is stable: findings of equal rank keep the order they were made in.
  findings.sort((a, b) => rank(a) - rank(b));
  const report: DoctorReport = { findings, notes: notesFor(facts) };
  if (!facts.docker.reachable)
    report.incomplete = "Docker did not answer, so subnet overlaps and Docker's networks were not checked";
  return report;
}
