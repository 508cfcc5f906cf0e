import type { DockerInventory, HostState, Plan, Policy } from '../model/index.js';
import { compileDesired, type DesiredState } from '../compile/index.js';
import { planChanges } from '../plan/index.js';
import type { CliContext } from './context.js';
import { readInventoryFile, readPolicy, readStateFiles } from './inputs.js';
import { hostRunner, liveFirewallBackend, readLiveInventory, readLiveState } from './live.js';
import { forNftablesBackend, type FirewallBackend } from '../backend/nftables/index.js';

export interface StateOptions {
  file: string;
  state?: string[];
  ipsetState?: string[];
  dockerState?: string;
  /** Read no live state even when `state` is empty (the dumps given were all nftables rule sets). */
  offline?: boolean;
}

export interface Planned {
  policy: Policy;
  state: HostState;
  desired: DesiredState;
  plan: Plan;
  inventory?: DockerInventory;
  offline: boolean;
  /** Docker's firewall backend on the live host (iptables for saved dumps). */
  backend: FirewallBackend;
}

/** policy file + (saved dumps | live host) → desired state → plan. */
export async function planFromOptions(ctx: CliContext, opts: StateOptions): Promise<Planned> {
  const policy = readPolicy(ctx, opts.file);
  const offline = opts.offline ?? (opts.state?.length ?? 0) > 0;
  let inventory: DockerInventory | undefined;
  if (opts.dockerState) inventory = readInventoryFile(ctx, opts.dockerState);
  else if (!offline && policy.containers.length > 0) inventory = await readLiveInventory(ctx);

  let desired = compileDesired(policy, inventory ? { inventory } : {});
  ctx.collect(desired.diagnostics);
  desired.diagnostics = [];
  ctx.failOnErrors(`${opts.file} cannot be compiled`);
  const backend = offline ? 'iptables' : await liveFirewallBackend(hostRunner());
  if (backend === 'nftables') {
    const split = forNftablesBackend(desired);
    ctx.collect(split.diagnostics);
    ctx.failOnErrors(`${opts.file} cannot be applied with Docker's nftables backend`);
    desired = split.desired;
  }

  const state = offline
    ? readStateFiles(ctx, opts.state ?? [], opts.ipsetState ?? [])
    : await readLiveState(ctx, desired);
  const plan = planChanges(state, desired, offline ? {} : { families: desired.families });
  const out: Planned = { policy, state, desired, plan, offline, backend };
  if (inventory) out.inventory = inventory;
  return out;
}
