import { printable } from '../../model/printable.js';
import type { Command } from 'commander';
import type { HostModel, NftRuleset } from '../../model/index.js';
import { diag } from '../../model/index.js';
import { stateAfterPlan } from '../../proof/planned-state.js';
import { checkExpectations, describeExpectation, type ExpectationResult } from '../../proof/expectations.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_CHANGES, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable } from '../inputs.js';
import { describeBackend, reportBackend } from '../../proof/backend.js';
import { liveNftFor, readLiveNft, splitStateFiles } from '../nft-inputs.js';
import { liveHostModel, planFromOptions, type Planned } from '../pipeline.js';
import { liveWholeHost, readHostModelFile } from '../proof-inputs.js';
import type { Run } from './index.js';

/**
 * Evaluates the policy's `expect:` assertions on the state the plan would produce. With `fatal`,
 * a failed expectation stops the command (plan/apply refuse to proceed).
 */
export async function runExpectations(
  ctx: CliContext,
  planned: Planned,
  opts: { fatal: boolean; nft?: NftRuleset; hostModel?: string[] },
): Promise<ExpectationResult[]> {
  const exps = planned.policy.expectations;
  if (exps.length === 0) return [];
  let host: HostModel | undefined = opts.hostModel?.length
    ? readHostModelFile(ctx, opts.hostModel)
    : planned.policy.host;
  if (!host && !planned.offline) host = await liveHostModel(planned);
  if (!host) {
    ctx.collect([
      diag(
        'warning',
        'check.no-host',
        `${exps.length} expectation(s) not checked: the policy has no host: block, no --host-model was given and no live host was read`,
      ),
    ]);
    return [];
  }
  // The live read for planning holds only the chains dockwall manages; the walk needs every table
  // (Docker's DNAT in nat decides whether a packet is forwarded or delivered), so read them all.
  const base = planned.offline ? planned.state : await liveWholeHost(ctx, planned);
  // On Docker's nftables backend Docker's rules are nftables tables: the walk needs them, and
  // dockwall's own tables as the plan leaves them.
  const nft =
    opts.nft ??
    planned.nftDump ??
    (!planned.offline && planned.backend === 'nftables' ? await liveNftFor(ctx, planned) : undefined);
  const after = stateAfterPlan(base, planned.desired, nft, planned.offline ? planned.plan : undefined);
  const { results, diagnostics } = checkExpectations(exps, after.state, host, planned.inventory, after.nft);
  ctx.collect(diagnostics);
  if (opts.fatal) ctx.failOnErrors('an expectation failed (use --no-check to proceed anyway)');
  return results;
}

export function registerCheck(program: Command, run: Run): void {
  program
    .command('check')
    .description(
      "evaluate the policy's expect: assertions on the rules applying it would produce (exit 0: all hold or there are none, 2: one failed, 1: error)",
    )
    .requiredOption('-f, --file <policy>', 'policy file')
    .option(
      '--state <dump>',
      'check against a saved dump instead of the live host (repeatable)',
      collectRepeatable,
    )
    .option('--ipset-state <dump>', 'saved `ipset save` output (repeatable)', collectRepeatable)
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option(
      '--host-model <json>',
      "host interfaces and routes instead of the policy's host: block (repeatable: `ip -j addr`, `ip -j route` output, or dockwall host-model JSON)",
      collectRepeatable,
    )
    .option('--json', 'print the results as JSON')
    .action(
      (opts: {
        file: string;
        state?: string[];
        ipsetState?: string[];
        dockerState?: string;
        hostModel?: string[];
        json?: boolean;
      }) =>
        run(async (ctx) => {
          const split = splitStateFiles(ctx, opts.state ?? []);
          const offline = (opts.state?.length ?? 0) > 0;
          const planned = await planFromOptions(ctx, {
            ...opts,
            state: split.iptables,
            offline,
            ...(split.nft && split.nftFile
              ? { nft: { ruleset: split.nft, file: split.nftFile, text: split.nftText! } }
              : {}),
          });
          const none = planned.policy.expectations.length === 0;
          const nft = offline ? split.nft : await readLiveNft(ctx);
          const backend = reportBackend(planned.state.rulesets, nft, planned.inventory);
          ctx.collect(backend.diagnostics);
          const results = await runExpectations(ctx, planned, {
            fatal: false,
            ...(nft ? { nft } : {}),
            ...(opts.hostModel ? { hostModel: opts.hostModel } : {}),
          });
          const failed = results.filter((r) => !r.ok);
          // Expectations the policy has but that could not be evaluated: an error, not a pass.
          const unchecked = !none && results.length === 0;
          const code = unchecked ? EXIT_ERROR : failed.length > 0 ? EXIT_CHANGES : EXIT_OK;
          if (opts.json) {
            ctx.output.out(
              JSON.stringify(
                {
                  passed: code === EXIT_OK,
                  backend: backend.report,
                  ...(none ? { note: 'the policy has no expect: assertions; nothing to check' } : {}),
                  results: results.map((r) => ({
                    expectation: r.expectation,
                    ok: r.ok,
                    verdict: r.trace.verdict,
                    ...(r.trace.depends ? { depends: r.trace.depends } : {}),
                    decidedBy: r.trace.decidedBy,
                    path: r.trace.path,
                  })),
                  diagnostics: ctx.diagnostics,
                },
                null,
                2,
              ) + '\n',
            );
            return code;
          }
          ctx.flushDiagnostics();
          if (none) {
            ctx.output.out(`${opts.file} has no expect: assertions; nothing to check.\n`);
            return EXIT_OK;
          }
          if (unchecked) throw new CliError(`${opts.file} has no expectations that could be checked`);
          const p = ctx.output.paint;
          ctx.output.out(`${describeBackend(backend.report)}\n`);
          for (const r of results) {
            ctx.output.out(
              `${r.ok ? p.add('✓') : p.remove('✗')} ${printable(describeExpectation(r.expectation))}: ${r.trace.verdict}${r.trace.depends ? ` (${printable(r.trace.depends)}: not proven)` : ''}${r.ok ? '' : ` (wanted ${r.expectation.verdict})`}\n`,
            );
          }
          ctx.output.out(`\n${results.length - failed.length} of ${results.length} expectations hold.\n`);
          return code;
        }),
    );
}
