import type { SourcePos } from './diagnostic.js';
import type { Family } from './ruleset.js';

/**
 * dockwall's own nftables tables, used where Docker runs its nftables backend (Docker 29+,
 * `--firewall-backend=nftables`): `table ip dockwall` and `table ip6 dockwall`, owned wholly by
 * dockwall and replaced whole in one `nft -f` transaction. Docker's `ip/ip6 docker-bridges` tables
 * are never named.
 */
export const NFT_TABLE = 'dockwall';

/** The nft family of dockwall's table for an address family. */
export function nftFamilyOf(family: Family): 'ip' | 'ip6' {
  return family === 'ipv4' ? 'ip' : 'ip6';
}

/** A base chain's hook: `type filter hook forward priority -10; policy accept;`. */
export interface NftHookSpec {
  type: string;
  hook: string;
  priority: number;
  policy: 'accept' | 'drop';
}

/** One rule as dockwall writes it: the body, and the comment that identifies it (`dockwall:NAME #digest`). */
export interface NftRuleSpec {
  body: string;
  comment: string;
  /** The policy's rule name. */
  name?: string;
  pos?: SourcePos;
}

export interface NftChainSpec {
  name: string;
  hook?: NftHookSpec;
  rules: NftRuleSpec[];
}

export interface NftSetSpec {
  name: string;
  type: 'ipv4_addr' | 'ipv6_addr';
  interval: boolean;
  /** Elements as written (`10.0.0.0/8`, `192.0.2.1`), with an element comment when the member has one. */
  elements: Array<{ element: string; comment?: string }>;
}

/** One of dockwall's tables as it must be. */
export interface NftTableSpec {
  family: Family;
  name: string;
  sets: NftSetSpec[];
  chains: NftChainSpec[];
}

/** A rule as read back from `nft -j list table`: what identifies it, its verdict and its content. */
export interface NftLiveRule {
  handle: number;
  comment?: string;
  /** The rule's last statement (`accept`, `drop`, `jump NAME`, …), as far as the reader tells it. */
  verdict?: string;
  /**
   * Its expressions, normalised: nft's JSON with keys sorted and counter values left out. Two rules
   * with the same text read back with the same `expr`; a rule edited in place does not.
   */
  expr?: string;
}

export interface NftLiveChain {
  name: string;
  hook?: NftHookSpec;
  rules: NftLiveRule[];
}

export interface NftLiveSet {
  name: string;
  type: string;
  /** Elements as `nft -j` gives them, in text (`10.0.0.0/8`, `10.0.0.1-10.0.0.9`, `192.0.2.1`). */
  elements: string[];
}

/** One of dockwall's tables as `nft -j list table` shows it. */
export interface NftLiveTable {
  family: Family;
  name: string;
  chains: NftLiveChain[];
  sets: NftLiveSet[];
  /**
   * The table's objects as nft printed them (table, sets with their elements, chains, rules; handles
   * left out): what a snapshot keeps, and `nft -j -f` loads back exactly.
   */
  objects?: Array<Record<string, unknown>>;
}

/**
 * What nft makes of each rule dockwall wants, per family: `CHAIN COMMENT` → the normalised
 * expressions (`NftLiveRule.expr`) of that rule once loaded. A live rule whose comment and verdict
 * match but whose expressions differ was edited in place.
 */
export type NftExpected = Partial<Record<Family, Record<string, string>>>;

/** What was read of dockwall's nftables tables: per family the table, or null when it does not exist. */
export type NftLiveState = Partial<Record<Family, NftLiveTable | null>>;
