import type { Command } from 'commander';
import { ApplyError, type ApplyEvent } from '../../apply/index.js';
import { checkPrivileges, type FileLock } from '../../host/index.js';
import { renderPlanText, summarize, type SavedPlan } from '../../plan/index.js';
import { armReverter, cancelReverter } from '../confirm-reverter.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { hostApplyPorts } from '../host-ports.js';
import { commandLine, journalledApply, newChangeId, policyHash } from '../journalled-change.js';
import { chooseVariant, hostRunner } from '../live.js';
import { revertPending, settleUnderLock } from '../pending-apply.js';
import { planFromOptions } from '../pipeline.js';
import { checkSavedPlan, readSavedPlan } from '../saved-plan-file.js';
import {
  checkPolicyExpectations,
  planReachability,
  reachabilityOption as reach,
  reachabilityText,
  type ReachabilityOptions,
} from '../reachability.js';
import { ask, waitForConfirmation } from '../prompt.js';
import { DEFAULT_STATE_DIR, StateDir, type Pending } from '../state-dir.js';
import type { Run } from './index.js';
import { guardSshSession } from './ssh-guard.js';

interface ApplyOpts extends ReachabilityOptions {
  file: string;
  /** `apply FILE`: the saved plan (from `plan -o`) to apply. */
  saved?: SavedPlan;
  yes?: boolean;
  confirm?: string;
  force?: boolean;
  stateDir: string;
  wait?: string | boolean;
  json?: boolean;
  check: boolean;
  dockerState?: string;
  maxAttempts: string;
  state?: string[];
}

export async function requirePrivileges(): Promise<void> {
  const p = await checkPrivileges(hostRunner(), { ipset: true });
  if (!p.ok) throw new CliError(`${p.reason}; nothing was changed`);
}

/** `--wait [SECONDS]`: absent 0 (fail at once), without a number as long as it takes. */
export function waitSeconds(wait: string | boolean | undefined): number {
  if (wait === undefined || wait === false) return 0;
  if (wait === true) return Infinity;
  const n = Number(wait);
  if (!(n >= 0)) throw new CliError('--wait takes a number of seconds');
  return n;
}

/** Takes the state lock (saying whom it waits for) and settles what a dead process left. */
export async function lockState(
  ctx: CliContext,
  dir: StateDir,
  wait: string | boolean | undefined,
): Promise<{ lock: FileLock; settled: string[] }> {
  const lock = await dir.lock(commandLine(), waitSeconds(wait), (holder) =>
    ctx.output.err(`waiting for the lock of ${dir.dir}, held by ${holder}\n`),
  );
  try {
    const settled = await settleUnderLock(ctx, dir, lock);
    for (const m of settled) ctx.output.err(`dockwall: ${m}\n`);
    return { lock, settled };
  } catch (e) {
    lock.release();
    throw e;
  }
}

export const WAIT_HELP =
  'wait up to SECONDS for another dockwall holding the state directory (no number: as long as it takes)';

export function registerApply(program: Command, run: Run): void {
  program
    .command('apply')
    .description(
      'make the live host match the policy, atomically per table, touching only what dockwall owns',
    )
    .argument(
      '[plan-file]',
      'a plan saved by `dockwall plan -o`: apply exactly it, or refuse if the host or policy changed since',
    )
    .option('-f, --file <policy>', 'policy file (or give a saved plan instead)')
    .option('-y, --yes', 'do not ask before applying')
    .option(
      '--confirm <seconds>',
      'after applying, restore the previous rules unless confirmed within SECONDS (even if this process dies)',
    )
    .option('--force', 'apply even if the plan would cut the SSH connection this runs from')
    .option('--state-dir <dir>', 'where the lock, journal and snapshots are kept', DEFAULT_STATE_DIR)
    .option('--wait [seconds]', WAIT_HELP)
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--max-attempts <n>', 'retries when another program changes the tables at the same moment', '3')
    .option('--no-check', "do not evaluate the policy's expect: assertions first")
    .option('--json', 'print the plan and result as JSON')
    .addOption(reach.hostModel())
    .addOption(reach.listen())
    .addOption(reach.interface())
    .action((planFile: string | undefined, opts: ApplyOpts) =>
      run((ctx) => {
        if (planFile !== undefined && opts.file !== undefined)
          throw new CliError('give either a saved plan or -f POLICY, not both');
        if (planFile === undefined && opts.file === undefined)
          throw new CliError(
            "required option '-f, --file <policy>' not specified (or give a saved plan file)",
          );
        if (planFile !== undefined) {
          opts.saved = readSavedPlan(planFile);
          opts.file = opts.saved.policy.file;
        }
        return applyCommand(ctx, opts, planFile);
      }),
    );
}

/** Signals that end an apply's confirmation window at once, restoring the previous rules. */
const WINDOW_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;

async function applyCommand(ctx: CliContext, opts: ApplyOpts, planFile?: string): Promise<number> {
  if ((opts.state?.length ?? 0) > 0)
    throw new CliError('apply works on the live host; use plan --state for saved dumps');
  const confirmSeconds = opts.confirm !== undefined ? Number(opts.confirm) : undefined;
  if (confirmSeconds !== undefined && !(confirmSeconds > 0))
    throw new CliError('--confirm needs a number of seconds');
  waitSeconds(opts.wait);
  await requirePrivileges();
  const dir = new StateDir(opts.stateDir);
  // A signal during a --confirm apply is kept until the rules are in, then restores them at once.
  let signalled: string | undefined;
  const onSignal = (sig: string) => (signalled ??= sig);
  if (confirmSeconds !== undefined) for (const s of WINDOW_SIGNALS) process.on(s, onSignal);
  const { lock } = await lockState(ctx, dir, opts.wait);
  let id: string;
  try {
    const p = dir.pending();
    if (p)
      throw new CliError(
        `apply ${p.applyId} of ${p.policyFile} is waiting for confirmation until ${p.deadline}: run \`dockwall confirm\` to keep it or \`dockwall rollback\` to restore the rules before it; nothing was changed`,
      );
    const runner = hostRunner();
    // Planning detects the variant too (once per run), with its other first reads at once.
    const planned = await planFromOptions(ctx, opts);
    const variant = await chooseVariant(ctx, runner);
    if (opts.saved) checkSavedPlan(planFile!, opts.saved, planned);
    if (opts.check) await checkPolicyExpectations(ctx, planned);
    if (!opts.force) await guardSshSession(ctx, planned);

    ctx.collect(planned.plan.diagnostics);
    // The plan's text is made while the reachability difference waits for the host's reads.
    const reaching = planReachability(ctx, planned, opts);
    reaching.catch(() => undefined);
    const planText = opts.json ? '' : renderPlanText(planned.plan, ctx.output.paint);
    const reachability = await reaching;
    if (opts.json) ctx.output.out(JSON.stringify({ plan: planned.plan, reachability }, null, 2) + '\n');
    else {
      ctx.flushDiagnostics();
      ctx.output.out(planText + reachabilityText(reachability));
    }
    if (planned.plan.operations.length === 0) return EXIT_OK;

    if (!opts.yes) {
      if (!process.stdin.isTTY)
        throw new CliError('not on a terminal: pass --yes to apply without asking; nothing was changed');
      const answer = await ask('\nApply these changes? Only "yes" is accepted: ', ctx.output.out);
      if (answer !== 'yes') throw new CliError('not applied');
    }

    id = newChangeId();
    let pending: Pending | undefined;
    if (confirmSeconds !== undefined) {
      // The reverter is armed before the first change: if this process dies at any point from here,
      // the previous rules still come back (its deadline moves to the end of the apply below).
      pending = {
        applyId: id,
        pid: process.pid,
        command: commandLine(),
        policyFile: opts.file,
        policyHash: policyHash(opts.file),
        deadline: new Date(Date.now() + confirmSeconds * 1000).toISOString(),
      };
      dir.writePending(pending);
      pending.reverter = await armReverter(dir.dir, id, confirmSeconds);
      dir.writePending(pending);
    }
    const log = (e: ApplyEvent) => {
      if (e.type === 'drift-after-apply')
        ctx.output.err(
          `another program changed the tables meanwhile; applying again (attempt ${e.attempt + 1})\n`,
        );
      if (e.type === 'undo') ctx.output.err(`putting back what this apply changed: ${e.reason}\n`);
    };
    const ports = hostApplyPorts(ctx, runner, variant, planned.desired, { lockFd: lock.fd });
    try {
      const result = await journalledApply({ ctx, dir, lockFd: lock.fd }, 'apply', ports, planned.desired, {
        policyFile: opts.file,
        first: { state: planned.state, plan: planned.plan },
        maxAttempts: Number(opts.maxAttempts) || 3,
        onEvent: log,
        id,
      });
      // An apply the user asked for lifts watch's hold on a rolled back or unconfirmed policy.
      dir.dropHold();
      // Over every attempt: a retry after a concurrent change adds its own operations.
      const s = summarize(result.operations);
      if (!opts.json) ctx.output.out(`Applied: ${s.add} added, ${s.change} changed, ${s.remove} removed.\n`);
    } catch (e) {
      if (pending && dir.snapshot()?.applyId !== id && dir.journal()?.id !== id) {
        // Nothing of it is in the kernel: there is nothing to confirm or revert.
        dir.dropPending();
        await cancelReverter(pending);
      }
      if (e instanceof ApplyError) throw new CliError(e.message);
      throw e;
    }
    if (!pending) return EXIT_OK;
    pending.deadline = new Date(Date.now() + confirmSeconds! * 1000).toISOString();
    dir.writePending(pending);
  } finally {
    lock.release();
  }
  return confirmWindow(ctx, dir, id, confirmSeconds!, () => signalled, onSignal);
}

/**
 * The `--confirm` window, after the lock is released: ends with "yes" on the terminal, `dockwall
 * confirm`, the deadline, or a signal (which restores the previous rules at once). The reverter
 * armed before the apply restores them if this process does not live that long.
 */
async function confirmWindow(
  ctx: CliContext,
  dir: StateDir,
  id: string,
  seconds: number,
  signalled: () => string | undefined,
  onSignal: (sig: string) => void,
): Promise<number> {
  ctx.output.out(
    `Type "yes" within ${seconds} s (or run \`dockwall confirm\`), or the previous rules come back.\n`,
  );
  const abort = new AbortController();
  let check: NodeJS.Timeout | undefined;
  const interrupted = new Promise<string>((resolve) => {
    check = setInterval(() => {
      const s = signalled();
      if (s) resolve(s);
    }, 50);
  });
  const stillMine = () => dir.pending()?.applyId === id;
  const outcome = await Promise.race([
    waitForConfirmation(seconds, () => !stillMine(), !!process.stdin.isTTY, abort.signal).then((ok) =>
      ok && !stillMine() ? 'elsewhere' : ok ? 'yes' : 'deadline',
    ),
    interrupted,
  ]);
  clearInterval(check);
  abort.abort();
  const lock = await dir.lock(commandLine(), Infinity);
  try {
    const p = dir.pending();
    if (p?.applyId === id) {
      if (outcome === 'yes') {
        dir.dropPending();
        await cancelReverter(p);
        dir.writeLastConfirm({
          applyId: id,
          outcome: 'confirmed',
          at: new Date().toISOString(),
          by: 'apply',
        });
        ctx.output.out('confirmed: the new rules stay.\n');
        return EXIT_OK;
      }
      const why = outcome === 'deadline' ? 'not confirmed' : `${outcome} during the confirmation window`;
      const said = await revertPending(ctx, dir, lock, p, `apply (process ${process.pid}, ${why})`);
      ctx.output.err(`${why}: ${said}\n`);
      return EXIT_ERROR;
    }
    const last = dir.lastConfirm();
    if (last?.applyId === id && last.outcome === 'confirmed') {
      ctx.output.out(`confirmed by ${last.by}: the new rules stay.\n`);
      return EXIT_OK;
    }
    ctx.output.err(
      `not confirmed: ${last?.applyId === id ? (last.detail ?? 'reverted') : 'reverted'} (by ${last?.by ?? 'another dockwall'})\n`,
    );
    return EXIT_ERROR;
  } finally {
    lock.release();
    for (const s of WINDOW_SIGNALS) process.off(s, onSignal);
  }
}
