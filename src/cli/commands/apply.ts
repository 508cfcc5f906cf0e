import type { Command } from 'commander';
import {
  ApplyError,
  applyDesired,
  executePlan,
  planRollback,
  type ApplyEvent,
  type Snapshot,
} from '../../apply/index.js';
import { chainKind, type DesiredState } from '../../compile/index.js';
import { isNftOperation } from '../../model/index.js';
import { checkPrivileges } from '../../host/index.js';
import { renderPlanText, summarize } from '../../plan/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { hostApplyPorts } from '../host-ports.js';
import { chooseVariant, hostRunner } from '../live.js';
import { planFromOptions } from '../pipeline.js';
import { ask, waitForConfirmation } from '../prompt.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state-dir.js';
import type { Run } from './index.js';
import { runExpectations } from './check.js';
import { guardSshSession } from './ssh-guard.js';

interface ApplyOpts {
  file: string;
  yes?: boolean;
  confirm?: string;
  force?: boolean;
  stateDir: string;
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

export function registerApply(program: Command, run: Run): void {
  program
    .command('apply')
    .description(
      'make the live host match the policy, atomically per table, touching only what dockwall owns',
    )
    .requiredOption('-f, --file <policy>', 'policy file')
    .option('-y, --yes', 'do not ask before applying')
    .option(
      '--confirm <seconds>',
      'after applying, restore the previous rules unless confirmed within SECONDS',
    )
    .option('--force', 'apply even if the plan would cut the SSH connection this runs from')
    .option('--state-dir <dir>', 'where snapshots are kept', DEFAULT_STATE_DIR)
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--max-attempts <n>', 'retries when another program changes the tables at the same moment', '3')
    .option('--no-check', "do not evaluate the policy's expect: assertions first")
    .option('--json', 'print the plan and result as JSON')
    .action((opts: ApplyOpts) => run((ctx) => applyCommand(ctx, opts)));

  program
    .command('rollback')
    .description('restore what the last apply changed, from its snapshot')
    .option('--state-dir <dir>', 'where snapshots are kept', DEFAULT_STATE_DIR)
    .option('-y, --yes', 'do not ask before restoring')
    .option('--json', 'print the plan as JSON')
    .action((opts: { stateDir: string; yes?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        await requirePrivileges();
        const snap = new StateDir(opts.stateDir).lastSnapshot();
        await restoreSnapshot(ctx, snap, { yes: !!opts.yes, json: !!opts.json });
        return EXIT_OK;
      }),
    );

  program
    .command('confirm')
    .description('confirm an apply that is waiting (--confirm), so its rules stay')
    .option('--state-dir <dir>', 'where snapshots are kept', DEFAULT_STATE_DIR)
    .action((opts: { stateDir: string }) =>
      run(async (ctx) => {
        const dir = new StateDir(opts.stateDir);
        const p = dir.pending();
        if (!p) throw new CliError('no apply is waiting for confirmation');
        dir.confirm();
        ctx.output.out(`confirmed: the rules applied by process ${p.pid} stay\n`);
        return EXIT_OK;
      }),
    );
}

async function applyCommand(ctx: CliContext, opts: ApplyOpts): Promise<number> {
  if ((opts.state?.length ?? 0) > 0)
    throw new CliError('apply works on the live host; use plan --state for saved dumps');
  const confirmSeconds = opts.confirm !== undefined ? Number(opts.confirm) : undefined;
  if (confirmSeconds !== undefined && !(confirmSeconds > 0))
    throw new CliError('--confirm needs a number of seconds');
  await requirePrivileges();
  const runner = hostRunner();
  const variant = await chooseVariant(ctx, runner);
  const planned = await planFromOptions(ctx, opts);
  if (opts.check) await runExpectations(ctx, planned, { fatal: true });
  if (!opts.force) await guardSshSession(ctx, planned);

  ctx.collect(planned.plan.diagnostics);
  if (opts.json) ctx.output.out(JSON.stringify({ plan: planned.plan }, null, 2) + '\n');
  else {
    ctx.flushDiagnostics();
    ctx.output.out(renderPlanText(planned.plan, ctx.output.paint));
  }
  if (planned.plan.operations.length === 0) return EXIT_OK;
  if (confirmSeconds !== undefined && planned.plan.operations.some(isNftOperation))
    throw new CliError(
      "--confirm cannot yet put dockwall's nftables tables back (Docker's nftables backend); nothing was changed. Apply without --confirm",
    );

  if (!opts.yes) {
    if (!process.stdin.isTTY)
      throw new CliError('not on a terminal: pass --yes to apply without asking; nothing was changed');
    const answer = await ask('\nApply these changes? Only "yes" is accepted: ', ctx.output.out);
    if (answer !== 'yes') throw new CliError('not applied');
  }

  const stateDir = new StateDir(opts.stateDir);
  let snapshot: Snapshot | undefined;
  const log = (e: ApplyEvent) => {
    if (e.type === 'drift-after-apply')
      ctx.output.err(
        `another program changed the tables meanwhile; applying again (attempt ${e.attempt + 1})\n`,
      );
    if (e.type === 'undo') ctx.output.err(`undoing the ${e.family} changes: ${e.reason}\n`);
  };
  const ports = hostApplyPorts(ctx, runner, variant, planned.desired);
  try {
    const result = await applyDesired(ports, planned.desired, {
      first: { state: planned.state, plan: planned.plan },
      maxAttempts: Number(opts.maxAttempts) || 3,
      onEvent: log,
      policyFile: opts.file,
      saveSnapshot: async (s) => {
        snapshot = s;
        stateDir.saveSnapshot(s);
      },
    });
    // Over every attempt: a retry after a concurrent change adds its own operations.
    const s = summarize(result.operations);
    if (!opts.json) ctx.output.out(`Applied: ${s.add} added, ${s.change} changed, ${s.remove} removed.\n`);
  } catch (e) {
    if (e instanceof ApplyError) throw new CliError(e.message);
    throw e;
  }

  if (confirmSeconds !== undefined && snapshot) {
    stateDir.beginPending(new Date(Date.now() + confirmSeconds * 1000));
    ctx.output.out(
      `Type "yes" within ${confirmSeconds} s (or run \`dockwall confirm\`), or the previous rules come back.\n`,
    );
    const ok = await waitForConfirmation(confirmSeconds, () => stateDir.isConfirmed(), !!process.stdin.isTTY);
    stateDir.endPending();
    if (!ok) {
      await restoreSnapshot(ctx, snapshot, { yes: true, json: false });
      ctx.output.err('not confirmed: the previous rules were restored\n');
      return EXIT_ERROR;
    }
    ctx.output.out('confirmed.\n');
  }
  return EXIT_OK;
}

export async function restoreSnapshot(
  ctx: CliContext,
  snap: Snapshot,
  opts: { yes: boolean; json: boolean },
): Promise<void> {
  const runner = hostRunner();
  const variant = await chooseVariant(ctx, runner);
  // Read the chains and sets the snapshot names, as they are now.
  const toRead: DesiredState = {
    chains: snap.chains.map((c) => ({
      family: c.family,
      table: c.table,
      chain: c.chain,
      kind: chainKind(c.table, c.chain),
      rules: [],
    })),
    sets: snap.sets.map((s) => s.set ?? { name: s.name, type: 'hash:ip', options: [], members: [] }),
    families: [...new Set(snap.chains.map((c) => c.family))],
    diagnostics: [],
  };
  const ports = hostApplyPorts(ctx, runner, variant, toRead);
  const current = await ports.readState();
  const plan = planRollback(current, snap);
  if (opts.json) ctx.output.out(JSON.stringify({ plan }, null, 2) + '\n');
  else ctx.output.out(renderPlanText(plan, ctx.output.paint));
  if (plan.operations.length === 0) return;
  if (!opts.yes) {
    if (!process.stdin.isTTY) throw new CliError('not on a terminal: pass --yes to roll back without asking');
    if ((await ask('\nRestore? Only "yes" is accepted: ', ctx.output.out)) !== 'yes')
      throw new CliError('not restored');
  }
  await executePlan(ports, snap, plan);
}
