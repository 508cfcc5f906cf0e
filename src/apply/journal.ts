import type { HostState, Operation, Plan } from '../model/index.js';
import { summarize } from '../plan/planner.js';
import { planRollback } from './rollback.js';
import type { Snapshot } from './snapshot.js';

/** What changes the kernel on dockwall's behalf; each is journalled the same way. */
export type JournalKind = 'apply' | 'rollback' | 'repair' | 'revert';

/**
 * The intent of a change, written durably to the state directory before its first kernel change and
 * removed once it is complete. A journal found by a command holding the state lock belongs to a
 * process that died mid-way: the command finishes it (when it had completed) or undoes it.
 */
export interface Journal {
  /** 2 when its snapshot (or target) is of format 2: a dockwall that reads only format 1 refuses it. */
  formatVersion: 1 | 2;
  /** Links the journal, its snapshot, the pending confirmation and the temporary sets (`dwtmp-ID-N`). */
  id: string;
  kind: JournalKind;
  pid: number;
  command: string;
  startedAt: string;
  policyFile: string;
  /** What the change touches, as it was before: undoing the change restores this. */
  snapshot: Snapshot;
  /**
   * Every kernel step of the last attempt is done (set while no attempt is under way): the change is
   * wholly in the kernel, and recovery keeps it instead of undoing it.
   */
  committed?: boolean;
  /**
   * A rollback or revert: the snapshot it restores. An interrupted one is completed (this snapshot
   * restored) rather than undone, so a lock-out guard's revert cannot be reversed by a crash.
   */
  target?: Snapshot;
}

/** The format of a journal holding these snapshots: the highest of theirs. */
export function journalFormat(snapshot: Snapshot, target?: Snapshot): 1 | 2 {
  return snapshot.formatVersion === 2 || target?.formatVersion === 2 ? 2 : 1;
}

/** Temporary sets a crashed apply with this id may have left behind. */
export function isTempSetOf(journalId: string, setName: string): boolean {
  return (
    setName.startsWith(`dwtmp-${journalId}-`) && /^\d+$/.test(setName.slice(`dwtmp-${journalId}-`.length))
  );
}

/**
 * The plan that undoes an interrupted change: its snapshot put back, its leftover temporary sets
 * destroyed. Applied to a kernel where the change had not started, it is empty.
 */
export function planUndo(current: HostState, journal: Journal, setNames: readonly string[]): Plan {
  const plan = planRollback(current, journal.snapshot);
  const leftovers: Operation[] = setNames
    .filter((n) => isTempSetOf(journal.id, n))
    .map((name) => ({ op: 'destroy-set', name }));
  if (leftovers.length === 0) return plan;
  const operations = [...plan.operations, ...leftovers];
  return { ...plan, operations, summary: summarize(operations) };
}

/** One line naming a journalled change for messages: "apply abc123 of p.yaml (process 42, since …)". */
export function describeJournal(j: Journal): string {
  const what = j.kind === 'repair' ? 'watch repair' : j.kind;
  return `${what} ${j.id}${j.policyFile ? ` of ${j.policyFile}` : ''} (process ${j.pid}, started ${j.startedAt})`;
}
