import type { Command } from 'commander';
import { renderPlanText } from '../../plan/index.js';
import type { CliContext } from '../context.js';
import { EXIT_CHANGES, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable } from '../inputs.js';
import { planFromOptions } from '../pipeline.js';
import { writeSavedPlan } from '../saved-plan-file.js';
import {
  checkPolicyExpectations,
  planReachability,
  reachabilityOption as reach,
  reachabilityText,
  type ReachabilityOptions,
} from '../reachability.js';

interface PlanOpts extends ReachabilityOptions {
  file: string;
  state?: string[];
  ipsetState?: string[];
  dockerState?: string;
  json?: boolean;
  check: boolean;
  out?: string;
}

export function registerPlan(
  program: Command,
  run: (fn: (ctx: CliContext) => Promise<number>) => Promise<void>,
): void {
  program
    .command('plan')
    .description('show what apply would change (exit 0: nothing, 2: changes pending, 1: error)')
    .requiredOption('-f, --file <policy>', 'policy file (dockwall YAML or pyfw wishes)')
    .option(
      '--state <dump>',
      'plan against a saved iptables-save/ip6tables-save dump instead of the live host (repeatable; also `nft -j list ruleset` JSON)',
      collectRepeatable,
    )
    .option(
      '--ipset-state <dump>',
      'saved `ipset save` output to plan against (repeatable)',
      collectRepeatable,
    )
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--json', 'print the plan as JSON')
    .option(
      '-o, --out <file>',
      'also save the plan, with digests of the policy and host state it was made from, for `dockwall apply FILE`',
    )
    .option('--no-check', "do not evaluate the policy's expect: assertions")
    .addOption(reach.hostModel())
    .addOption(reach.listen())
    .addOption(reach.interface())
    .action((opts: PlanOpts) =>
      run(async (ctx) => {
        // A saved `nft -j list ruleset` may be among the dumps (Docker's nftables backend).
        const p = await planFromOptions(ctx, { ...opts, nftState: true });
        if (opts.check) await checkPolicyExpectations(ctx, p);
        // The plan's text is made while the reachability difference waits for the host's reads.
        const reaching = planReachability(ctx, p, opts);
        reaching.catch(() => undefined);
        const planText = opts.json ? '' : renderPlanText(p.plan, ctx.output.paint);
        const reachability = await reaching;
        if (opts.out) writeSavedPlan(ctx, opts.out, opts.file, p);
        if (opts.json)
          ctx.output.out(
            JSON.stringify(
              { ...p.plan, reachability, diagnostics: [...ctx.diagnostics, ...p.plan.diagnostics] },
              null,
              2,
            ) + '\n',
          );
        else {
          ctx.collect(p.plan.diagnostics);
          ctx.flushDiagnostics();
          ctx.output.out(planText + reachabilityText(reachability));
          if (opts.out)
            ctx.output.out(
              p.offline
                ? `\nSaved the plan to ${opts.out} (made against saved dumps: it shows, but no host can apply it).\n`
                : `\nSaved the plan to ${opts.out}. Apply exactly this plan with \`dockwall apply ${opts.out}\`.\n`,
            );
        }
        return p.plan.operations.length === 0 ? EXIT_OK : EXIT_CHANGES;
      }),
    );
}
