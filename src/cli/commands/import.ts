import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importPyfw } from '../../migrate/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../exit-codes.js';
import { readText } from '../inputs.js';
import { errorWords } from '../../model/index.js';

type Run = (fn: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function registerImport(program: Command, run: Run): void {
  const imp = program
    .command('import')
    .description("convert another tool's configuration into a dockwall policy");
  imp
    .command('pyfw <file>')
    .description("convert a pyfw wishes file into dockwall's native policy, explaining each change")
    .option('-o, --output <file>', 'write the policy to this file instead of stdout')
    .option('--json', 'print the policy and the diagnostics as JSON')
    .action((file: string, opts: { output?: string; json?: boolean }) =>
      run(async (ctx) => {
        const res = importPyfw(readText(ctx, file), file, opts.output ?? '<imported>');
        ctx.collect(res.diagnostics);
        if (opts.json) {
          ctx.output.out(
            JSON.stringify({ policy: res.value?.yaml, diagnostics: ctx.diagnostics }, null, 2) + '\n',
          );
          return res.value ? EXIT_OK : 1;
        }
        ctx.failOnErrors(`${file} cannot be converted`);
        ctx.flushDiagnostics();
        const yaml = res.value!.yaml;
        if (!opts.output) {
          ctx.output.out(yaml);
          return EXIT_OK;
        }
        try {
          writeFileSync(opts.output, yaml);
        } catch (e) {
          throw new CliError(`cannot write ${opts.output}: ${errorWords(e)}`);
        }
        ctx.output.err(`wrote ${opts.output}\n`);
        return EXIT_OK;
      }),
    );
}
