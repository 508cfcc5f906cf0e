import { Command, CommanderError } from 'commander';
import { CliContext } from './context.js';
import { CliError, EXIT_ERROR } from './exit-codes.js';
import { processOutput } from './output.js';
import { registerCommands } from './commands/index.js';

declare const DOCKWALL_VERSION: string | undefined;

/** Runs one command body: prints its failure in one line and sets the exit code. Only the CLI exits. */
async function run(fn: (ctx: CliContext) => Promise<number>): Promise<void> {
  const ctx = new CliContext(processOutput());
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

export async function main(argv: string[]): Promise<void> {
  const program = new Command('dockwall')
    .description('A declarative firewall for Linux hosts that run Docker.')
    .version(typeof DOCKWALL_VERSION === 'string' ? DOCKWALL_VERSION : '0.1.0')
    .showHelpAfterError()
    .exitOverride();
  await registerCommands(program, run, argv.slice(2));
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
