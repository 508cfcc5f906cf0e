import type { Command } from 'commander';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { watchUnit } from '../../export/systemd-units.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../exit-codes.js';
import { readPolicy } from '../inputs.js';
import { DEFAULT_STATE_DIR } from '../state-dir.js';
import type { Run } from './index.js';
import { errorWords } from '../../model/index.js';

interface InstallOpts {
  file: string;
  unitPath: string;
  stateDir: string;
  metrics?: string;
  dryRun?: boolean;
}

export function registerInstallService(program: Command, run: Run): void {
  program
    .command('install-service')
    .description(
      'write a systemd unit that runs `dockwall watch` after docker.service, hardened, and print it',
    )
    .requiredOption('-f, --file <policy>', 'policy file the service watches (an absolute path is written)')
    .option('--unit-path <path>', 'where to write the unit', '/etc/systemd/system/dockwall.service')
    .option('--state-dir <dir>', 'state directory of the service', DEFAULT_STATE_DIR)
    .option('--metrics <addr>', 'serve Prometheus metrics on HOST:PORT')
    .option('--dry-run', 'print the unit without writing it')
    .action((opts: InstallOpts) =>
      run(async (ctx: CliContext) => {
        const script = process.argv[1] ? realpathSync(process.argv[1]) : undefined;
        if (!script) throw new CliError('cannot tell where dockwall is installed');
        // The service would fail at every start: refuse a policy that does not load, as validate does.
        const policyFile = resolve(opts.file);
        readPolicy(ctx, policyFile);
        const stateDir = resolve(opts.stateDir);
        const unit = watchUnit({
          execStart: [process.execPath, script],
          policyFile,
          stateDir,
          ...(opts.metrics ? { metrics: opts.metrics } : {}),
        });
        if (unit.error) throw new CliError(unit.error);
        for (const r of unit.relaxed) {
          ctx.output.err(
            `dockwall: warning: ${r}, so the service can read it; a policy in /etc/dockwall and an install outside home and temporary directories keep the unit fully hardened\n`,
          );
        }
        if (opts.dryRun) {
          ctx.output.out(unit.text);
          return EXIT_OK;
        }
        try {
          // StateDirectory= makes a directory under /var/lib; another one must exist before start.
          if (!stateDir.startsWith('/var/lib/')) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
          mkdirSync(dirname(opts.unitPath), { recursive: true });
          writeFileSync(opts.unitPath, unit.text, { mode: 0o644 });
        } catch (e) {
          throw new CliError(`cannot write ${opts.unitPath}: ${errorWords(e)}`);
        }
        ctx.output.out(
          `wrote ${opts.unitPath}:\n\n${unit.text}\nenable it with: systemctl daemon-reload && systemctl enable --now ${unitName(opts.unitPath)}\n`,
        );
        return EXIT_OK;
      }),
    );
}

function unitName(path: string): string {
  return path.split('/').pop() ?? 'dockwall.service';
}
