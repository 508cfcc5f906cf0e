import type { Command } from 'commander';
import { parseIpsetSave, parseIptablesSave, printIpsetSave, printIptablesSave } from '../../parse/index.js';
import type { CliContext } from '../context.js';
import { EXIT_OK } from '../exit-codes.js';
import { readText } from '../inputs.js';

export function registerShow(
  program: Command,
  run: (fn: (ctx: CliContext) => Promise<number>) => Promise<void>,
): void {
  program
    .command('show')
    .description('parse a saved dump and print it back (or as JSON)')
    .option('--state <dump>', 'iptables-save / ip6tables-save output')
    .option('--ipset-state <dump>', '`ipset save` output')
    .option('--json', 'print the parsed model as JSON')
    .action((opts: { state?: string; ipsetState?: string; json?: boolean }) =>
      run(async (ctx) => {
        if (!opts.state && !opts.ipsetState) throw new Error('give --state or --ipset-state');
        const out: Record<string, unknown> = {};
        if (opts.state) {
          const ruleset = ctx.valueOf(
            parseIptablesSave(readText(ctx, opts.state), { file: opts.state }),
            `${opts.state} is not a valid rule dump`,
          );
          if (opts.json) out.ruleset = ruleset;
          else ctx.output.out(printIptablesSave(ruleset));
        }
        if (opts.ipsetState) {
          const ipsets = ctx.valueOf(
            parseIpsetSave(readText(ctx, opts.ipsetState), { file: opts.ipsetState }),
            `${opts.ipsetState} is not a valid ipset dump`,
          );
          if (opts.json) out.ipsets = ipsets;
          else ctx.output.out(printIpsetSave(ipsets));
        }
        if (opts.json) ctx.output.out(JSON.stringify(out, null, 2) + '\n');
        ctx.flushDiagnostics();
        return EXIT_OK;
      }),
    );
}
