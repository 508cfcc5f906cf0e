import { printable } from '../../model/printable.js';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { detectDockerLayout } from '../../compile/index.js';
import { dockerClient } from '../docker-client.js';
import { renderPlanText } from '../../plan/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_CHANGES, EXIT_LOCKED, EXIT_OK } from '../exit-codes.js';
import { listChainNames, listNftTables, hostRunner, variantReport } from '../live.js';
import { planFromOptions } from '../pipeline.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state-dir.js';
import { lockState, requirePrivileges } from './apply.js';
import type { Run } from './index.js';

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status')
    .description('is the live host as the policy wants? (exit 0: yes, 2: drifted, 1: error)')
    .requiredOption('-f, --file <policy>', 'policy file')
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--state-dir <dir>', 'where the lock, journal and snapshots are kept', DEFAULT_STATE_DIR)
    .option('--json', 'print the status as JSON')
    .action((opts: StatusOpts) => run((ctx) => statusCommand(ctx, opts)));
}

interface StatusOpts {
  file: string;
  json?: boolean;
  dockerState?: string;
  stateDir: string;
}

/** How long status waits for a running apply before reporting without finishing an interrupted one. */
const STATUS_LOCK_WAIT_S = 10;

async function statusCommand(ctx: CliContext, opts: StatusOpts): Promise<number> {
  await requirePrivileges();
  // First finish or undo what a dead apply left, so the status describes a whole firewall.
  // (No state directory yet: no dockwall changed anything here, and status does not create one.)
  const dir = new StateDir(opts.stateDir);
  if (existsSync(dir.dir)) {
    try {
      const { lock } = await lockState(ctx, dir, String(STATUS_LOCK_WAIT_S));
      lock.release();
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== EXIT_LOCKED) throw e;
      ctx.output.err(`dockwall: note: ${e.message}; reporting the tables as they are now\n`);
    }
  }
  const pending = existsSync(dir.dir) ? dir.pending() : undefined;
  const runner = hostRunner();
  const variant = await variantReport(runner, { version: true });
  const planned = await planFromOptions(ctx, opts);
  const layout = detectDockerLayout(
    await listChainNames(
      runner,
      'ipv4',
      'filter',
      variant.docker !== 'none' ? variant.docker : variant.command,
    ),
    await listNftTables(runner),
  );
  let docker: { version?: string; firewallBackend?: string; error?: string };
  try {
    const client = dockerClient(ctx, { timeoutMs: 3000 });
    const info = await client.info();
    docker = { version: info.serverVersion, firewallBackend: info.firewallBackend };
  } catch (e) {
    docker = { error: (e as Error).message };
  }
  const inSync = planned.plan.operations.length === 0;
  if (opts.json) {
    ctx.output.out(
      JSON.stringify(
        {
          inSync,
          policy: opts.file,
          iptables: variant,
          dockerLayout: layout,
          docker,
          pendingConfirmation: pending ? { applyId: pending.applyId, deadline: pending.deadline } : null,
          drift: planned.plan.operations,
          diagnostics: [...ctx.diagnostics, ...planned.plan.diagnostics],
        },
        null,
        2,
      ) + '\n',
    );
    return inSync ? EXIT_OK : EXIT_CHANGES;
  }
  ctx.collect(planned.plan.diagnostics);
  ctx.flushDiagnostics();
  const p = ctx.output.paint;
  ctx.output.out(
    `iptables: ${variant.version ?? ''} (${variant.command}); Docker's rules: ${variant.docker}\n`,
  );
  if (variant.message) ctx.output.out(`${p.change('note')}: ${printable(variant.message)}\n`);
  ctx.output.out(
    `Docker: ${docker.error ? `not reachable (${docker.error})` : `${docker.version ?? '?'}, firewall backend ${docker.firewallBackend ?? 'iptables'}`}\n`,
  );
  ctx.output.out(`Docker layout: ${layout.description}\n`);
  if (pending)
    ctx.output.out(
      `${p.change('pending')}: apply ${pending.applyId} of ${pending.policyFile} waits for \`dockwall confirm\` until ${pending.deadline}\n`,
    );
  if (inSync) {
    ctx.output.out(p.add(`In sync: the host matches ${opts.file}.\n`));
    return EXIT_OK;
  }
  ctx.output.out(
    p.change(
      `Drifted: ${planned.plan.operations.length} difference(s) from ${opts.file}; \`dockwall apply\` would make these changes:\n\n`,
    ),
  );
  ctx.output.out(renderPlanText(planned.plan, p));
  return EXIT_CHANGES;
}
