import { Argument, type Command } from 'commander';
import { commandDocs } from '../command-docs.js';
import { completionScript, SHELLS, type Shell } from '../completion-scripts.js';
import type { CliContext } from '../context.js';
import { EXIT_OK } from '../exit-codes.js';
import { manPage } from '../man-page.js';
import type { Run } from './index.js';

/**
 * `completion bash|zsh|fish` and the hidden `man`: generated from the program's own command
 * definitions, so they list exactly what `--help` does. Registered last, after every other command.
 */
export function registerCompletion(program: Command, run: Run): void {
  program
    .command('completion')
    .description(
      'print the shell completion script: bash (source it, or put it in /etc/bash_completion.d/dockwall), zsh (as _dockwall in $fpath), fish (in ~/.config/fish/completions/dockwall.fish)',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) =>
      run(async (ctx: CliContext) => {
        ctx.output.out(completionScript(shell, commandDocs(program)));
        return EXIT_OK;
      }),
    );
  program
    .command('man', { hidden: true })
    .description('print the man page dockwall(8) as roff')
    .action(() =>
      run(async (ctx: CliContext) => {
        ctx.output.out(manPage(commandDocs(program), program.version() ?? ''));
        return EXIT_OK;
      }),
    );
}
