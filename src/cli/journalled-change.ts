import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ApplyError,
  appliedMark,
  applyDesired,
  describeJournal,
  executePlan,
  journalFormat,
  planRollback,
  planUndo,
  recordNftText,
  rollbackNftScript,
  takeSnapshot,
  type ApplyEvent,
  type ApplyPorts,
  type ApplyResult,
  type Journal,
  type JournalKind,
  type Snapshot,
} from '../apply/index.js';
import { chainKind, type DesiredState } from '../compile/index.js';
import type { HostState, Plan } from '../model/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';
import { removeLeftoverNftScripts } from '../host/nft-host.js';
import { hostApplyPorts, testCheckpoint } from './host-ports.js';
import { chooseVariant, hostRunner } from './live.js';
import type { StateDir } from './state-dir.js';

/** A new id for a journalled change: 8 random base-36 characters. */
export function newChangeId(): string {
  const n = randomBytes(6).readUIntBE(0, 6);
  return n.toString(36).padStart(8, '0').slice(-8);
}

/** sha256 of a policy file's text ('' when it cannot be read). */
export function policyHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}

/** The command line, for journals and the lock holder: `dockwall apply -f p.yaml --yes`. */
export function commandLine(): string {
  return ['dockwall', ...process.argv.slice(2)].join(' ');
}

interface ChangeContext {
  ctx: CliContext;
  dir: StateDir;
  lockFd: number;
}

/**
 * Applies a desired state under the journal: the intent and snapshot are on disk (fsync'd) before
 * the first kernel change; an apply's snapshot becomes the last snapshot (with what it left, for
 * rollback's check) once it has completed, then the journal goes. Errors say what the kernel holds.
 */
export async function journalledApply(
  c: ChangeContext,
  kind: Extract<JournalKind, 'apply' | 'repair'>,
  ports: ApplyPorts,
  desired: DesiredState,
  opts: {
    policyFile: string;
    first?: { state: HostState; plan: Plan };
    maxAttempts?: number;
    onEvent?: (e: ApplyEvent) => void;
    id?: string;
  },
): Promise<ApplyResult & { id: string }> {
  removeLeftoverNftScripts();
  const id = opts.id ?? newChangeId();
  const hash = policyHash(opts.policyFile);
  const base = { formatVersion: 1 as const, id, kind, pid: process.pid, command: commandLine() };
  const startedAt = new Date().toISOString();
  let journalled = false;
  const finish = async (snapshot: Snapshot | undefined, state: HostState | undefined) => {
    if (kind === 'apply' && snapshot) {
      const snap: Snapshot = { ...snapshot, policyHash: hash };
      if (state) snap.after = appliedMark(state, snapshot, desired);
      c.dir.saveSnapshot(snap);
      await ports.checkpoint?.('snapshot-saved');
    }
    c.dir.dropJournal();
  };
  let journal: Journal | undefined;
  const mark = (committed: boolean) => {
    if (!journal || journal.committed === committed) return;
    journal = { ...journal, committed };
    c.dir.writeJournal(journal);
  };
  // The journal says when an attempt's kernel steps are all done, and when the next one starts.
  const checkpoint = ports.checkpoint;
  const marking: ApplyPorts = {
    ...ports,
    checkpoint: async (step) => {
      if (step === 'kernel-done') mark(true);
      await checkpoint?.(step);
    },
  };
  try {
    const applyOpts: Parameters<typeof applyDesired>[2] = {
      policyFile: opts.policyFile,
      id,
      saveSnapshot: async (snapshot) => {
        journal = {
          ...base,
          formatVersion: journalFormat(snapshot),
          startedAt,
          policyFile: opts.policyFile,
          snapshot,
          committed: false,
        };
        c.dir.writeJournal(journal);
        journalled = true;
        await ports.checkpoint?.('journal-written');
      },
      onEvent: (e) => {
        if (e.type === 'attempt') mark(false);
        opts.onEvent?.(e);
      },
    };
    if (opts.first) applyOpts.first = opts.first;
    if (opts.maxAttempts) applyOpts.maxAttempts = opts.maxAttempts;
    const result = await applyDesired(marking, desired, applyOpts);
    await ports.checkpoint?.('applied');
    if (journalled) await finish(result.snapshot, result.state);
    return { ...result, id };
  } catch (e) {
    if (!journalled) throw e;
    if (e instanceof ApplyError && e.kernel === 'unchanged') {
      c.dir.dropJournal();
      throw e;
    }
    if (e instanceof ApplyError && e.kernel === 'applied') {
      await finish(c.dir.journal()?.snapshot, undefined);
      throw e;
    }
    // Part of it may be in the kernel: undo it now, as the next command would.
    const why = (e as Error).message;
    try {
      const undone = await recoverJournal(c);
      throw new ApplyError(`${why}; ${undone ?? 'nothing of it was in the kernel'}`);
    } catch (u) {
      if (u instanceof ApplyError) throw u;
      throw new ApplyError(`${why}; ${(u as Error).message}`, [], 'mixed');
    }
  }
}

/** Ports and the current state of everything a snapshot names. */
async function snapshotPorts(
  c: ChangeContext,
  snap: Snapshot,
): Promise<{ ports: ApplyPorts; current: HostState; toRead: DesiredState }> {
  const runner = hostRunner();
  const variant = await chooseVariant(c.ctx, runner);
  const toRead: DesiredState = {
    chains: snap.chains.map((ch) => ({
      family: ch.family,
      table: ch.table,
      chain: ch.chain,
      kind: chainKind(ch.table, ch.chain),
      rules: [],
    })),
    sets: snap.sets.map((s) => s.set ?? { name: s.name, type: 'hash:ip', options: [], members: [] }),
    families: [...new Set(snap.chains.map((ch) => ch.family))],
    diagnostics: [],
  };
  // dockwall's own nftables tables the snapshot holds are read too (nothing is wanted in them here).
  if (snap.nft?.length) toRead.nft = { tables: [], families: snap.nft.map((t) => t.family) };
  const ports = hostApplyPorts(c.ctx, runner, variant, toRead, { lockFd: c.lockFd });
  return { ports, current: await ports.readState(), toRead };
}

/**
 * Restores a snapshot under the journal (a rollback, or the revert of an unconfirmed apply). The
 * journal names the snapshot as its target: an interrupted restore is completed by the next command.
 * Returns the plan that was carried out.
 */
export async function journalledRestore(
  c: ChangeContext,
  kind: Extract<JournalKind, 'rollback' | 'revert'>,
  target: Snapshot,
  opts: { check?: (current: HostState) => void; confirm?: (plan: Plan) => Promise<void> } = {},
): Promise<Plan> {
  removeLeftoverNftScripts();
  const { ports, current, toRead } = await snapshotPorts(c, target);
  opts.check?.(current);
  const plan = planRollback(current, target);
  await opts.confirm?.(plan);
  if (plan.operations.length === 0) return plan;
  const id = newChangeId();
  const snapshot = await recordNftText(
    ports,
    takeSnapshot(current, toRead, plan, target.policyFile, new Date()),
  );
  snapshot.applyId = id;
  c.dir.writeJournal({
    formatVersion: journalFormat(snapshot, target),
    id,
    kind,
    pid: process.pid,
    command: commandLine(),
    startedAt: new Date().toISOString(),
    policyFile: target.policyFile,
    snapshot,
    target,
  });
  await ports.checkpoint?.('journal-written');
  try {
    await executePlan(ports, snapshot, plan, () => {}, { applyId: id, nft: rollbackNftScript(target, plan) });
  } catch (e) {
    if (e instanceof ApplyError && e.kernel === 'unchanged') c.dir.dropJournal();
    throw e;
  }
  c.dir.dropJournal();
  return plan;
}

/**
 * Finishes or undoes a change whose process died (call with the state lock held: a journal found
 * then has no live writer). An apply that had completed keeps its rules; a rollback or revert is
 * completed; anything else is undone from its snapshot. Returns what was done, in words, or
 * undefined when there was no journal. Throws (keeping the journal) when the kernel refuses.
 */
export async function recoverJournal(c: ChangeContext): Promise<string | undefined> {
  const j = c.dir.journal();
  if (!j) return undefined;
  const what = `the interrupted ${describeJournal(j)}`;
  if (j.kind === 'apply' && c.dir.snapshot()?.applyId === j.id) {
    c.dir.dropJournal();
    return `${what} had completed: its rules stay`;
  }
  if (j.committed && (j.kind === 'apply' || j.kind === 'repair')) {
    // Every kernel step was done: it is wholly in the kernel. Keep it (undoing a repair would
    // reopen the hole it closed until watch repaired it again).
    if (j.kind === 'apply') c.dir.saveSnapshot({ ...j.snapshot, policyHash: policyHash(j.policyFile) });
    c.dir.dropJournal();
    return `${what} had made all its changes in the kernel: they stay`;
  }
  const restoring = j.target ?? j.snapshot;
  try {
    const { ports, current } = await snapshotPorts(c, restoring);
    const plan = j.target
      ? planRollback(current, j.target)
      : planUndo(current, j, await ports.listSetNames!());
    if (plan.operations.length > 0) {
      await ports.checkpoint?.('recovery');
      await executePlan(ports, restoring, plan, () => {}, {
        undo: false,
        applyId: j.id,
        firstTempIndex: 2000,
        nft: rollbackNftScript(restoring, plan),
      });
    }
    // An undone apply is the last apply: a rollback must not reach past it to the one before.
    if (j.kind === 'apply')
      c.dir.saveSnapshot({ ...j.snapshot, rolledBackAt: new Date().toISOString(), interrupted: true });
    c.dir.dropJournal();
    if (j.target)
      return `${what} was completed: ${plan.operations.length} change(s); the rules it restores are back`;
    return plan.operations.length === 0
      ? `${what} had changed nothing in the kernel`
      : `${what} was undone: ${plan.operations.length} change(s) put back; everything it touched is as before it`;
  } catch (e) {
    throw new CliError(
      `${what} could not be ${j.target ? 'completed' : 'undone'}: ${(e as Error).message}. The firewall may be partly changed; ${c.dir.dir}/journal.json stays and the next dockwall command tries again`,
    );
  }
}

export { testCheckpoint };
