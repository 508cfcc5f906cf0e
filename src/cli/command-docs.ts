import type { Command } from 'commander';

/** One option as `--help` shows it. */
export interface OptionDoc {
  flags: string;
  short?: string;
  long?: string;
  description: string;
  /** The option is followed by a value (`--file <policy>`), not a switch. */
  takesValue: boolean;
  defaultValue?: string;
  choices?: string[];
}

/** One command as `--help` shows it: its options, arguments and subcommands. */
export interface CommandDoc {
  /** The words that name it after `dockwall` (empty for dockwall itself). */
  path: string[];
  usage: string;
  description: string;
  options: OptionDoc[];
  args: { name: string; required: boolean; choices?: string[] }[];
  subcommands: CommandDoc[];
}

/**
 * The command tree as commander's help shows it (its own `help` command and hidden commands left
 * out), so the man page and the shell completions say exactly what `--help` says.
 */
export function commandDocs(program: Command, path: string[] = []): CommandDoc {
  const help = program.createHelp();
  return {
    path,
    usage: help.commandUsage(program),
    description: program.description(),
    options: help.visibleOptions(program).map((o) => ({
      flags: o.flags,
      ...(o.short ? { short: o.short } : {}),
      ...(o.long ? { long: o.long } : {}),
      description: o.description,
      takesValue: o.required || o.optional,
      ...(o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean'
        ? { defaultValue: String(o.defaultValue) }
        : {}),
      ...(o.argChoices ? { choices: [...o.argChoices] } : {}),
    })),
    args: program.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      ...(a.argChoices ? { choices: [...a.argChoices] } : {}),
    })),
    subcommands: help
      .visibleCommands(program)
      // commander's implicit `help [command]` is not one of the program's commands.
      .filter((c) => (program.commands as Command[]).includes(c))
      .map((c) => commandDocs(c, [...path, c.name()])),
  };
}

/** Every command of the tree, depth first, dockwall itself first. */
export function allCommands(doc: CommandDoc): CommandDoc[] {
  return [doc, ...doc.subcommands.flatMap(allCommands)];
}
