import { NftMonitor, OwnProcesses, nftChainListing, observeSpawns, type Runner } from '../host/index.js';
import type { IptablesVariant } from '../model/index.js';
import {
  NftTransactionReader,
  needsReconcile,
  type NftTransaction,
  type NftWatchScope,
} from '../watch/nft-events.js';

/**
 * `watch` following the kernel's change events: `nft monitor` runs beside it, each transaction
 * someone else commits that touches what dockwall keeps is handed to `onChange` (dockwall's own
 * commands are known by their pids, so its repairs do not trigger themselves), and `onGap` is
 * called when the monitor came back after dying, since changes meanwhile went unseen.
 */

export interface NftChangeHooks {
  onChange(tx: NftTransaction): void;
  onGap(): void;
  log(level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void;
}

export interface NftChangeFollower {
  /** What to watch from now on (the desired state's chains and tables). */
  setScope(scope: NftWatchScope): void;
  stop(): void;
}

/**
 * Whether change events can be followed: iptables-nft (iptables-legacy's tables send none) and an
 * `nft` that answers.
 */
export async function canFollowNftChanges(runner: Runner, variant: IptablesVariant): Promise<boolean> {
  if (variant !== 'nf_tables' || typeof runner.follow !== 'function') return false;
  return (await nftChainListing(runner)) !== undefined;
}

export function followNftChanges(
  runner: Runner,
  hooks: NftChangeHooks,
  own: OwnProcesses = new OwnProcesses(),
): NftChangeFollower {
  // dockwall's own commands, by pid and start time: a pid given to another process since is not its.
  const unobserve = observeSpawns((pid, child) => own.add(pid, child));
  let scope: NftWatchScope = { chains: new Set(), tables: new Set() };
  let reader = new NftTransactionReader();
  let lastDeath: string | undefined;
  const monitor = new NftMonitor(runner, { maxDelayMs: 30_000 });
  monitor.on('line', (line) => {
    const tx = reader.push(line);
    if (tx && needsReconcile(tx, scope, (pid) => own.has(pid))) hooks.onChange(tx);
  });
  monitor.on('started', ({ pid, restart }) => {
    // A transaction cut off by the death is not finished by the next monitor.
    reader = new NftTransactionReader();
    if (!restart) return hooks.log('info', 'following nf_tables change events', { monitorPid: pid });
    hooks.log('info', 'nft monitor started again: checking at once', { monitorPid: pid });
    hooks.onGap();
  });
  monitor.on('died', ({ message, retryInMs }) => {
    // A monitor that cannot start at all is reported once, not at every retry.
    if (message !== lastDeath) hooks.log('warn', `nft monitor ended: ${message}`, { retryInMs });
    lastDeath = message;
  });
  monitor.start();
  return {
    setScope: (s) => (scope = s),
    stop: () => {
      monitor.stop();
      unobserve();
    },
  };
}
