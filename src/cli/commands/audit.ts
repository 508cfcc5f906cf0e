import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { renderAuditHtml } from '../../audit-html/index.js';
import { audit, renderAudit, type AuditReport } from '../../sim/index.js';
import { describeBackend } from '../../proof/backend.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_CHANGES, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable } from '../inputs.js';
import { liveListening, parseListen } from '../listening.js';
import { loadProofInputs, type ProofOptions } from '../proof-inputs.js';
import type { Run } from './index.js';
import { errorWords } from '../../model/index.js';

interface AuditOpts extends ProofOptions {
  listen?: string[];
  interface?: string[];
  json?: boolean;
  html?: string;
  failOn?: string[];
}

/** `--fail-on` conditions, for CI: exit 2 when one holds. */
const FAIL_ON: Record<string, { what: string; holds: (r: AuditReport) => number }> = {
  'open-world': {
    what: 'reachable from every source',
    holds: (r) => r.destinations.filter((d) => d.worldOpen).length,
  },
  unknown: {
    what: 'with a verdict unknown for some sources',
    holds: (r) => r.destinations.filter((d) => d.unknown).length,
  },
  depends: {
    what: 'with a verdict that depends on history, rates or a match not modelled for some sources',
    holds: (r) => r.destinations.filter((d) => d.depends).length,
  },
  warning: {
    what: 'warning finding(s)',
    holds: (r) => r.findings.filter((f) => f.severity !== 'info').length,
  },
};

export function parseFailOn(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((v) => v.trim());
  for (const n of names) {
    if (!FAIL_ON[n])
      throw new InvalidArgumentError(`expected ${Object.keys(FAIL_ON).join(', ')} (comma separated)`);
  }
  return [...previous, ...names];
}

/** The `--fail-on` conditions that hold, in words (empty: none). */
function failures(report: AuditReport, names: readonly string[]): string[] {
  return [...new Set(names)].flatMap((n) => {
    const c = FAIL_ON[n]!;
    const count = c.holds(report);
    if (count === 0) return [];
    return [n === 'warning' ? `${count} ${c.what}` : `${count} port(s) ${c.what}`];
  });
}

function writeHtml(
  ctx: CliContext,
  opts: AuditOpts,
  report: AuditReport,
  rulesets: Parameters<typeof renderAuditHtml>[1]['rulesets'],
  offline: boolean,
): void {
  const file = opts.html!;
  const what = offline ? (opts.state ?? []).join(', ') : 'the live host';
  const subject = opts.file ? `${what} as ${opts.file} would leave it` : what;
  const page = renderAuditHtml(report, { rulesets, subject, generatedAt: new Date().toISOString() });
  try {
    writeFileSync(file, page);
  } catch (e) {
    throw new CliError(`cannot write ${file}: ${errorWords(e)}`);
  }
  ctx.output.err(`wrote ${file}\n`);
}

export function registerAudit(program: Command, run: Run): void {
  program
    .command('audit')
    .description('which sources can reach each published container port and listening host port')
    .option(
      '--state <dump>',
      'audit a saved dump instead of the live host (repeatable; iptables-save, or `nft -j list ruleset` JSON)',
      collectRepeatable,
    )
    .option('--ipset-state <dump>', 'saved `ipset save` output (repeatable)', collectRepeatable)
    .option('-f, --file <policy>', 'audit the rules this policy would produce (and use its host: block)')
    .option(
      '--host-model <json>',
      'host interfaces and routes, offline (repeatable: `ip -j addr`, `ip -j route` output, or dockwall host-model JSON)',
      collectRepeatable,
    )
    .option('--docker-state <json>', 'Docker inventory JSON (published ports); else read from the nat rules')
    .option(
      '--listen <[addr:]port/proto>',
      'a port the host listens on (repeatable; live: read from /proc/net, or with ss)',
      collectRepeatable,
    )
    .option(
      '--interface <iface>',
      'outside interface to probe from (repeatable; default: all but lo and bridges)',
      collectRepeatable,
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--fail-on <conditions>',
      `exit 2 when one holds (for CI; comma separated or repeated): ${Object.keys(FAIL_ON).join(', ')}`,
      parseFailOn,
    )
    .option(
      '--html <file>',
      'also write the report as a self-contained HTML page (matrix, findings, chain graph)',
    )
    .action((opts: AuditOpts) =>
      run(async (ctx: CliContext) => {
        const inputs = await loadProofInputs(ctx, opts);
        const listening = opts.listen?.map(parseListen) ?? (inputs.offline ? [] : await liveListening());
        const report = audit({
          rulesets: inputs.state.rulesets,
          sets: inputs.state.sets,
          host: inputs.host,
          ...(inputs.docker ? { docker: inputs.docker } : {}),
          ...(inputs.nft ? { nft: inputs.nft } : {}),
          listening,
          ...(opts.interface ? { interfaces: opts.interface } : {}),
        });
        if (opts.html) writeHtml(ctx, opts, report, inputs.state.rulesets, inputs.offline);
        const failed = failures(report, opts.failOn ?? []);
        const code = failed.length > 0 ? EXIT_CHANGES : EXIT_OK;
        if (opts.json) {
          ctx.output.out(JSON.stringify({ ...report, backend: inputs.backend }, null, 2) + '\n');
        } else {
          ctx.flushDiagnostics('warning');
          ctx.output.out([describeBackend(inputs.backend), ...renderAudit(report)].join('\n') + '\n');
        }
        if (failed.length > 0) ctx.output.err(`dockwall: audit --fail-on: ${failed.join('; ')}\n`);
        return code;
      }),
    );
}
