import type { ApplyPorts } from '../apply/index.js';
import type { DesiredState } from '../compile/index.js';
import {
  ipsetRestore,
  listSets,
  nftListTableText,
  nftLoad,
  readSetHeaders,
  restore,
  type Runner,
} from '../host/index.js';
import { parseIpsetTerse } from '../parse/index.js';
import { NFT_TABLE, type IptablesVariant } from '../model/index.js';
import type { CliContext } from './context.js';
import { readLiveChains, readDockwallNftTables, readLiveState, type LiveOptions } from './live.js';

export interface PortOptions extends LiveOptions {
  /**
   * The state lock's descriptor: every command that changes the kernel inherits it, so the lock
   * stays held until the command ends even if dockwall is killed while it runs.
   */
  lockFd?: number;
}

/** The apply procedure's view of the real host: reads through the runner, writes with *-restore. */
export function hostApplyPorts(
  ctx: CliContext,
  runner: Runner,
  variant: IptablesVariant,
  desired: DesiredState,
  opts: PortOptions = {},
): ApplyPorts {
  const { lockFd, ...live } = opts;
  const inheritFds = lockFd !== undefined ? [lockFd] : [];
  return {
    readState: () => readLiveState(ctx, desired, { ...live, runner, variant }),
    readChains(chains, sets) {
      return readLiveChains(ctx, runner, variant, chains, sets);
    },
    // A header that does not read is left to the whole read of the set (see set-count-check.ts).
    readSetHeaders: async (names) =>
      (await readSetHeaders(runner, names)).map((r) =>
        r.present ? parseIpsetTerse(r.text, { file: `ipset list -t ${r.name}` }).value : undefined,
      ),
    async testIptables(family, script) {
      const r = await restore(runner, family, script, { variant, test: true });
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
    async restoreIptables(family, script) {
      const r = await restore(runner, family, script, { variant, inheritFds });
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
    checkNft: (script) => nftLoad(runner, script, { check: true }),
    loadNft: (script) => nftLoad(runner, script, { inheritFds }),
    readNft: (families) => readDockwallNftTables(ctx, runner, families),
    readNftText: (family) => nftListTableText(runner, family, NFT_TABLE),
    async restoreIpset(script) {
      const r = await ipsetRestore(runner, script, { exist: true, inheritFds });
      if (!r.ok) throw new Error(explain(r.message, r.line, script));
    },
    listSetNames: () => listSets(runner),
    checkpoint: testCheckpoint(ctx.env),
  };
}

/**
 * A test hook: with DOCKWALL_TEST_PAUSE_AT=STEP in the environment, dockwall stops at that step (it
 * says so on stderr and waits, holding everything it holds) so a test can kill it exactly there, or,
 * with DOCKWALL_TEST_PAUSE_MS=N too, goes on after N ms (so a test can act while it holds the lock).
 * Without the variable it does nothing.
 */
export function testCheckpoint(env: NodeJS.ProcessEnv): ((step: string) => Promise<void>) | undefined {
  const at = env.DOCKWALL_TEST_PAUSE_AT;
  if (!at) return undefined;
  const ms = env.DOCKWALL_TEST_PAUSE_MS ? Number(env.DOCKWALL_TEST_PAUSE_MS) : undefined;
  return async (step) => {
    if (step !== at) return;
    process.stderr.write(`dockwall: test pause at ${step} (pid ${process.pid})\n`);
    if (ms !== undefined) return new Promise((r) => setTimeout(r, ms));
    await new Promise(() => setInterval(() => undefined, 60_000));
  };
}

/** The tool's message, with the script line it refused when it said which. */
function explain(message: string | undefined, line: number | undefined, script: string): string {
  const at = line !== undefined ? script.split('\n')[line - 1] : undefined;
  return `${message ?? 'refused'}${at ? ` (at: ${at})` : ''}`;
}
