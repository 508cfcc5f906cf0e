import type { Family, Rule, TableName, ChainPolicy } from '../model/ruleset.js';
import type { Addr } from './addr.js';
import type { Bits } from './bits.js';
import { NO_FIELDS, type ProbeFields } from './probe-fields.js';
import type { Assumed, Condition, Effect } from './either-way.js';
import type { DecidedBy, PathStep, Rewrite, SimVerdict } from './types.js';

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Results of one check: the rule cannot match, it can, or the simulator cannot tell. */
export const NO = 0;
export const YES = 1;
export const UNK = 2;
export type Tri = 0 | 1 | 2;

/**
 * One packet (or, in the service matrix, one packet per source class in `srcSet`) on its way
 * through the hooks. Everything but the source is concrete; `srcSet` is null for a single packet.
 */
export class Thread {
  family: Family;
  proto: number;
  /** -1 when the packet does not say. */
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
  src: Addr;
  srcSet: Bits | null;
  origSrc: Addr;
  dst: Addr;
  origDst: Addr;
  origDport: number;
  mark = 0;
  markKnown = true;
  ctmark = 0;
  ctmarkKnown: boolean;
  state: CtState;
  /** Interfaces the packet really has, and the ones visible to rules at the current hook ('' = none). */
  inDev = '';
  outDev = '';
  inIf = '';
  outIf = '';
  local: boolean;
  hook: Hook = 'PREROUTING';
  dnat = false;
  snat = false;
  /** Source after SNAT/MASQUERADE, as conntrack's reply tuple sees it. */
  snatTo: Addr | null = null;
  delivered: 'local' | 'forward' | undefined = undefined;
  rewrites: Rewrite[] = [];
  path: PathStep[] | null;
  filterAccept: DecidedBy | undefined = undefined;
  lastAccept: DecidedBy | undefined = undefined;
  verdict: SimVerdict | undefined = undefined;
  decidedBy: DecidedBy | undefined = undefined;
  /** When several rules accepted this thread's classes at once (a run of rules, see RuleRun). */
  decisions: DecidedBy[] | null = null;
  unknownReason: string | undefined = undefined;
  /** Set by a check that returns UNK: what it could not tell. */
  why = '';
  /** MAC, owner, length, time, … as the probe gives them (shared, never changed by the walk). */
  probe: ProbeFields = NO_FIELDS;
  /** TTL (IPv6: hop limit) as rules see it now; -1 when not known. */
  ttl = -1;
  /** Where checks note what they took as given (the walk's assumptions; shared by forks). */
  assumed: Set<string> | null = null;
  /** The conditions (history, rates, unmodelled matches) this branch of the walk took a value for. */
  conds: Assumed[] | null = null;
  /**
   * Source-class threads: facts taken for some classes only, by class. A rule that splits off one
   * class and then meets a fresh condition (a per-host `-m mac` rule) gives the class back to this
   * thread with the condition false here, instead of walking it on as a thread of its own.
   */
  implicit: Map<number, Assumed[]> | null = null;
  /** `recent` lists this walk changed (`--set`, `--update`, `--remove`), by list and address. */
  recent: Map<string, RecentState> | null = null;

  constructor(init: {
    family: Family;
    proto: number;
    sport: number;
    dport: number;
    icmpType: number;
    icmpCode: number;
    src: Addr;
    srcSet: Bits | null;
    dst: Addr;
    state: CtState;
    local: boolean;
    mark: number;
    /** Record the path (a fresh one), or copy `path` from the thread being forked. */
    trace?: boolean;
    path?: PathStep[] | null;
  }) {
    this.family = init.family;
    this.proto = init.proto;
    this.sport = init.sport;
    this.dport = init.dport;
    this.icmpType = init.icmpType;
    this.icmpCode = init.icmpCode;
    this.src = init.src;
    this.srcSet = init.srcSet;
    this.origSrc = init.src;
    this.dst = init.dst;
    this.origDst = init.dst;
    this.origDport = init.dport;
    this.state = init.state;
    this.local = init.local;
    this.mark = init.mark;
    this.ctmarkKnown = init.state === 'NEW';
    this.path = init.trace ? [] : null;
    if (init.path !== undefined) this.path = init.path;
  }

  /** A copy that continues independently (for the part of `srcSet` a rule split off). */
  fork(srcSet: Bits | null): Thread {
    const t = new Thread(this);
    t.srcSet = srcSet;
    t.origSrc = this.origSrc;
    t.origDst = this.origDst;
    t.origDport = this.origDport;
    t.markKnown = this.markKnown;
    t.ctmark = this.ctmark;
    t.ctmarkKnown = this.ctmarkKnown;
    t.inDev = this.inDev;
    t.outDev = this.outDev;
    t.inIf = this.inIf;
    t.outIf = this.outIf;
    t.hook = this.hook;
    t.dnat = this.dnat;
    t.snat = this.snat;
    t.snatTo = this.snatTo;
    t.delivered = this.delivered;
    t.rewrites = this.rewrites.slice();
    t.path = this.path ? this.path.slice() : null;
    t.filterAccept = this.filterAccept;
    t.lastAccept = this.lastAccept;
    t.verdict = this.verdict;
    t.decidedBy = this.decidedBy;
    t.decisions = this.decisions;
    t.unknownReason = this.unknownReason;
    t.probe = this.probe;
    t.ttl = this.ttl;
    t.assumed = this.assumed;
    t.conds = this.conds ? this.conds.slice() : null;
    t.recent = this.recent ? new Map(this.recent) : null;
    if (this.implicit && srcSet) t.implicit = restrictImplicit(this.implicit, srcSet);
    return t;
  }

  finish(verdict: SimVerdict, decidedBy: DecidedBy | undefined, unknownReason?: string): void {
    this.verdict = verdict;
    this.decidedBy = decidedBy;
    if (unknownReason !== undefined) this.unknownReason = unknownReason;
  }
}

/** The entries of `m` for the classes in `s`. */
function restrictImplicit(m: Map<number, Assumed[]>, s: Bits): Map<number, Assumed[]> | null {
  const out = new Map<number, Assumed[]>();
  if (m.size <= s.count) {
    for (const [i, a] of m) if (s.has(i)) out.set(i, a);
  } else
    s.forEach((i) => {
      const a = m.get(i);
      if (a) out.set(i, a);
    });
  return out.size > 0 ? out : null;
}

export type Check = (t: Thread) => Tri;

/**
 * What this walk did to one `recent` list entry: `epoch` counts the changes (a fact about the list
 * before a change is another fact after it); `present` is known after `--set` (true) or a
 * `--remove` that matched (false).
 */
export interface RecentState {
  readonly epoch: number;
  readonly present: boolean | undefined;
}

/**
 * A test on the source address. In the service matrix it is evaluated for whole source classes:
 * through `ranges` when it holds on a union of address ranges, else by testing each class's first
 * address (`dynamic` when the result also depends on other packet fields).
 */
export interface SrcCrit {
  /** Identifies equal criteria so that their class masks are computed once. */
  key: string;
  negated: boolean;
  ranges?: Array<[bigint, bigint]>;
  /** Before negation; UNK when a field it needs (a port) is missing. */
  test: (a: Addr, t: Thread) => Tri;
  dynamic: boolean;
  /** Address ranges on whose edges the result may change. */
  boundaries: Array<[bigint, bigint]>;
}

export type NatKind = 'dnat' | 'snat' | 'masquerade' | 'redirect' | 'netmap';

export type CompiledTarget =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'reject'; with?: string }
  | { kind: 'return' }
  | { kind: 'none' }
  | { kind: 'chain'; chain: CompiledChain; goto: boolean }
  /** Non-terminating: LOG, MARK, CT, … `apply` changes the packet; harmless ones change nothing a rule can see. */
  | { kind: 'continue'; name: string; apply?: (t: Thread) => string | void; harmless: boolean; note?: string }
  /** A NAT target: `apply` rewrites the packet and returns the action text, or an unknown reason. */
  | {
      kind: 'nat';
      name: string;
      apply: (t: Thread, rule: CompiledRule) => { action: string } | { unknown: string };
    }
  | { kind: 'unknown'; reason: string };

export interface CompiledRule {
  /** Position in `CompiledFamily.rules`. */
  id: number;
  family: Family;
  /** An iptables table, or an nftables table as `ip docker-bridges`. */
  table: SimTable;
  /** An accept here is the filter decision (nftables rules reached from a filter hook). */
  filter?: boolean;
  chain: string;
  /** 1-based. */
  index: number;
  rule: Rule;
  checks: Check[];
  src: SrcCrit[];
  /** The `src` criteria that depend on more than the address (tested class by class). */
  srcDyn: SrcCrit[];
  /** Set when a part of the rule is not modelled: the rule's outcome is unknown whenever it is reached. */
  unknown: string | null;
  /** Matches walked both ways (history, rates, unmodelled matches); absent or empty: none. */
  conditions?: Condition[];
  /** Changes a matching rule makes for later rules (`recent --set`). */
  effects?: Effect[];
  assumptions: string[];
  target: CompiledTarget;
  /** Cached `-A CHAIN …` text and decision record. */
  text?: string;
  decided?: DecidedBy;
}

/**
 * Consecutive rules that differ only in `-s` and end in the same ACCEPT/DROP/REJECT (blocklists,
 * allow lists). Walking source classes, the engine takes such a run in one step.
 */
export interface RuleRun {
  id: number;
  rules: CompiledRule[];
  /** Index in the chain just past the run. */
  end: number;
}

export interface CompiledChain {
  table: SimTable;
  name: string;
  policy: ChainPolicy | null;
  rules: CompiledRule[];
  /** Runs by the index of their first rule. */
  runs: Array<RuleRun | undefined>;
}

export interface CompiledFamily {
  family: Family;
  chains: Map<string, CompiledChain>;
  rules: CompiledRule[];
  runCount: number;
  present: boolean;
  /** nftables base chains by hook, in priority order (absent without an nftables rule set). */
  nft?: Map<Hook, NftBase[]>;
  /** nftables tables walked from iptables-save instead, and base chains the walk does not model. */
  nftNotes?: { viaIptables: string[]; unmodelled: string[] };
}

/** An iptables table name, or an nftables table as `FAMILY NAME`. */
export type SimTable = TableName | `${string} ${string}`;

/** An nftables base chain: where it hooks in, at which priority, of which type. */
export interface NftBase {
  chain: CompiledChain;
  hook: Hook;
  prio: number;
  /** `filter`, `nat` or `route`. */
  type: string;
  policy: ChainPolicy;
  /** Table and chain as nft names them, for the trace. */
  table: SimTable;
}

export function chainKey(table: TableName, chain: string): string {
  return `${table} ${chain}`;
}
