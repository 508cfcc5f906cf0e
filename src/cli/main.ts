import { dockwallVersion } from './version.js';
import { Command, CommanderError } from 'commander';
import { CliContext } from './context.js';
import { CliError, EXIT_ERROR } from './exit-codes.js';
import { processOutput } from './output.js';
import { registerCommands } from './commands/index.js';

/** Runs one command body: prints its failure in one line and sets the exit code. Only the CLI exits. */
async function run(program: Command, fn: (ctx: CliContext) => Promise<number>): Promise<void> {
  const global = program.opts<{ tlsInsecure?: boolean }>();
  const ctx = new CliContext(processOutput(), process.env, { tlsInsecure: global.tlsInsecure === true });
  try {
    process.exitCode = await fn(ctx);
  } catch (e) {
    ctx.flushDiagnostics();
    if (e instanceof CliError) {
      ctx.output.err(`dockwall: ${e.message}\n`);
      process.exitCode = e.code;
    } else {
      ctx.output.err(`dockwall: ${(e as Error).message ?? String(e)}\n`);
      if (process.env.DOCKWALL_DEBUG) ctx.output.err(`${(e as Error).stack}\n`);
      process.exitCode = EXIT_ERROR;
    }
  }
}

/**
 * A reader that goes away (`dockwall show … | head -1`) ends the output, not with a stack trace: the
 * command stops quietly. Other errors on the standard streams are ignored (a dropped terminal must
 * not end an apply in its confirmation window, which restores the previous rules first).
 */
function stopQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' && stream === process.stdout && !process.listenerCount('SIGHUP'))
        process.exit(process.exitCode ?? 0);
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  stopQuietlyOnClosedOutput();
  const program = new Command('dockwall')
    .description('A declarative firewall for Linux hosts that run Docker.')
    .version(dockwallVersion())
    .option(
      '--tls-insecure',
      'reach dockerd over TLS without checking its certificate (unsafe: warns every time; see docs/docker.md)',
    )
    .showHelpAfterError()
    .exitOverride();
  await registerCommands(program, (fn) => run(program, fn), argv.slice(2));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
      return;
    }
    throw e;
  }
}

void main(process.argv);
