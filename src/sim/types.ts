import type { Diagnostic } from '../model/diagnostic.js';
import type { DockerInventory } from '../model/docker.js';
import type { HostModel } from '../model/host.js';
import type { IpSetState } from '../model/ipset.js';
import type { ChainPolicy, Family, Ruleset } from '../model/ruleset.js';
import type { NftRuleset } from '../model/nft.js';
import type { Packet } from './packet.js';
import type { SimTable } from './thread.js';

/** What the simulator needs: the live (or planned) rule sets, ipset contents and the host's network. */
export interface SimInput {
  rulesets: { ipv4?: Ruleset; ipv6?: Ruleset };
  /** The nftables rule set (`nft -j list ruleset`), walked beside the iptables rules by hook priority. */
  nft?: NftRuleset;
  sets?: IpSetState;
  host: HostModel;
  docker?: DockerInventory;
}

/** `depends`: the verdict differs with something the rules cannot know ahead (see `Trace.depends`). */
export type SimVerdict = 'accept' | 'drop' | 'reject' | 'unknown' | 'depends';

/** The rule (1-based `index` in its chain) that decided, or the chain policy, or the kernel itself. */
export type DecidedBy =
  | {
      kind: 'rule';
      family: Family;
      table: SimTable;
      chain: string;
      index: number;
      rule: string;
      line?: number;
    }
  | { kind: 'policy'; family: Family; table: SimTable; policy: string; action: ChainPolicy }
  | { kind: 'kernel'; reason: string };

export type PathStep =
  /** The walk enters a built-in chain (a netfilter hook of one table). */
  | { kind: 'hook'; table: SimTable; chain: string; note?: string }
  | {
      kind: 'rule';
      table: SimTable;
      chain: string;
      index: number;
      rule: string;
      line?: number;
      /** Call depth: 0 in the built-in chain, 1 in a chain it jumped to, … */
      depth: number;
      matched: boolean;
      /** What the rule did when it matched: `ACCEPT`, `-> DOCKER`, `DNAT 172.17.0.2:80`, … */
      action?: string;
      note?: string;
      /** Set when the simulator cannot tell whether the rule matches. */
      unknown?: string;
      /** The conditions this branch of the walk took here: `if 10.0.0.5 is in recent list \`ssh\``. */
      assumed?: string;
    }
  | { kind: 'policy'; table: SimTable; chain: string; action: ChainPolicy }
  /** Routing, martian checks and other kernel steps between the hooks. */
  | { kind: 'event'; note: string };

export type RewriteKind = 'dnat' | 'snat' | 'masquerade' | 'redirect' | 'netmap';

export interface Rewrite {
  kind: RewriteKind;
  /** `address:port` (or address) before and after. */
  from: string;
  to: string;
  table: SimTable;
  chain: string;
  index: number;
}

export interface Trace {
  packet: Packet;
  family: Family;
  verdict: SimVerdict;
  /** For accept: the filter-table decision that let the packet through (absent without filter rules). */
  decidedBy?: DecidedBy;
  /** Why the verdict is `unknown`. */
  unknownReason?: string;
  path: PathStep[];
  rewrites: Rewrite[];
  /** Where routing sent the packet (absent when it was dropped before routing). */
  delivered?: 'local' | 'forward';
  inInterface?: string;
  /** Set when the input interface was not given but taken from the host model's route towards the source. */
  inInterfaceInferred?: boolean;
  /** Set when the host itself sends the packet (given, or its source is one of the host's addresses). */
  sentByHost?: boolean;
  outInterface?: string;
  /** Things taken as given along the way (rate limits not exceeded, first address of a NAT range, …). */
  assumptions: string[];
  /** Problems with the input (an invalid packet gives verdict `unknown` and an error here). */
  diagnostics: Diagnostic[];
  /**
   * Set when the walk met conditions (history, rates, matches not modelled) and went on both ways:
   * what the verdict depends on (`accept unless 10.0.0.5 is in recent list \`ssh\` (then drop)`),
   * or, when every branch agrees, the facts it holds regardless of.
   */
  depends?: string;
  eitherWay?: string[];
  /** Every branch: the facts it took, and how it ended. `path` above is the first branch's. */
  branches?: TraceBranch[];
}

export interface TraceBranch {
  when: Array<{ fact: string; holds: boolean; text: string }>;
  verdict: SimVerdict;
  decidedBy?: DecidedBy;
  unknownReason?: string;
  delivered?: 'local' | 'forward';
  outInterface?: string;
  path: PathStep[];
}
