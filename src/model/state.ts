import type { IpSetState } from './ipset.js';
import type { NftExpected, NftLiveState } from './nft-table.js';
import type { Family, Ruleset } from './ruleset.js';

/**
 * What the host has: per family the tables (possibly only the chains dockwall needed to read), and the
 * sets. A family absent from `rulesets` was not read; a chain absent from a table that was read does
 * not exist.
 */
export interface HostState {
  rulesets: Partial<Record<Family, Ruleset>>;
  sets: IpSetState;
  /**
   * Whether Docker's chains exist in each family's filter table, when the reader knows it without
   * having read them (a live read takes only dockwall's chains); otherwise told from `rulesets`.
   */
  dockerChainsPresent?: Partial<Record<Family, boolean>>;
  /** dockwall's own nftables tables, read where Docker runs its nftables backend (absent: not read). */
  nft?: NftLiveState;
  /** What nft makes of the rules wanted in those tables (absent where it is not known). */
  nftExpected?: NftExpected;
}
