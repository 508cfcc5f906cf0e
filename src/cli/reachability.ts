import { Option } from 'commander';
import { diag, type HostModel } from '../model/index.js';
import type { ReachabilityDiff } from '../plan/reachability-diff.js';
import { liveListening, parseListen } from './listening.js';
import type { CliContext } from './context.js';
import { collectRepeatable } from './inputs.js';
import { liveHostModel, type Planned } from './pipeline.js';
import { liveWholeHost, readHostModelFile } from './proof-inputs.js';
import { liveNftFor } from './nft-inputs.js';
import { stateAfterPlan } from '../proof/planned-state.js';

export interface ReachabilityOptions {
  hostModel?: string[];
  listen?: string[];
  interface?: string[];
}

/** The difference, or why it was not computed (`plan --json` and `apply --json` carry either). */
export type ReachabilityOutcome = ReachabilityDiff | { unchanged?: true; skipped: string };

/**
 * The difference and the simulator under it, loaded when a plan changes something: a plan with
 * nothing to do (the usual case) loads neither. Set by `planReachability` before it returns a
 * difference, so `reachabilityText` has it whenever it has a difference to render.
 */
let differ: typeof import('../plan/reachability-diff.js') | undefined;

/** The policy's `expect:` assertions, when it has any (the simulator is loaded only then). */
export async function checkPolicyExpectations(ctx: CliContext, planned: Planned): Promise<void> {
  if (planned.policy.expectations.length === 0) return;
  const { runExpectations } = await import('./commands/check.js');
  await runExpectations(ctx, planned, { fatal: true });
}

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
  const unknownHost = {
    skipped:
      'offline, the host is unknown: give the policy a host: block or --host-model JSON to see who gains and loses access',
  };
  if (!host && planned.offline) return unknownHost;
  // Live, the host's interfaces, every table and the listening sockets are read at once.
  const live = planned.offline
    ? undefined
    : {
        host: host ? undefined : liveHostModel(planned),
        // Shared with the plan's `expect:` checks; the policy's sets are not read again.
        before: liveWholeHost(ctx, planned),
        listening: opts.listen ? undefined : liveListening(),
        // Docker's nftables backend: Docker's rules are nftables tables, and dockwall's own change too.
        nft: planned.backend === 'nftables' ? liveNftFor(ctx, planned) : undefined,
      };
  if (live) for (const p of Object.values(live)) p?.catch(() => undefined);
  // The simulator loads while the host is read, once the reads' processes are started (its modules
  // load on this thread, which starts them).
  const loading = differ
    ? undefined
    : new Promise<void>((started) => setImmediate(started)).then(
        () => import('../plan/reachability-diff.js'),
      );
  loading?.catch(() => undefined);
  if (live?.host) host = await live.host;
  if (!host) return unknownHost;
  const before = live ? await live.before : planned.state;
  const nftBefore = live?.nft ? await live.nft : planned.nftDump;
  const after = stateAfterPlan(before, planned.desired, nftBefore, planned.plan);
  if (after.diagnostics.length > 0)
    return { skipped: `the plan does not apply to the rules read: ${after.diagnostics[0]!.message}` };
  const listening = opts.listen?.map(parseListen) ?? (live?.listening ? await live.listening : []);
  differ ??= await (loading ?? import('../plan/reachability-diff.js'));
  try {
    return differ.reachabilityDiff({
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
  return `\n${differ!.renderReachabilityDiff(r).join('\n')}\n`;
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
      'a port the host listens on, for the reachability difference (repeatable; live: read from /proc/net, or with ss)',
    ).argParser(collectRepeatable),
  interface: () =>
    new Option(
      '--interface <iface>',
      'outside interface to probe from (repeatable; default: all but lo and bridges)',
    ).argParser(collectRepeatable),
};
