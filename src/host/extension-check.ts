import type { Family, IptablesVariant } from '../model/index.js';
import { iptablesCommand } from './iptables-commands.js';
import type { Runner } from './runner.js';

/**
 * Whether this host's iptables can load a match module or target that dockwall does not know (a
 * policy lists those under `extensions`). `iptables -m NAME -h` fails when no extension library
 * has that name; `iptables -j NAME -h` succeeds for any name (it could be a chain), so a target
 * counts as present when the help names its options. Either prints "Extension NAME revision 0
 * not supported, missing kernel module?" when the library is there but the kernel lacks it.
 */

export interface ExtensionProblem {
  kind: 'match' | 'target';
  name: string;
  family: Family;
  /** `missing`: iptables has no such extension; `no-kernel-module`: the kernel cannot run it. */
  problem: 'missing' | 'no-kernel-module';
}

export async function checkExtensions(
  runner: Runner,
  family: Family,
  wanted: { matches: readonly string[]; targets: readonly string[] },
  variant?: IptablesVariant,
): Promise<ExtensionProblem[]> {
  const cmd = iptablesCommand(family, 'main', variant);
  const asks = [
    ...wanted.matches.map((name) => ({ kind: 'match' as const, name, argv: [cmd, '-m', name, '-h'] })),
    ...wanted.targets.map((name) => ({ kind: 'target' as const, name, argv: [cmd, '-j', name, '-h'] })),
  ];
  const results = await Promise.all(asks.map((a) => runner.run(a.argv)));
  const out: ExtensionProblem[] = [];
  asks.forEach((a, i) => {
    const r = results[i]!;
    const text = `${r.stdout}\n${r.stderr}`;
    const present =
      a.kind === 'match'
        ? r.code === 0
        : r.code === 0 && new RegExp(`^${a.name} (target options|does not take any options)`, 'm').test(text);
    const noKernel = text.includes(`Extension ${a.name} revision`) && text.includes('not supported');
    if (!present) out.push({ kind: a.kind, name: a.name, family, problem: 'missing' });
    else if (noKernel) out.push({ kind: a.kind, name: a.name, family, problem: 'no-kernel-module' });
  });
  return out;
}
