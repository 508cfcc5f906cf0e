import { Option } from 'commander';
import { readHostModel } from '../host/index.js';
import { diag, type HostModel } from '../model/index.js';
import { reachabilityDiff, renderReachabilityDiff, type ReachabilityDiff } from '../plan/index.js';
import { liveListening, parseListen } from './commands/audit.js';
import type { CliContext } from './context.js';
import { collectRepeatable } from './inputs.js';
import { hostRunner } from './live.js';
import type { Planned } from './pipeline.js';
import { readHostModelFile, readWholeHost } from './proof-inputs.js';
import { readLiveNft } from './nft-inputs.js';
import { stateAfterPlan } from '../proof/planned-state.js';

export interface ReachabilityOptions {
  hostModel?: string[];
  listen?: string[];
  interface?: string[];
}

/** The difference, or why it was not computed (`plan --json` and `apply --json` carry either). */
export type ReachabilityOutcome = ReachabilityDiff | { unchanged?: true; skipped: string };

/**
 * Who gains and who loses access when the plan is applied: the simulator walks the whole rule set
 * (the saved dumps, or every table of the live host) before and after the plan.
 */
export async function planReachability(
  ctx: CliContext,
  planned: Planned,
  opts: ReachabilityOptions,
): Promise<ReachabilityOutcome> {
  if (planned.plan.operations.length === 0) return { unchanged: true, skipped: 'the plan changes nothing' };
  let host: HostModel | undefined;
  if (opts.hostModel?.length) host = readHostModelFile(ctx, opts.hostModel);
  else if (planned.policy.host) host = planned.policy.host;
  else if (!planned.offline) host = await readHostModel(hostRunner());
  if (!host)
    return {
      skipped:
        'offline, the host is unknown: give the policy a host: block or --host-model JSON to see who gains and loses access',
    };
  const before = planned.offline ? planned.state : await readWholeHost(ctx);
  // Docker's nftables backend: Docker's rules are nftables tables, and dockwall's own change too.
  const nftBefore = !planned.offline && planned.backend === 'nftables' ? await readLiveNft(ctx) : undefined;
  const after = stateAfterPlan(before, planned.desired, nftBefore, planned.plan);
  if (after.diagnostics.length > 0)
    return { skipped: `the plan does not apply to the rules read: ${after.diagnostics[0]!.message}` };
  const listening = opts.listen?.map(parseListen) ?? (planned.offline ? [] : await liveListening());
  try {
    return reachabilityDiff({
      before,
      after: after.state,
      ...(nftBefore ? { nftBefore } : {}),
      ...(after.nft ? { nftAfter: after.nft } : {}),
      host,
      listening,
      ...(planned.inventory ? { docker: planned.inventory } : {}),
      ...(opts.interface ? { interfaces: opts.interface } : {}),
    });
  } catch (e) {
    ctx.collect([diag('warning', 'plan.reachability', `reachability not computed: ${(e as Error).message}`)]);
    return { skipped: `the simulator failed: ${(e as Error).message}` };
  }
}

/** Text lines for the end of `plan` and before `apply` asks. */
export function reachabilityText(r: ReachabilityOutcome): string {
  if ('skipped' in r) return r.unchanged ? '' : `\nReachability: not computed (${r.skipped}).\n`;
  return `\n${renderReachabilityDiff(r).join('\n')}\n`;
}

/** The options `plan` and `apply` take for it (fresh objects: commander keeps them per command). */
export const reachabilityOption = {
  hostModel: () =>
    new Option(
      '--host-model <json>',
      'host interfaces and routes, for the reachability difference (repeatable: `ip -j addr`, `ip -j route` output, or dockwall host-model JSON)',
    ).argParser(collectRepeatable),
  listen: () =>
    new Option(
      '--listen <[addr:]port/proto>',
      'a port the host listens on, for the reachability difference (repeatable; live: read with ss)',
    ).argParser(collectRepeatable),
  interface: () =>
    new Option(
      '--interface <iface>',
      'outside interface to probe from (repeatable; default: all but lo and bridges)',
    ).argParser(collectRepeatable),
};
