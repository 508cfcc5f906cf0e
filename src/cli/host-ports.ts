import type { ApplyPorts } from '../apply/index.js';
import type { DesiredState } from '../compile/index.js';
import { nftLoad, restore, restoreOutcome, type Runner } from '../host/index.js';
import type { IptablesVariant } from '../model/index.js';
import type { CliContext } from './context.js';
import { readLiveChains, readDockwallNftTables, readLiveState, type LiveOptions } from './live.js';

/** The apply procedure's view of the real host: reads through the runner, writes with *-restore. */
export function hostApplyPorts(
  ctx: CliContext,
  runner: Runner,
  variant: IptablesVariant,
  desired: DesiredState,
  live: LiveOptions = {},
): ApplyPorts {
  return {
    readState: () => readLiveState(ctx, desired, { ...live, runner, variant }),
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
    checkNft: (script) => nftLoad(runner, script, { check: true }),
    loadNft: (script) => nftLoad(runner, script),
    readNft: (families) => readDockwallNftTables(ctx, runner, families),
    async restoreIpset(script) {
      const r = restoreOutcome(await runner.run(['ipset', '-exist', 'restore'], { stdin: script }));
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
  };
}

/** The tool's message, with the script line it refused when it said which. */
function explain(message: string | undefined, line: number | undefined, script: string): string {
  const at = line !== undefined ? script.split('\n')[line - 1] : undefined;
  return `${message ?? 'refused'}${at ? ` (at: ${at})` : ''}`;
}
