import type { SourcePos } from './diagnostic.js';

/**
 * An nftables rule set as `nft -j list ruleset` prints it: tables of every family with their
 * chains, rules, sets and maps. Expressions are kept as the JSON nft printed (libnftables-json(5)),
 * each with its position, so the simulator can interpret what it models and name what it does not.
 */

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

/** A base chain's registration: the hook it is attached to, at which priority, and its policy. */
export interface NftBaseChain {
  /** `filter`, `nat` or `route`. */
  type: string;
  hook: NftHook | string;
  prio: number;
  policy: 'accept' | 'drop';
  dev?: string;
}

/** One statement or match of a rule, as nft printed it: `{"match": {…}}` is `{kind: 'match', …}`. */
export interface NftExpr {
  kind: string;
  /** The JSON value under `kind`. */
  value: unknown;
  pos: SourcePos;
}

export interface NftRule {
  handle?: number;
  comment?: string;
  expr: NftExpr[];
  pos: SourcePos;
}

export interface NftChain {
  name: string;
  handle?: number;
  base?: NftBaseChain;
  rules: NftRule[];
  pos: SourcePos;
}

/** A set or map element: the key (a value, prefix, range or concatenation) and, in a map, its data. */
export interface NftElement {
  key: unknown;
  data?: unknown;
  pos?: SourcePos;
}

export interface NftSet {
  name: string;
  /** `set`, `map` (data of `map` type) or `vmap` (data: verdicts). */
  kind: 'set' | 'map' | 'vmap';
  /** Key type; several for a concatenation (`ipv4_addr . inet_service`). */
  type: string[];
  /** Data type of a map (`verdict`, `ipv4_addr`, …). */
  map?: string;
  flags: string[];
  elements: NftElement[];
  pos: SourcePos;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  handle?: number;
  chains: NftChain[];
  sets: NftSet[];
  pos: SourcePos;
}

export interface NftRuleset {
  tables: NftTable[];
  /** nft's version from the metainfo object, when printed. */
  version?: string;
}

/** `ip docker-bridges`: the key nft prints for a table. */
export function nftTableKey(t: Pick<NftTable, 'family' | 'name'>): string {
  return `${t.family} ${t.name}`;
}

/** Docker 29's tables under `--firewall-backend=nftables`. */
export const DOCKER_NFT_TABLE = 'docker-bridges';

/** Tables iptables-nft keeps its iptables tables in (`ip filter`, `ip6 nat`, …). */
export const IPTABLES_NFT_TABLES: readonly string[] = ['filter', 'nat', 'mangle', 'raw', 'security'];
