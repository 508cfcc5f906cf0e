import { printable } from '../../model/printable.js';
import type { Command } from 'commander';
import { detectDockerLayout } from '../../compile/index.js';
import { DockerEngineClient } from '../../docker/index.js';
import { renderPlanText } from '../../plan/index.js';
import type { CliContext } from '../context.js';
import { EXIT_CHANGES, EXIT_OK } from '../exit-codes.js';
import { listChainNames, listNftTables, hostRunner, variantReport } from '../live.js';
import { planFromOptions } from '../pipeline.js';
import { requirePrivileges } from './apply.js';
import type { Run } from './index.js';

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status')
    .description('is the live host as the policy wants? (exit 0: yes, 2: drifted, 1: error)')
    .requiredOption('-f, --file <policy>', 'policy file')
    .option('--docker-state <json>', 'Docker inventory JSON to use instead of asking dockerd')
    .option('--json', 'print the status as JSON')
    .action((opts: { file: string; json?: boolean; dockerState?: string }) =>
      run((ctx) => statusCommand(ctx, opts)),
    );
}

async function statusCommand(
  ctx: CliContext,
  opts: { file: string; json?: boolean; dockerState?: string },
): Promise<number> {
  await requirePrivileges();
  const runner = hostRunner();
  const variant = await variantReport(runner);
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
    const client = new DockerEngineClient({ timeoutMs: 3000 }, ctx.env);
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
