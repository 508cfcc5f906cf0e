import type { SourcePos } from './diagnostic.js';
import type { IpSet } from './ipset.js';
import type { ChainPolicy, Family, Rule, TableName } from './ruleset.js';
import type { HostModel } from './host.js';

/** A rule the policy names; dockwall tags it with a comment carrying the name. */
export interface PolicyRule {
  name: string;
  /** The rule as parsed (canonical), without dockwall's tag comment. */
  rule: Rule;
  /** The text as written in the policy file. */
  text: string;
  /**
   * How the live rule carries the name: `tag` (dockwall appends `-m comment --comment dockwall:NAME`)
   * or `own-comment` (pyfw style: the rule text carries its own comment, equal to the name).
   */
  identity: 'tag' | 'own-comment';
  pos?: SourcePos;
}

export interface PolicyChain {
  name: string;
  /** Default policy of a built-in chain, when the policy sets it. */
  policy?: ChainPolicy;
  rules: PolicyRule[];
  pos?: SourcePos;
}

export interface PolicyTable {
  name: TableName;
  chains: PolicyChain[];
}

export type ProtoName = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';

/** One entry of the shared filter: who may reach which ports, on the host and on published ports. */
export interface SharedAllow {
  name: string;
  /** Addresses or CIDRs (either family); empty means any source. */
  sources: string[];
  /** ipset names whose members are allowed sources. */
  sets: string[];
  proto: ProtoName;
  /** Destination ports as seen by the client (before Docker's DNAT): `22`, `8000:8010`. Empty = all. */
  ports: string[];
  pos?: SourcePos;
}

/**
 * What IPv6 needs to work that conntrack does not pass as ESTABLISHED/RELATED: ICMPv6 router and
 * neighbour discovery (types 133–137), multicast listener discovery (130–132, 143) and DHCPv6
 * replies to the client port.
 */
export type Ipv6Essential =
  'neighbour-discovery' | 'router-discovery' | 'multicast-listener' | 'dhcpv6-client';

export const IPV6_ESSENTIALS: readonly Ipv6Essential[] = [
  'neighbour-discovery',
  'router-discovery',
  'multicast-listener',
  'dhcpv6-client',
];

export interface SharedFilter {
  /** Packets entering on these interfaces are filtered; others (lo, bridges) are not. */
  interfaces: string[];
  allow: SharedAllow[];
  /** What happens to packets from the external interfaces that no entry allows. */
  otherwise: 'drop' | 'reject';
  /**
   * Families the filter covers when the policy says so (`families:`); absent means every family the
   * host has. Leaving a family out is an explicit choice: its traffic is not filtered.
   */
  families?: Family[];
  /** IPv6 traffic allowed before the allow list, so IPv6 keeps working (default: all of them). */
  ipv6Essentials: Ipv6Essential[];
  pos?: SourcePos;
}

/** Selects containers for a container-aware rule. All given criteria must match. */
export interface ContainerSelector {
  name?: string;
  labels?: Record<string, string>;
  composeProject?: string;
  composeService?: string;
}

export interface ContainerAllow {
  name: string;
  selector: ContainerSelector;
  /** Container (private) ports to allow; empty = every published port of the container. */
  ports: number[];
  proto?: 'tcp' | 'udp';
  sources: string[];
  sets: string[];
  /** Families the entry covers when the policy says so; absent means every family the host has. */
  families?: Family[];
  pos?: SourcePos;
}

export type Verdict = 'accept' | 'drop' | 'reject';

export interface Expectation {
  name?: string;
  family: Family;
  from: string;
  to: { address: string; port?: number; proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' };
  in?: string;
  ctState?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
  verdict: Verdict;
  pos?: SourcePos;
}

export interface Policy {
  file: string;
  format: 'dockwall' | 'pyfw';
  ipsets: IpSet[];
  families: Partial<Record<Family, { tables: PolicyTable[] }>>;
  sharedFilter?: SharedFilter;
  containers: ContainerAllow[];
  /** Deny access to published ports not allowed by a container rule (`containers` present). */
  denyUnlistedPublished: boolean;
  expectations: Expectation[];
  /** Host description for offline proof (`check`), when declared in the policy. */
  host?: HostModel;
  /** Match modules and targets iptables ships but dockwall does not know, listed under `extensions`. */
  extensions?: PolicyExtensions;
  /**
   * Jumps and gotos to chains the policy does not make (Docker's, other programs'): they must exist
   * on the host, which only a plan against it can tell.
   */
  chainReferences?: ChainReference[];
}

export interface PolicyExtensions {
  matches: string[];
  targets: string[];
  pos?: SourcePos;
}

/** A rule's `-j CHAIN` or `-g CHAIN` to a chain the policy does not create. */
export interface ChainReference {
  family: Family;
  table: TableName;
  /** The chain the rule is in, and the rule's name. */
  chain: string;
  rule: string;
  /** The chain jumped to. */
  target: string;
  kind: 'jump' | 'goto';
  /** Where the target's name is in the policy. */
  pos?: SourcePos;
  length?: number;
}
