import type { ApplyPorts } from '../apply/index.js';
import type { DesiredState } from '../compile/index.js';
import { restore, restoreOutcome, type Runner } from '../host/index.js';
import type { HostState, IptablesVariant } from '../model/index.js';
import type { CliContext } from './context.js';
import { readLiveChains, readLiveState, type LiveOptions } from './live.js';

/** The apply procedure's view of the real host: reads through the runner, writes with *-restore. */
export function hostApplyPorts(
  ctx: CliContext,
  runner: Runner,
  variant: IptablesVariant,
  desired: DesiredState,
  live: LiveOptions = {},
  /** A state already read (the plan shown to the user), if any. */
  seen?: HostState,
): ApplyPorts {
  // After a read, the chains it saw and the ones the apply creates are known to exist: a later full
  // read (before an undo) reads them while nft lists the tables.
  let likely = seen && likelyChains(desired, seen);
  return {
    async readState() {
      const state = await readLiveState(ctx, desired, { ...live, runner, variant, likely });
      likely = likelyChains(desired, state);
      return state;
    },
    readChains(chains, sets) {
      return readLiveChains(ctx, runner, variant, chains, sets);
    },
    async testIptables(family, script) {
      const r = await restore(runner, family, script, { variant, test: true });
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
    async restoreIptables(family, script) {
      const r = await restore(runner, family, script, { variant });
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
    async restoreIpset(script) {
      const r = restoreOutcome(await runner.run(['ipset', '-exist', 'restore'], { stdin: script }));
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
  };
}

/** `family table chain` of every chain read, and of every chain the desired state has. */
function likelyChains(desired: DesiredState, state: HostState): Set<string> {
  const likely = new Set(desired.chains.map((c) => `${c.family} ${c.table} ${c.chain}`));
  for (const rs of Object.values(state.rulesets)) {
    for (const t of rs.tables) for (const c of t.chains) likely.add(`${rs.family} ${t.name} ${c.name}`);
  }
  return likely;
}

/** The tool's message, with the script line it refused when it said which. */
function explain(message: string | undefined, line: number | undefined, script: string): string {
  const at = line !== undefined ? script.split('\n')[line - 1] : undefined;
  return `${message ?? 'refused'}${at ? ` (at: ${at})` : ''}`;
}
