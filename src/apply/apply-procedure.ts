import type { ChainRef, Family, HostState, NftLiveState, Operation, Plan } from '../model/index.js';
import { isNftOperation } from '../model/index.js';
import { nftFamiliesOf, nftTransaction } from '../backend/nftables/plan-nft.js';
import type { DesiredState } from '../compile/desired-state.js';
import { describeOperation } from '../plan/describe-op.js';
import { planChanges, type PlanOptions } from '../plan/planner.js';
import { buildRestoreScripts } from './restore-script.js';
import { mergeReadBack, readBackScope } from './read-back.js';
import { planRollback } from './rollback.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';

/** What the apply procedure needs from the host; the shell provides it, tests provide fakes. */
export interface ApplyPorts {
  readState(): Promise<HostState>;
  /**
   * Reads just these chains and sets (absent ones are left out of the result). Without it, the read
   * back after a transaction reads the whole state again.
   */
  readChains?(chains: ChainRef[], sets: string[]): Promise<HostState>;
  /** Parses and checks an iptables-restore script without committing it (`iptables-restore --test`). */
  testIptables(family: Family, script: string): Promise<void>;
  restoreIptables(family: Family, script: string): Promise<void>;
  restoreIpset(script: string): Promise<void>;
  /** Checks an `nft -f` transaction without committing it (`nft -c -f`); hosts with Docker's nftables backend. */
  checkNft?(script: string): Promise<void>;
  /** Commits an `nft -f` transaction (one transaction: all of it or nothing). */
  loadNft?(script: string): Promise<void>;
  /** Reads dockwall's own nftables tables of these families (`nft -j list table`, nothing else). */
  readNft?(families: Family[]): Promise<NftLiveState>;
}

export type ApplyEvent =
  | { type: 'attempt'; attempt: number; operations: number }
  | { type: 'step'; what: 'ipset' | 'iptables' | 'nft' | 'ipset-cleanup'; family?: Family }
  | { type: 'undo'; family: Family; reason: string }
  | { type: 'drift-after-apply'; attempt: number; remaining: Operation[] };

export interface ApplyResult {
  applied: boolean;
  attempts: number;
  /** The plan that was carried out on the last attempt. */
  plan: Plan;
  /** Every operation carried out, over all attempts, in order (a retry adds its own). */
  operations: Operation[];
}

/** An apply that could not be completed; nothing of it remains in the kernel unless `partial` says so. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly remaining: Operation[] = [],
    readonly partial = false,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/**
 * Applies a desired state: plan against a fresh read, check every script first, then ipset (new sets
 * and atomic swaps), one iptables-restore transaction per family, then set removals. If a later family
 * fails, the earlier ones are put back from the state read before, so the firewall is all old or all
 * new. Afterwards it reads and plans again; a non-empty plan (someone changed the tables at the same
 * moment) is retried up to `maxAttempts` times and then reported, naming what differs.
 */
export async function applyDesired(
  ports: ApplyPorts,
  desired: DesiredState,
  opts: {
    maxAttempts?: number;
    planOptions?: PlanOptions;
    onEvent?: (e: ApplyEvent) => void;
    /** A plan already shown to the user, with the state it was made from. */
    first?: { state: HostState; plan: Plan };
    /** Called with the snapshot of what each attempt will change, before it changes anything. */
    saveSnapshot?: (snap: Snapshot) => Promise<void>;
    policyFile?: string;
    now?: () => Date;
  } = {},
): Promise<ApplyResult> {
  const maxAttempts = opts.maxAttempts ?? 3;
  const emit = opts.onEvent ?? (() => {});
  let state = opts.first?.state ?? (await ports.readState());
  let plan = opts.first?.plan ?? planChanges(state, desired, opts.planOptions);
  let last = plan;
  const done: Operation[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (plan.operations.length === 0)
      return { applied: attempt > 1, attempts: attempt - 1, plan: last, operations: done };
    emit({ type: 'attempt', attempt, operations: plan.operations.length });
    const snap = takeSnapshot(
      state,
      desired,
      plan,
      opts.policyFile ?? '',
      (opts.now ?? (() => new Date()))(),
    );
    if (attempt === 1 && opts.saveSnapshot) await opts.saveSnapshot(snap);
    const nftOps = plan.operations.filter(isNftOperation);
    const nft = desired.nft && nftOps.length > 0 ? nftTransaction(desired.nft, nftOps) : '';
    await executePlan(ports, snap, plan, emit, nft);
    last = plan;
    done.push(...plan.operations);
    state = await readBack(ports, state, plan);
    plan = planChanges(state, desired, opts.planOptions);
    if (plan.operations.length === 0)
      return { applied: true, attempts: attempt, plan: last, operations: done };
    emit({ type: 'drift-after-apply', attempt, remaining: plan.operations });
  }
  throw new ApplyError(
    `the host still differs after ${maxAttempts} attempts (another program is changing the same rules): ${describe(plan.operations)}`,
    plan.operations,
    true,
  );
}

/** The state a plan left: what it may share with other programs read again, the rest known. */
async function readBack(ports: ApplyPorts, before: HostState, plan: Plan): Promise<HostState> {
  if (!ports.readChains) return ports.readState();
  const scope = readBackScope(plan);
  const nftFamilies = nftFamiliesOf(plan.operations.filter(isNftOperation));
  // dockwall's nftables tables are read back whole: they are small and wholly dockwall's.
  const nft = nftFamilies.length > 0 && ports.readNft ? ports.readNft(nftFamilies) : undefined;
  nft?.catch(() => undefined);
  const again =
    scope.reread.length > 0 || scope.sets.length > 0
      ? await ports.readChains(scope.reread, scope.sets)
      : { rulesets: {}, sets: { sets: [] } };
  const merged = mergeReadBack(before, scope, again);
  return nft ? { ...merged, nft: { ...before.nft, ...(await nft) } } : merged;
}

/** Runs one plan against the host, all or nothing across families. */
export async function executePlan(
  ports: ApplyPorts,
  snap: Snapshot,
  plan: Plan,
  emit: (e: ApplyEvent) => void = () => {},
  /** The `nft -f` transaction for dockwall's nftables tables, when the plan changes them. */
  nft = '',
): Promise<void> {
  if (nft && (!ports.checkNft || !ports.loadNft))
    throw new ApplyError('this host cannot load nftables rules (no nft port); nothing was changed');
  const scripts = buildRestoreScripts(plan);
  const families = Object.keys(scripts.iptables) as Family[];
  const dropCreated = async () => {
    if (scripts.createdSets.length > 0)
      await ports
        .restoreIpset(scripts.createdSets.map((n) => `destroy ${n}`).join('\n') + '\n')
        .catch(() => undefined);
  };
  // New sets first (rules refer to them, and the check below needs them), then check every family.
  if (scripts.ipsetCreate) {
    emit({ type: 'step', what: 'ipset' });
    try {
      await ports.restoreIpset(scripts.ipsetCreate);
    } catch (e) {
      await dropCreated();
      throw new ApplyError(`ipset refused the new sets, nothing was changed: ${(e as Error).message}`);
    }
  }
  // One table in one family is a single transaction already: it is all or nothing by itself. With
  // more (families, tables, or new sets) check everything before changing anything.
  const single =
    families.length === 1 &&
    (scripts.iptables[families[0]!]!.match(/^\*/gm) ?? []).length === 1 &&
    !scripts.ipsetCreate &&
    !nft;
  // The nft file is one transaction by itself: checked apart only when something else changes too.
  const nftAlone = families.length === 0 && !scripts.ipsetCreate && !scripts.ipsetSwap;
  if (nft && !nftAlone) {
    try {
      await ports.checkNft!(nft);
    } catch (e) {
      await dropCreated();
      throw new ApplyError(`nft refused dockwall's tables, nothing was changed: ${(e as Error).message}`);
    }
  }
  for (const f of single ? [] : families) {
    try {
      await ports.testIptables(f, scripts.iptables[f]!);
    } catch (e) {
      await dropCreated();
      throw new ApplyError(`the ${f} rules were refused, nothing was changed: ${(e as Error).message}`);
    }
  }
  if (scripts.ipsetSwap) {
    emit({ type: 'step', what: 'ipset' });
    try {
      await ports.restoreIpset(scripts.ipsetSwap);
    } catch (e) {
      await dropCreated();
      throw new ApplyError(
        `ipset refused the new set contents, no rule was changed: ${(e as Error).message}`,
        [],
        true,
      );
    }
  }
  const done: Family[] = [];
  /** A later step was refused: what the earlier ones changed is put back, then the error is thrown. */
  const refused = async (e: unknown, what: string): Promise<never> => {
    const reason = (e as Error).message;
    for (const g of done) {
      emit({ type: 'undo', family: g, reason });
      await undoFamily(ports, snap, g);
    }
    if (done.length === 0) await dropCreated();
    throw new ApplyError(`${what} refused by the kernel, nothing was changed: ${reason}`);
  };
  for (const f of families) {
    emit({ type: 'step', what: 'iptables', family: f });
    try {
      await ports.restoreIptables(f, scripts.iptables[f]!);
      done.push(f);
    } catch (e) {
      await refused(e, `the ${f} rules were`);
    }
  }
  if (nft) {
    emit({ type: 'step', what: 'nft' });
    try {
      await ports.loadNft!(nft);
    } catch (e) {
      await refused(e, "dockwall's nftables tables were");
    }
  }
  if (scripts.ipsetAfter) {
    emit({ type: 'step', what: 'ipset-cleanup' });
    await ports.restoreIpset(scripts.ipsetAfter);
  }
}

/** Puts one family's dockwall-owned rules back as the snapshot recorded them. */
async function undoFamily(ports: ApplyPorts, snap: Snapshot, family: Family): Promise<void> {
  const now = await ports.readState();
  const only: Snapshot = { ...snap, chains: snap.chains.filter((c) => c.family === family), sets: [] };
  const script = buildRestoreScripts(planRollback(now, only)).iptables[family];
  if (script) await ports.restoreIptables(family, script);
}

export function describe(ops: Operation[]): string {
  return (
    ops
      .slice(0, 5)
      .map((o) => describeOperation(o, true))
      .join('; ') + (ops.length > 5 ? `; and ${ops.length - 5} more` : '')
  );
}
