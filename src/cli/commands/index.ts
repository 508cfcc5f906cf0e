import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export type Run = (fn: (ctx: CliContext) => Promise<number>) => Promise<void>;
type Register = (program: Command, run: Run) => void;

/**
 * Every command module, in the order `--help` lists them, with the command names each registers.
 * A module is imported only when its command runs (or for `--help`), so a command loads only the
 * code it needs: `--version` loads none, `validate` no certificate or host code.
 */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register[]> }> = [
  { names: ['plan'], load: async () => [(await import('./plan.js')).registerPlan] },
  { names: ['apply'], load: async () => [(await import('./apply.js')).registerApply] },
  {
    // The hidden third is the detached reverter of a `--confirm` apply (see confirm-reverter.ts).
    names: ['rollback', 'confirm', '__revert-pending'],
    load: async () => [(await import('./rollback.js')).registerRollback],
  },
  { names: ['status'], load: async () => [(await import('./status.js')).registerStatus] },
  { names: ['check'], load: async () => [(await import('./check.js')).registerCheck] },
  { names: ['doctor'], load: async () => [(await import('./doctor.js')).registerDoctor] },
  { names: ['watch'], load: async () => [(await import('./watch.js')).registerWatch] },
  { names: ['trace'], load: async () => [(await import('./trace.js')).registerTrace] },
  { names: ['audit'], load: async () => [(await import('./audit.js')).registerAudit] },
  {
    names: ['install-service'],
    load: async () => [(await import('./install-service.js')).registerInstallService],
  },
  { names: ['tls'], load: async () => [(await import('./tls.js')).registerTls] },
  { names: ['export', 'import'], load: async () => [(await import('./export.js')).registerExport] },
  { names: ['show'], load: async () => [(await import('./show.js')).registerShow] },
  { names: ['validate'], load: async () => [(await import('./validate.js')).registerValidate] },
  { names: ['schema'], load: async () => [(await import('./validate.js')).registerSchema] },
];

/** `completion` and the hidden `man` describe every command: they come with all of them, registered last. */
const DESCRIBING: (typeof COMMANDS)[number] = {
  names: ['completion', 'man'],
  load: async () => [(await import('./completion.js')).registerCompletion],
};
const ALL = [...COMMANDS, DESCRIBING];

/**
 * The command modules `args` (the arguments after the program name) needs: the one whose command
 * is the first non-option argument; none for a lone `--version`; every one otherwise (help, no
 * command, an unknown command: commander then lists them or suggests the nearest).
 */
export function commandsFor(args: readonly string[]): readonly (typeof COMMANDS)[number][] {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) {
    return args.length > 0 && args.every((a) => a === '-V' || a === '--version') ? [] : ALL;
  }
  const hit = COMMANDS.find((c) => c.names.includes(first));
  return hit ? [hit] : ALL;
}

/** Registers the commands `args` needs (see `commandsFor`) on `program`. */
export async function registerCommands(program: Command, run: Run, args: readonly string[]): Promise<void> {
  const loaded = await Promise.all(commandsFor(args).map((c) => c.load()));
  for (const registers of loaded) for (const register of registers) register(program, run);
}
