import type {
  Diagnostic,
  DockerInventory,
  Family,
  HostModel,
  HostState,
  NftRuleset,
  Plan,
  Policy,
} from '../model/index.js';
import { readHostModel } from '../host/host-model.js';
import { reportBackend } from '../proof/backend.js';
import { withNftFamilies } from '../proof/planned-state.js';
import { FAMILIES, diag } from '../model/index.js';
import {
  compileDesired,
  onlyFamilies,
  policyFamilies,
  stateFamilies,
  type CompileContext,
  type DesiredState,
} from '../compile/index.js';
import { missingChainReferences, planChanges } from '../plan/index.js';
import type { CliContext } from './context.js';
import { readInventoryFile, readPolicy, readStateFiles } from './inputs.js';
import { splitStateFiles } from './nft-inputs.js';
import {
  hostRunner,
  liveExtensionProblems,
  liveFirewallBackend,
  readLiveInventory,
  readLiveState,
  startLiveReads,
  startSetReads,
  type LiveReads,
} from './live.js';
import {
  dockwallTablesOfRuleset,
  forNftablesBackend,
  type FirewallBackend,
} from '../backend/nftables/index.js';

export interface StateOptions {
  file: string;
  state?: string[];
  ipsetState?: string[];
  dockerState?: string;
  /** Read no live state even when `state` is empty (the dumps given were all nftables rule sets). */
  offline?: boolean;
  /**
   * A saved nftables rule set among the dumps (`plan --state ruleset.json`), its file and, to plan
   * dockwall's own tables in it, its text.
   */
  nft?: { ruleset: NftRuleset; file: string; text?: string };
  /** `state` may hold a saved `nft -j list ruleset` (told by content, as check and trace tell it). */
  nftState?: boolean;
}

export interface Planned {
  policy: Policy;
  state: HostState;
  desired: DesiredState;
  plan: Plan;
  inventory?: DockerInventory;
  offline: boolean;
  /** Docker's firewall backend on the live host (saved dumps: nftables only with a saved nftables rule set that shows it). */
  backend: FirewallBackend;
  /** The whole ipv4 dump the live plan was made from (see `startLiveReads`): the reachability difference's too. */
  ownSave?: LiveReads['ownSave'];
  /** The saved nftables rule set the plan was made against (offline): the simulator walks it. */
  nftDump?: NftRuleset;
}

const hostModels = new WeakMap<Planned, Promise<HostModel>>();

/**
 * The live host's interfaces, addresses and routes (`ip addr`, `ip route` ×2), read once per plan:
 * apply's SSH guard and the reachability difference both need them.
 */
export function liveHostModel(planned: Planned): Promise<HostModel> {
  let got = hostModels.get(planned);
  if (!got) {
    const reading = readHostModel(hostRunner());
    hostModels.set(planned, reading);
    reading.catch(() => {
      if (hostModels.get(planned) === reading) hostModels.delete(planned);
    });
    got = reading;
  }
  return got;
}

/** policy file + (saved dumps | live host) → desired state → plan. */
export async function planFromOptions(ctx: CliContext, opts: StateOptions): Promise<Planned> {
  const offline = opts.offline ?? (opts.state?.length ?? 0) > 0;
  // The host's first reads run while the policy is read and compiled (they only read).
  const early = offline ? undefined : startLiveReads(hostRunner());
  const policy = readPolicy(ctx, opts.file);
  // The policy's sets are read while it is compiled.
  const setReads = early
    ? startSetReads(
        hostRunner(),
        policy.ipsets.map((s) => s.name),
      )
    : undefined;
  let inventory: DockerInventory | undefined;
  if (opts.dockerState) inventory = readInventoryFile(ctx, opts.dockerState);
  else if (!offline && policy.containers.length > 0) inventory = await readLiveInventory(ctx);

  // The host's families: the dumps given (offline), else both, less any whose tables cannot be read.
  let stateFiles = opts.state ?? [];
  let nft = opts.nft;
  let texts: ReadonlyMap<string, string> | undefined;
  if (offline && opts.nftState && !nft && stateFiles.length > 0) {
    const split = splitStateFiles(ctx, stateFiles);
    stateFiles = split.iptables;
    texts = split.texts;
    if (split.nft) nft = { ruleset: split.nft, file: split.nftFile!, text: split.nftText! };
  }
  let dumps = offline ? readStateFiles(ctx, stateFiles, opts.ipsetState ?? [], texts) : undefined;
  if (dumps && nft) {
    const added = withNftFamilies(dumps, nft.ruleset, nft.file);
    ctx.collect(added.diagnostics);
    dumps = added.state;
    // dockwall's own tables in it, as a live plan reads them (a table it lacks does not exist).
    if (nft.text !== undefined)
      dumps.nft = ctx.valueOf(
        dockwallTablesOfRuleset(nft.text, nft.file),
        `${nft.file} is not an nftables rule set`,
      );
  }
  const compileCtx: CompileContext = {};
  if (inventory) compileCtx.inventory = inventory;
  if (dumps) {
    compileCtx.hostFamilies = stateFamilies(dumps);
    ctx.collect(familiesNotGiven(policy, compileCtx.hostFamilies));
  }
  let desired = compileDesired(policy, compileCtx);
  ctx.collect(desired.diagnostics);
  desired.diagnostics = [];
  ctx.failOnErrors(`${opts.file} cannot be compiled`);
  // Saved dumps: Docker's nftables backend when a saved nftables rule set (or the inventory) says so.
  const backend = early
    ? await liveFirewallBackend(hostRunner(), early.chainListing)
    : nft && reportBackend(dumps?.rulesets ?? {}, nft.ruleset, inventory).report.backend === 'nftables'
      ? 'nftables'
      : 'iptables';
  if (backend === 'nftables') {
    const split = forNftablesBackend(desired);
    ctx.collect(split.diagnostics);
    ctx.failOnErrors(`${opts.file} cannot be applied with Docker's nftables backend`);
    desired = split.desired;
  }

  const state =
    dumps ??
    (await readLiveState(ctx, desired, {
      requiredFamilies: policyFamilies(policy),
      ...(early ? { chainListing: early.chainListing } : {}),
      ...(early?.ownSave ? { ownSave: early.ownSave } : {}),
      ...(setReads ? { setReads } : {}),
    }));
  if (!dumps) desired = onlyFamilies(desired, stateFamilies(state));
  if (!offline) ctx.collect(await liveHostChecks(ctx, policy, state, desired));
  else {
    ctx.collect(missingChainReferences(state, desired));
    if (policy.extensions) ctx.collect([extensionsNotChecked(policy)]);
  }
  ctx.failOnErrors(`${opts.file} cannot be applied to this host`);
  const plan = planChanges(state, desired, offline ? {} : { families: desired.families });
  const out: Planned = { policy, state, desired, plan, offline, backend };
  if (inventory) out.inventory = inventory;
  if (early?.ownSave) out.ownSave = early.ownSave;
  if (offline && nft) out.nftDump = nft.ruleset;
  return out;
}

/**
 * The checks a live host gets before anything is applied (plan, apply and each of watch's repairs,
 * whichever backend Docker uses): what iptables-restore --test and `nft -c` let through and the
 * commit refuses, i.e. jumps to chains that will not exist and extensions this host's iptables
 * cannot load (checked once per policy loaded).
 */
export async function liveHostChecks(
  ctx: CliContext,
  policy: Policy,
  state: HostState,
  desired: DesiredState,
): Promise<Diagnostic[]> {
  return [
    ...missingChainReferences(state, desired),
    ...(await liveExtensionProblems(ctx, policy, desired.families)),
  ];
}

/** Against dumps, the families given are the host's: say which part of the policy is then not shown. */
function familiesNotGiven(policy: Policy, given: readonly Family[]): Diagnostic[] {
  const covers = [
    ...(policy.sharedFilter ? ['the shared filter'] : []),
    ...(policy.containers.length > 0 ? ['the `containers:` rules'] : []),
  ];
  if (covers.length === 0 || given.length === 0) return [];
  return FAMILIES.filter((f) => !given.includes(f)).map((f) =>
    diag(
      'info',
      'plan.family-not-given',
      `no ${f} dump was given, so ${covers.join(' and ')} ${covers.length > 1 ? 'are' : 'is'} planned for ${given.join(' and ')} only (on a host with ${f}, give its ${f === 'ipv6' ? 'ip6tables-save' : 'iptables-save'} dump too)`,
    ),
  );
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
