import type { Command } from 'commander';
import { readHostModel } from '../../host/index.js';
import type { HostModel, NftRuleset } from '../../model/index.js';
import { diag } from '../../model/index.js';
import { applyPlanToState } from '../../plan/index.js';
import { checkExpectations, describeExpectation, type ExpectationResult } from '../../proof/expectations.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable } from '../inputs.js';
import { describeBackend, reportBackend } from '../../proof/backend.js';
import { hostRunner } from '../live.js';
import { readLiveNft, splitStateFiles } from '../nft-inputs.js';
import { planFromOptions, type Planned } from '../pipeline.js';
import type { Run } from './index.js';

/**
 * Evaluates the policy's `expect:` assertions on the state the plan would produce. With `fatal`,
 * a failed expectation stops the command (plan/apply refuse to proceed).
 */
export async function runExpectations(
  ctx: CliContext,
  planned: Planned,
  opts: { fatal: boolean; nft?: NftRuleset },
): Promise<ExpectationResult[]> {
  const exps = planned.policy.expectations;
  if (exps.length === 0) return [];
  let host: HostModel | undefined = planned.policy.host;
  if (!host && !planned.offline) host = await readHostModel(hostRunner());
  if (!host) {
    ctx.collect([
      diag(
        'warning',
        'check.no-host',
        `${exps.length} expectation(s) not checked: the policy has no host: block and no live host was read`,
      ),
    ]);
    return [];
  }
  const after = applyPlanToState(planned.state, planned.plan);
  const { results, diagnostics } = checkExpectations(exps, after.state, host, planned.inventory, opts.nft);
  ctx.collect(diagnostics);
  if (opts.fatal) ctx.failOnErrors('an expectation failed (use --no-check to proceed anyway)');
  return results;
}

export function registerCheck(program: Command, run: Run): void {
  program
    .command('check')
    .description(
      "evaluate the policy's expect: assertions on the rules applying it would produce (exit 0: all hold, 1: one failed or error)",
    )
    .requiredOption('-f, --file <policy>', 'policy file')
    .option(
      '--state <dump>',
      'check against a saved dump instead of the live host (repeatable)',
      collectRepeatable,
    )
    .option('--ipset-state <dump>', 'saved `ipset save` output (repeatable)', collectRepeatable)
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--json', 'print the results as JSON')
    .action(
      (opts: {
        file: string;
        state?: string[];
        ipsetState?: string[];
        dockerState?: string;
        json?: boolean;
      }) =>
        run(async (ctx) => {
          const split = opts.state ? splitStateFiles(ctx, opts.state) : { iptables: [] };
          const offline = (opts.state?.length ?? 0) > 0;
          const planned = await planFromOptions(ctx, { ...opts, state: split.iptables, offline });
          const nft = offline ? split.nft : await readLiveNft(ctx);
          const backend = reportBackend(planned.state.rulesets, nft, planned.inventory);
          ctx.collect(backend.diagnostics);
          const results = await runExpectations(ctx, planned, { fatal: false, ...(nft ? { nft } : {}) });
          const failed = results.filter((r) => !r.ok);
          if (opts.json) {
            ctx.output.out(
              JSON.stringify(
                {
                  passed: failed.length === 0,
                  backend: backend.report,
                  results: results.map((r) => ({
                    expectation: r.expectation,
                    ok: r.ok,
                    verdict: r.trace.verdict,
                    decidedBy: r.trace.decidedBy,
                    path: r.trace.path,
                  })),
                  diagnostics: ctx.diagnostics,
                },
                null,
                2,
              ) + '\n',
            );
            return failed.length === 0 && results.length > 0 ? EXIT_OK : EXIT_ERROR;
          }
          ctx.flushDiagnostics();
          if (results.length === 0)
            throw new CliError(`${opts.file} has no expectations that could be checked`);
          const p = ctx.output.paint;
          ctx.output.out(`${describeBackend(backend.report)}\n`);
          for (const r of results) {
            ctx.output.out(
              `${r.ok ? p.add('✓') : p.remove('✗')} ${describeExpectation(r.expectation)}: ${r.trace.verdict}${r.ok ? '' : ` (wanted ${r.expectation.verdict})`}\n`,
            );
          }
          ctx.output.out(`\n${results.length - failed.length} of ${results.length} expectations hold.\n`);
          return failed.length === 0 ? EXIT_OK : EXIT_ERROR;
        }),
    );
}
