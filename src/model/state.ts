import type { IpSetState } from './ipset.js';
import type { Family, Ruleset } from './ruleset.js';

/**
 * What the host has: per family the tables (possibly only the chains dockwall needed to read), and the
 * sets. A family absent from `rulesets` was not read; a chain absent from a table that was read does
 * not exist.
 */
export interface HostState {
  rulesets: Partial<Record<Family, Ruleset>>;
  sets: IpSetState;
}
