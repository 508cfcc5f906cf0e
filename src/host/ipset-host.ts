import { restoreOutcome, restoreTimeoutMs, type RestoreResult } from './iptables-host.js';
import { HostCommandError, type Runner } from './runner.js';

/** Reading and writing ipsets with the `ipset` tool; text in, text out. */

export interface SetRead {
  name: string;
  present: boolean;
  /** `ipset save NAME` output (`create …` and `add …` lines); empty when absent. */
  text: string;
}

const NO_SET = /set with the given name does not exist/i;

/** `ipset save NAME` for each name, side by side; a set that does not exist is reported, not thrown. */
export function readSets(runner: Runner, names: readonly string[]): Promise<SetRead[]> {
  return readEachSet(runner, names, (name) => ['ipset', 'save', name], true);
}

/**
 * `ipset list -t NAME` for each name, side by side: each set's header and its number of entries,
 * without its members; a set that does not exist is reported, not thrown.
 */
export function readSetHeaders(runner: Runner, names: readonly string[]): Promise<SetRead[]> {
  return readEachSet(runner, names, (name) => ['ipset', 'list', '-t', name], false);
}

async function readEachSet(
  runner: Runner,
  names: readonly string[],
  argvOf: (name: string) => string[],
  batch: boolean,
): Promise<SetRead[]> {
  const reads = names.map(async (name): Promise<SetRead> => {
    const argv = argvOf(name);
    const result = await runner.run(argv, batch ? { batch: true } : {});
    if (result.code === 0) return { name, present: true, text: result.stdout };
    if (NO_SET.test(result.stderr)) return { name, present: false, text: '' };
    throw new HostCommandError([...runner.wrap, ...argv], result);
  });
  // The first failure (in the names' order) is thrown; the others must not count as unhandled.
  for (const r of reads) r.catch(() => undefined);
  const out: SetRead[] = [];
  for (const r of reads) out.push(await r);
  return out;
}

/** `ipset save`: every set with its members. */
export async function readAllSets(runner: Runner): Promise<string> {
  const argv = ['ipset', 'save'];
  const result = await runner.run(argv);
  if (result.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], result);
  return result.stdout;
}

/** `ipset list -n`: the names of all sets, in the kernel's order. */
export async function listSets(runner: Runner): Promise<string[]> {
  const argv = ['ipset', 'list', '-n'];
  const result = await runner.run(argv, { batch: true });
  if (result.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], result);
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * `ipset restore` with the script on standard input. Not atomic: ipset stops at the first error,
 * and lines before it may already have taken effect (those the kernel accepted; an error ipset
 * finds itself, such as an unknown set name, stops it before the pending lines are sent).
 * `-exist` is the script's choice.
 */
export async function ipsetRestore(
  runner: Runner,
  script: string,
  opts: { timeoutMs?: number; exist?: boolean; inheritFds?: number[] } = {},
): Promise<RestoreResult> {
  const argv = opts.exist ? ['ipset', '-exist', 'restore'] : ['ipset', 'restore'];
  const result = await runner.run(argv, {
    stdin: script,
    timeoutMs: opts.timeoutMs ?? restoreTimeoutMs(script),
    inheritFds: opts.inheritFds ?? [],
  });
  return restoreOutcome(result);
}
