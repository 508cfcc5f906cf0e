import type { FileLock } from '../host/index.js';
import type { CliContext } from './context.js';
import { cancelReverter, reverterAlive } from './confirm-reverter.js';
import { journalledRestore, recoverJournal } from './journalled-change.js';
import type { Pending, StateDir } from './state-dir.js';

/** Grace after a deadline before another command treats a pending revert as overdue (the reverter's due). */
const OVERDUE_GRACE_MS = 5_000;

/**
 * What every command that holds the state lock does first: finish or undo an interrupted change
 * (journal), and carry out a `--confirm` revert that is overdue because its reverter is gone.
 * Returns what it did, in words, one line each.
 */
export async function settleUnderLock(ctx: CliContext, dir: StateDir, lock: FileLock): Promise<string[]> {
  const done: string[] = [];
  const c = { ctx, dir, lockFd: lock.fd };
  const j = dir.journal();
  const recovered = await recoverJournal(c);
  if (recovered) done.push(recovered);
  const p = dir.pending();
  if (p && j?.kind === 'apply' && j.id === p.applyId && dir.snapshot()?.interrupted) {
    // The pending apply itself was interrupted and undone: nothing of it is left to confirm or revert.
    await cancelReverter(p);
    dir.dropPending();
    dir.writeLastConfirm({
      applyId: p.applyId,
      outcome: 'reverted',
      at: new Date().toISOString(),
      by: `process ${process.pid}`,
      detail: 'the apply was interrupted and undone before its confirmation window',
    });
    done.push(`the apply ${p.applyId} that was waiting for confirmation was interrupted and undone`);
  } else if (p && Date.parse(p.deadline) + OVERDUE_GRACE_MS < Date.now() && !(await reverterAlive(p))) {
    const detail = await revertPending(ctx, dir, lock, p, `process ${process.pid} (overdue)`);
    done.push(`apply ${p.applyId} was not confirmed by ${p.deadline} and its reverter is gone: ${detail}`);
  }
  return done;
}

/**
 * Restores the rules from before a pending apply (its confirmation window closed, or a signal
 * arrived in it), with the state lock held; tells watch not to put that policy back by itself.
 * Returns what it did, in words.
 */
export async function revertPending(
  ctx: CliContext,
  dir: StateDir,
  lock: FileLock,
  p: Pending,
  by: string,
  opts: { cancelReverter?: boolean } = {},
): Promise<string> {
  const snap = dir.snapshot();
  const at = new Date().toISOString();
  let detail: string;
  if (snap?.applyId === p.applyId && !snap.rolledBackAt) {
    const plan = await journalledRestore({ ctx, dir, lockFd: lock.fd }, 'revert', snap);
    detail = `the rules from before apply ${p.applyId} were restored (${plan.operations.length} change(s))`;
    dir.saveSnapshot({ ...snap, rolledBackAt: at });
    dir.writeHold({
      policyHash: p.policyHash,
      policyFile: p.policyFile,
      reason: 'not-confirmed',
      applyId: p.applyId,
      at,
    });
  } else {
    detail = `apply ${p.applyId} never completed, so nothing of it was in the kernel`;
  }
  dir.writeLastConfirm({ applyId: p.applyId, outcome: 'reverted', at, by, detail });
  dir.dropPending();
  // The reverter itself (a systemd unit stopping itself would be killed mid-way) skips this.
  if (opts.cancelReverter !== false) await cancelReverter(p);
  return detail;
}
