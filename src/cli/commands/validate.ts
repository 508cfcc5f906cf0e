import type { Command } from 'commander';
import { compileDesired } from '../../compile/index.js';
import { loadPolicy, policyJsonSchema } from '../../policy/index.js';
import type { CliContext } from '../context.js';
import { EXIT_OK } from '../exit-codes.js';
import { memberFileReader, readPolicy, readText } from '../inputs.js';

type Run = (fn: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function registerValidate(program: Command, run: Run): void {
  program
    .command('validate')
    .description('check a policy file (exit 0: valid, 1: errors, each with file, line and column)')
    .requiredOption('-f, --file <policy>', 'policy file')
    .option('--json', 'print the diagnostics as JSON')
    .action((opts: { file: string; json?: boolean }) =>
      run(async (ctx) => {
        if (opts.json) {
          const res = loadPolicy(readText(ctx, opts.file), opts.file, {
            readMemberFile: memberFileReader(opts.file, ctx),
          });
          const diagnostics = [
            ...res.diagnostics,
            ...(res.value ? compileDesired(res.value, { policyOnly: true }).diagnostics : []),
          ];
          const valid = !!res.value && !diagnostics.some((d) => d.severity === 'error');
          ctx.output.out(JSON.stringify({ valid, format: res.value?.format, diagnostics }, null, 2) + '\n');
          return valid ? EXIT_OK : 1;
        }
        const policy = readPolicy(ctx, opts.file);
        ctx.collect(compileDesired(policy, { policyOnly: true }).diagnostics);
        ctx.flushDiagnostics();
        ctx.output.out(
          `${opts.file}: valid ${policy.format === 'pyfw' ? 'pyfw wishes file' : 'dockwall policy'}\n`,
        );
        return EXIT_OK;
      }),
    );
}

export function registerSchema(program: Command, run: Run): void {
  program
    .command('schema')
    .description('print the JSON Schema of the policy file')
    .action(() =>
      run(async (ctx) => {
        ctx.output.out(JSON.stringify(policyJsonSchema(), null, 2) + '\n');
        return EXIT_OK;
      }),
    );
}
