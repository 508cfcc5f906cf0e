import type { Diagnostic, DockerInventory, HostState, Plan, Policy } from '../model/index.js';
import { diag } from '../model/index.js';
import { compileDesired, type DesiredState } from '../compile/index.js';
import { missingChainReferences, planChanges } from '../plan/index.js';
import type { CliContext } from './context.js';
import { readInventoryFile, readPolicy, readStateFiles } from './inputs.js';
import { liveExtensionProblems, readLiveInventory, readLiveState } from './live.js';

export interface StateOptions {
  file: string;
  state?: string[];
  ipsetState?: string[];
  dockerState?: string;
}

export interface Planned {
  policy: Policy;
  state: HostState;
  desired: DesiredState;
  plan: Plan;
  inventory?: DockerInventory;
  offline: boolean;
}

/** policy file + (saved dumps | live host) → desired state → plan. */
export async function planFromOptions(ctx: CliContext, opts: StateOptions): Promise<Planned> {
  const policy = readPolicy(ctx, opts.file);
  const offline = (opts.state?.length ?? 0) > 0;
  let inventory: DockerInventory | undefined;
  if (opts.dockerState) inventory = readInventoryFile(ctx, opts.dockerState);
  else if (!offline && policy.containers.length > 0) inventory = await readLiveInventory(ctx);

  const desired = compileDesired(policy, inventory ? { inventory } : {});
  ctx.collect(desired.diagnostics);
  desired.diagnostics = [];
  ctx.failOnErrors(`${opts.file} cannot be compiled`);

  const state = offline
    ? readStateFiles(ctx, opts.state ?? [], opts.ipsetState ?? [])
    : await readLiveState(ctx, desired);
  // What iptables-restore --test lets through and the commit refuses: jumps to chains that will not
  // exist, extensions this host's iptables cannot load.
  ctx.collect(missingChainReferences(state, desired));
  if (!offline) ctx.collect(await liveExtensionProblems(ctx, policy, desired.families));
  else if (policy.extensions) ctx.collect([extensionsNotChecked(policy)]);
  ctx.failOnErrors(`${opts.file} cannot be applied to this host`);
  const plan = planChanges(state, desired, offline ? {} : { families: desired.families });
  const out: Planned = { policy, state, desired, plan, offline };
  if (inventory) out.inventory = inventory;
  return out;
}

function extensionsNotChecked(policy: Policy): Diagnostic {
  const names = [...(policy.extensions?.matches ?? []), ...(policy.extensions?.targets ?? [])];
  return diag(
    'info',
    'plan.extensions-not-checked',
    `a plan against saved dumps cannot tell whether this host's iptables loads ${names.map((n) => `\`${n}\``).join(', ')}: apply and a live plan check it`,
    policy.extensions?.pos,
  );
}
