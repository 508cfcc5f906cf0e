import type { Command } from 'commander';
import { appliedMark, markDifference, type Snapshot } from '../../apply/index.js';
import { NFT_TABLE, nftFamilyOf } from '../../model/index.js';
import { renderPlanText } from '../../plan/index.js';
import { REVERT_COMMAND, cancelReverter, reverterAlive } from '../confirm-reverter.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { journalledRestore, recoverJournal } from '../journalled-change.js';
import { revertPending } from '../pending-apply.js';
import { ask } from '../prompt.js';
import { DEFAULT_STATE_DIR, StateDir, processAlive } from '../state-dir.js';
import { WAIT_HELP, lockState, requirePrivileges } from './apply.js';
import type { Run } from './index.js';

interface RollbackOpts {
  stateDir: string;
  yes?: boolean;
  json?: boolean;
  force?: boolean;
  wait?: string | boolean;
}

export function registerRollback(program: Command, run: Run): void {
  program
    .command('rollback')
    .description("restore what the last apply changed, from its snapshot (not watch's repairs)")
    .option('--state-dir <dir>', 'where the lock, journal and snapshots are kept', DEFAULT_STATE_DIR)
    .option('-y, --yes', 'do not ask before restoring')
    .option('--force', 'restore the snapshot even if the kernel no longer holds what that apply left')
    .option('--wait [seconds]', WAIT_HELP)
    .option('--json', 'print the plan as JSON')
    .action((opts: RollbackOpts) => run((ctx) => rollbackCommand(ctx, opts)));

  program
    .command('confirm')
    .description('confirm an apply that is waiting (--confirm), so its rules stay')
    .option('--state-dir <dir>', 'where the lock, journal and snapshots are kept', DEFAULT_STATE_DIR)
    .option('--wait [seconds]', WAIT_HELP, '30')
    .action((opts: { stateDir: string; wait?: string | boolean }) => run((ctx) => confirmCommand(ctx, opts)));

  program
    .command(REVERT_COMMAND, { hidden: true })
    .description('restore the rules from before a pending apply at its deadline, unless confirmed')
    .requiredOption('--state-dir <dir>', 'state directory')
    .requiredOption('--apply-id <id>', 'the pending apply')
    .action((opts: { stateDir: string; applyId: string }) => run((ctx) => revertAtDeadline(ctx, opts)));
}

async function rollbackCommand(ctx: CliContext, opts: RollbackOpts): Promise<number> {
  await requirePrivileges();
  const dir = new StateDir(opts.stateDir);
  const interrupted = dir.journal();
  const { lock } = await lockState(ctx, dir, opts.wait);
  try {
    // The last apply was interrupted and has just been undone: that was the rollback.
    const last = dir.snapshot();
    if (interrupted?.kind === 'apply' && last?.interrupted && last.applyId === interrupted.id) {
      ctx.output.out('The interrupted apply was undone; nothing before it was rolled back.\n');
      return EXIT_OK;
    }
    const p = dir.pending();
    if (p) {
      const said = await revertPending(ctx, dir, lock, p, `rollback (process ${process.pid})`);
      ctx.output.out(`apply ${p.applyId} was waiting for confirmation: ${said}\n`);
      return EXIT_OK;
    }
    const snap = dir.snapshot();
    if (!snap) throw new CliError(`no snapshot in ${dir.dir}: nothing to roll back`);
    const which = `apply ${snap.applyId ?? '(id not recorded)'} of ${snap.policyFile || '?'} at ${snap.createdAt}`;
    if (snap.rolledBackAt)
      throw new CliError(
        snap.interrupted
          ? `the last ${which} was interrupted and undone at ${snap.rolledBackAt}: nothing to roll back`
          : `the last ${which} was rolled back already, at ${snap.rolledBackAt}`,
      );
    if (!snap.applyId)
      ctx.output.err(
        `note: this snapshot was written by an older dockwall; it cannot be checked against the kernel\n`,
      );
    const plan = await journalledRestore({ ctx, dir, lockFd: lock.fd }, 'rollback', snap, {
      check: (current) => {
        if (!snap.after || opts.force) return;
        const diff = markDifference(snap.after, appliedMark(current, snap));
        if (diff)
          throw new CliError(
            `refusing to roll back the ${which}: the kernel no longer holds what it left (${diff}), so its snapshot would undo something else; nothing was changed (--force restores it anyway)`,
          );
      },
      confirm: async (plan) => {
        if (opts.json) ctx.output.out(JSON.stringify({ plan }, null, 2) + '\n');
        else ctx.output.out(renderPlanText(plan, ctx.output.paint));
        if (plan.operations.length === 0 || opts.yes) return;
        if (!process.stdin.isTTY)
          throw new CliError(
            'not on a terminal: pass --yes to roll back without asking; nothing was changed',
          );
        if ((await ask('\nRestore? Only "yes" is accepted: ', ctx.output.out)) !== 'yes')
          throw new CliError('not restored');
      },
    });
    markRolledBack(dir, snap);
    if (!opts.json) ctx.output.out(`Rolled back the ${which}: ${plan.operations.length} change(s).\n`);
    return EXIT_OK;
  } finally {
    lock.release();
  }
}

function markRolledBack(dir: StateDir, snap: Snapshot): void {
  const at = new Date().toISOString();
  dir.saveSnapshot({ ...snap, rolledBackAt: at });
  if (snap.policyHash)
    dir.writeHold({
      policyHash: snap.policyHash,
      policyFile: snap.policyFile,
      reason: 'rollback',
      applyId: snap.applyId ?? '',
      at,
    });
}

async function confirmCommand(
  ctx: CliContext,
  opts: { stateDir: string; wait?: string | boolean },
): Promise<number> {
  const dir = new StateDir(opts.stateDir);
  const { lock } = await lockState(ctx, dir, opts.wait);
  try {
    const p = dir.pending();
    if (!p) {
      const last = dir.lastConfirm();
      if (last?.outcome === 'reverted')
        throw new CliError(
          `nothing to confirm: apply ${last.applyId} was not confirmed in time (${last.detail ?? 'reverted'}, at ${last.at}, by ${last.by})`,
        );
      throw new CliError('no apply is waiting for confirmation');
    }
    const snap = dir.snapshot();
    const applied = snap?.applyId === p.applyId && !snap.rolledBackAt;
    const applierAlive = processAlive(p.pid);
    const reverterWasAlive = await reverterAlive(p);
    await cancelReverter(p);
    dir.dropPending();
    dir.writeLastConfirm({
      applyId: p.applyId,
      outcome: 'confirmed',
      at: new Date().toISOString(),
      by: `dockwall confirm (process ${process.pid})`,
    });
    dir.dropHold();
    if (!applied) {
      ctx.output.err(
        `apply ${p.applyId} of ${p.policyFile} never completed: nothing of it is in the kernel, nothing was confirmed\n`,
      );
      return EXIT_ERROR;
    }
    const where = [
      ...snap.chains.map((c) => `${c.family} ${c.table} ${c.chain}`),
      ...snap.sets.map((s) => `set ${s.name}`),
      ...(snap.nft ?? []).map((t) => `nftables table ${nftFamilyOf(t.family)} ${NFT_TABLE}`),
    ];
    ctx.output.out(
      `confirmed apply ${p.applyId} of ${p.policyFile}: its rules stay (${where.join(', ')}); the previous rules will not be restored.\n`,
    );
    if (!applierAlive)
      ctx.output.out(
        `note: process ${p.pid}, which applied it, has exited; ${
          reverterWasAlive
            ? `the ${p.reverter?.kind === 'systemd' ? `systemd timer ${p.reverter.unit}` : `helper process ${p.reverter?.kind === 'helper' ? p.reverter.pid : '?'}`} that was to restore the previous rules at ${p.deadline} was cancelled`
            : 'nothing was left to restore the previous rules'
        }.\n`,
      );
    return EXIT_OK;
  } finally {
    lock.release();
  }
}

/**
 * The reverter (a detached helper or a systemd timer's service): waits for the deadline in
 * pending.json, then, holding the state lock, restores the previous rules unless the apply was
 * confirmed. Immune to the session's SIGHUP; retries while the kernel refuses.
 */
async function revertAtDeadline(
  ctx: CliContext,
  opts: { stateDir: string; applyId: string },
): Promise<number> {
  process.on('SIGHUP', () => undefined);
  const dir = new StateDir(opts.stateDir);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let failures = 0; failures < 12;) {
    const p = dir.pending();
    if (p?.applyId !== opts.applyId) return EXIT_OK;
    const wait = Date.parse(p.deadline) - Date.now();
    if (wait > 0) {
      await sleep(Math.min(wait, 2 ** 31 - 1));
      continue;
    }
    const lock = await dir.lock(`dockwall ${REVERT_COMMAND} --apply-id ${opts.applyId}`, Infinity);
    try {
      await recoverJournal({ ctx, dir, lockFd: lock.fd });
      const now = dir.pending();
      if (now?.applyId !== opts.applyId) return EXIT_OK;
      if (Date.parse(now.deadline) > Date.now()) continue;
      await revertPending(ctx, dir, lock, now, `the reverter (process ${process.pid})`, {
        cancelReverter: false,
      });
      return EXIT_OK;
    } catch (e) {
      failures++;
      ctx.output.err(`dockwall: ${(e as Error).message}\n`);
    } finally {
      lock.release();
    }
    await sleep(5_000);
  }
  return EXIT_ERROR;
}
