import type { ChainRef, Family, HostState, IpSet, NftLiveState, Operation, Plan } from '../model/index.js';
import { isNftOperation } from '../model/index.js';
import {
  isNftTableListing,
  nftFamiliesOf,
  nftRestoreText,
  nftTransaction,
} from '../backend/nftables/plan-nft.js';
import type { DesiredState } from '../compile/desired-state.js';
import { describeOperation } from '../plan/describe-op.js';
import { planChanges, type PlanOptions } from '../plan/planner.js';
import { buildRestoreScripts } from './restore-script.js';
import { mergeReadBack, readBackScope } from './read-back.js';
import { planRollback, rollbackNftScript } from './rollback.js';
import { expectedOf } from '../backend/nftables/plan-nft.js';
import { mergeSnapshots, takeSnapshot, type Snapshot } from './snapshot.js';
import { countedSets, setFromHeader } from './set-count-check.js';
import type { IpsetHeader } from '../parse/index.js';

/** What the apply procedure needs from the host; the shell provides it, tests provide fakes. */
export interface ApplyPorts {
  readState(): Promise<HostState>;
  /**
   * Reads just these chains and sets (absent ones are left out of the result). Without it, the read
   * back after a transaction reads the whole state again.
   */
  readChains?(chains: ChainRef[], sets: string[]): Promise<HostState>;
  /**
   * Each set's header and count (`ipset list -t NAME`), undefined for one that does not exist or
   * could not be read: the read back of a set filled with plain members (see set-count-check.ts).
   */
  readSetHeaders?(names: string[]): Promise<Array<IpsetHeader | undefined>>;
  /** Parses and checks an iptables-restore script without committing it (`iptables-restore --test`). */
  testIptables(family: Family, script: string): Promise<void>;
  restoreIptables(family: Family, script: string): Promise<void>;
  restoreIpset(script: string): Promise<void>;
  /** Names of every set in the kernel: temporary set names are checked against it before a swap. */
  listSetNames?(): Promise<string[]>;
  /** Called between the steps that change the kernel, with the step's name (a test hook). */
  checkpoint?(step: string): Promise<void>;
  /** Checks an `nft -f` transaction without committing it (`nft -c -f`); hosts with Docker's nftables backend. */
  checkNft?(script: string): Promise<void>;
  /** Commits an `nft -f` transaction (one transaction: all of it or nothing). */
  loadNft?(script: string): Promise<void>;
  /** Reads dockwall's own nftables tables of these families (`nft -j list table`, nothing else). */
  readNft?(families: Family[]): Promise<NftLiveState>;
  /**
   * dockwall's own table of this family as `nft list table` prints it (undefined when it does not
   * exist): what a snapshot loads back.
   */
  readNftText?(family: Family): Promise<string | undefined>;
}

/**
 * Adds to a snapshot's nftables tables their text, as `nft list table` prints it, which a restore
 * loads back exactly (nft's JSON leaves out `auto-merge`). The text is kept only when it is that one
 * table and nft accepts it back (`nft -c`, when the host can check): otherwise (or when the table is
 * gone meanwhile) the table keeps only nft's JSON objects, and is restored from them.
 */
export async function recordNftText(ports: ApplyPorts, snap: Snapshot): Promise<Snapshot> {
  const read = ports.readNftText;
  if (!snap.nft || !read) return snap;
  const nft = await Promise.all(
    snap.nft.map(async (t) => {
      if (!t.table || t.text !== undefined) return t;
      const text = await read(t.family);
      if (text === undefined || !isNftTableListing(text, t.family, t.table.name)) return t;
      const withText = { ...t, text };
      try {
        await ports.checkNft?.(nftRestoreText(withText));
      } catch {
        return t;
      }
      return withText;
    }),
  );
  return { ...snap, nft };
}

export type ApplyEvent =
  | { type: 'attempt'; attempt: number; operations: number }
  | { type: 'step'; what: 'ipset' | 'iptables' | 'nft' | 'ipset-cleanup'; family?: Family }
  | { type: 'undo'; reason: string }
  | { type: 'drift-after-apply'; attempt: number; remaining: Operation[] };

export interface ApplyResult {
  applied: boolean;
  attempts: number;
  /** The plan that was carried out on the last attempt. */
  plan: Plan;
  /** Every operation carried out, over all attempts, in order (a retry adds its own). */
  operations: Operation[];
  /** The state the apply left (read back after its last transaction). */
  state: HostState;
  /** What every attempt touched, as it was before (undefined when nothing was changed). */
  snapshot?: Snapshot;
}

/**
 * What an apply that stopped left in the kernel:
 * - `unchanged`: nothing of it (it failed before a change, or everything was put back);
 * - `applied`: all of it (another program kept changing the same rules afterwards);
 * - `mixed`: part of it, and putting back the rest failed too (the journal stays for the next command).
 */
export type KernelOutcome = 'unchanged' | 'applied' | 'mixed';

/** An apply that could not be completed; `kernel` says truthfully what of it is in the kernel. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly remaining: Operation[] = [],
    readonly kernel: KernelOutcome = 'unchanged',
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/**
 * Applies a desired state: plan against a fresh read, check every script first, then ipset (new sets
 * and atomic swaps), one iptables-restore transaction per family, then set removals. If a later step
 * fails, everything the attempt changed (set swaps included) is put back from its snapshot, so the
 * firewall is all old or all new. Afterwards it reads and plans again; a non-empty plan (someone
 * changed the tables at the same moment) is retried up to `maxAttempts` times and then reported.
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
    /**
     * Called before an attempt changes anything, with the snapshot of everything the apply has
     * touched so far and this attempt will touch: it must be durable when this resolves (the journal).
     * Called again only when a retry touches more.
     */
    saveSnapshot?: (snap: Snapshot) => Promise<void>;
    policyFile?: string;
    /** The apply's id: recorded in the snapshot and naming its temporary sets. */
    id?: string;
    now?: () => Date;
  } = {},
): Promise<ApplyResult> {
  const maxAttempts = opts.maxAttempts ?? 3;
  const emit = opts.onEvent ?? (() => {});
  let state = opts.first?.state ?? (await ports.readState());
  let plan = opts.first?.plan ?? planChanges(state, desired, opts.planOptions);
  let last = plan;
  let snapshot: Snapshot | undefined;
  const done: Operation[] = [];
  const result = (attempts: number, applied: boolean): ApplyResult => {
    const r: ApplyResult = { applied, attempts, plan: last, operations: done, state };
    if (snapshot) r.snapshot = snapshot;
    return r;
  };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (plan.operations.length === 0) return result(attempt - 1, attempt > 1);
    emit({ type: 'attempt', attempt, operations: plan.operations.length });
    const snap = takeSnapshot(
      state,
      desired,
      plan,
      opts.policyFile ?? '',
      (opts.now ?? (() => new Date()))(),
    );
    if (opts.id !== undefined) snap.applyId = opts.id;
    const merged = snapshot
      ? mergeSnapshots(snapshot, snap)
      : { snapshot: await recordNftText(ports, snap), grew: true };
    if (snapshot && merged.grew) merged.snapshot = await recordNftText(ports, merged.snapshot);
    snapshot = merged.snapshot;
    if (merged.grew && opts.saveSnapshot) await opts.saveSnapshot(snapshot);
    try {
      const nftOps = plan.operations.filter(isNftOperation);
      const nft = desired.nft && nftOps.length > 0 ? nftTransaction(desired.nft, nftOps) : '';
      await executePlan(ports, snapshot, plan, emit, { applyId: opts.id, nft });
    } catch (e) {
      // An earlier attempt is in the kernel whole: a failed retry was put back to that, not to "old".
      if (attempt > 1 && e instanceof ApplyError && e.kernel === 'unchanged')
        throw new ApplyError(
          `${e.message} (in the retry: the earlier attempt of this apply stays in the kernel)`,
          e.remaining,
          'mixed',
        );
      throw e;
    }
    last = plan;
    done.push(...plan.operations);
    state = await readBack(ports, state, plan);
    plan = planChanges(state, desired, opts.planOptions);
    if (plan.operations.length === 0) return result(attempt, true);
    emit({ type: 'drift-after-apply', attempt, remaining: plan.operations });
  }
  throw new ApplyError(
    `the host still differs after ${maxAttempts} attempts (another program is changing the same rules; dockwall's changes are in the kernel): ${describe(plan.operations)}`,
    plan.operations,
    'applied',
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
  // Sets filled with plain members are read back by their header and count, the rest whole.
  const counted = ports.readSetHeaders ? countedSets(plan) : new Map<string, IpSet>();
  const names = [...counted.keys()];
  const headers =
    names.length > 0
      ? ports.readSetHeaders!(names).catch(() => names.map(() => undefined))
      : Promise.resolve([]);
  const whole = scope.sets.filter((n) => !counted.has(n));
  const again: HostState =
    scope.reread.length > 0 || whole.length > 0
      ? await ports.readChains(scope.reread, whole)
      : { rulesets: {}, sets: { sets: [] } };
  const got = await headers;
  const unsure: string[] = [];
  names.forEach((name, i) => {
    const set = setFromHeader(counted.get(name)!, got[i]);
    if (set) again.sets.sets.push(set);
    else unsure.push(name);
  });
  if (unsure.length > 0) again.sets.sets.push(...(await ports.readChains([], unsure)).sets.sets);
  const merged = mergeReadBack(before, scope, again);
  if (!nft) return merged;
  const read = await nft;
  // What nft made of the rules just loaded is what it makes of the wanted rules (a later edit in
  // place then shows): the read back is the expected content of those tables.
  const nftExpected = { ...before.nftExpected };
  for (const family of nftFamilies) {
    const table = read[family];
    if (table) nftExpected[family] = expectedOf(table);
    else delete nftExpected[family];
  }
  return { ...merged, nft: { ...before.nft, ...read }, nftExpected };
}

/**
 * Runs one plan against the host, all or nothing: sets are created and every family checked before
 * anything is swapped or committed; if a step after the first change fails, everything is put back
 * from `snap` (set contents too) and the error says what the kernel holds.
 */
export async function executePlan(
  ports: ApplyPorts,
  snap: Snapshot,
  plan: Plan,
  emit: (e: ApplyEvent) => void = () => {},
  opts: {
    applyId?: string | undefined;
    undo?: boolean;
    firstTempIndex?: number;
    /** The `nft -f` transaction for dockwall's nftables tables, when the plan changes them. */
    nft?: string;
  } = {},
): Promise<void> {
  const nft = opts.nft ?? '';
  if (nft && (!ports.checkNft || !ports.loadNft))
    throw new ApplyError('this host cannot load nftables rules (no nft port); nothing was changed');
  const scripts = buildRestoreScripts(plan, opts);
  const families = Object.keys(scripts.iptables) as Family[];
  const step = async (name: string) => ports.checkpoint?.(name);
  let changed = false;
  /** Puts everything back; the message says what is in the kernel afterwards. */
  const fail = async (what: string, e: unknown): Promise<never> => {
    const reason = (e as Error).message;
    if (!changed) throw new ApplyError(`${what}, nothing was changed: ${reason}`);
    if (opts.undo === false)
      throw new ApplyError(`${what}: ${reason}; the steps before it stay in the kernel`, [], 'mixed');
    emit({ type: 'undo', reason });
    try {
      await undoAll(ports, snap, scripts.tempSets, opts.applyId);
    } catch (u) {
      throw new ApplyError(
        `${what}: ${reason}; putting back the steps before it failed too (${(u as Error).message}): the firewall is partly changed`,
        [],
        'mixed',
      );
    }
    throw new ApplyError(
      `${what}: ${reason}; everything it had changed was put back, the firewall is as before`,
    );
  };
  if (scripts.tempSets.length > 0 && ports.listSetNames) {
    const names = new Set(await ports.listSetNames());
    const taken = scripts.tempSets.find((n) => names.has(n));
    if (taken)
      throw new ApplyError(
        `a set named ${taken} exists that this apply did not create; nothing was changed (remove it, or apply again)`,
      );
  }
  // New sets first (rules refer to them, and the check below needs them), then check every family.
  if (scripts.ipsetCreate) {
    await step('ipset-create');
    emit({ type: 'step', what: 'ipset' });
    changed = true;
    try {
      await ports.restoreIpset(scripts.ipsetCreate);
    } catch (e) {
      await fail('ipset refused the new sets', e);
    }
  }
  // One table in one family is a single transaction already: it is all or nothing by itself. With
  // more (families, tables, or new sets) check everything before changing anything.
  const single =
    families.length === 1 &&
    (scripts.iptables[families[0]!]!.match(/^\*/gm) ?? []).length === 1 &&
    !scripts.ipsetCreate &&
    !scripts.ipsetSwap &&
    !nft;
  // The nft file is one transaction by itself: checked apart only when something else changes too.
  const nftAlone = families.length === 0 && !scripts.ipsetCreate && !scripts.ipsetSwap;
  if (nft && !nftAlone) {
    try {
      await ports.checkNft!(nft);
    } catch (e) {
      await fail("nft refused dockwall's tables", e);
    }
  }
  for (const f of single ? [] : families) {
    try {
      await ports.testIptables(f, scripts.iptables[f]!);
    } catch (e) {
      await fail(`the ${f} rules were refused`, e);
    }
  }
  if (scripts.ipsetSwap) {
    await step('ipset-swap');
    emit({ type: 'step', what: 'ipset' });
    changed = true;
    try {
      await ports.restoreIpset(scripts.ipsetSwap);
    } catch (e) {
      await fail('ipset refused the new set contents', e);
    }
  }
  for (const f of families) {
    await step(`iptables-${f}`);
    emit({ type: 'step', what: 'iptables', family: f });
    try {
      await ports.restoreIptables(f, scripts.iptables[f]!);
      changed = true;
    } catch (e) {
      await fail(`the ${f} rules were refused by the kernel`, e);
    }
  }
  if (nft) {
    await step('nft');
    emit({ type: 'step', what: 'nft' });
    try {
      await ports.loadNft!(nft);
      changed = true;
    } catch (e) {
      await fail("dockwall's nftables tables were refused by the kernel", e);
    }
    await step('nft-loaded');
  }
  if (scripts.ipsetAfter) {
    await step('ipset-cleanup');
    emit({ type: 'step', what: 'ipset-cleanup' });
    try {
      await ports.restoreIpset(scripts.ipsetAfter);
    } catch (e) {
      await fail('ipset could not remove the sets no longer wanted', e);
    }
  }
  await step('kernel-done');
}

const UNDO_TEMP_INDEX = 1000;

/**
 * Puts back everything a snapshot records (rules, policies, set contents, sets created or removed)
 * and destroys the attempt's temporary sets, as they are in the kernel now.
 */
async function undoAll(
  ports: ApplyPorts,
  snap: Snapshot,
  tempSets: readonly string[],
  applyId: string | undefined,
): Promise<void> {
  const now = await ports.readState();
  const back = planRollback(now, snap);
  const names = ports.listSetNames ? new Set(await ports.listSetNames()) : new Set(tempSets);
  const leftovers = tempSets.filter((n) => names.has(n));
  if (leftovers.length > 0)
    await ports.restoreIpset(leftovers.map((n) => `destroy ${n}`).join('\n') + '\n').catch(() => undefined);
  // The undo's own temporary sets are numbered apart from the attempt's.
  if (back.operations.length > 0)
    await executePlan(ports, snap, back, () => {}, {
      undo: false,
      applyId,
      firstTempIndex: UNDO_TEMP_INDEX,
      nft: rollbackNftScript(snap, back),
    });
}

export function describe(ops: Operation[]): string {
  return (
    ops
      .slice(0, 5)
      .map((o) => describeOperation(o, true))
      .join('; ') + (ops.length > 5 ? `; and ${ops.length - 5} more` : '')
  );
}
