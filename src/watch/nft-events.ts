import type { DesiredState } from '../compile/index.js';
import { nftFamilyOf } from '../model/index.js';

/**
 * The kernel's own change events, as `nft monitor` prints them, read as data. Every change to
 * nf_tables is one line (`add rule ip filter INPUT …`, `delete rule ip filter DOCKWALL-FILTER handle
 * 7`, `delete table ip dockwall`), and each transaction ends with the line naming who made it:
 * `# new generation 9 by process 20100 (iptables)`. iptables-nft writes nf_tables, so its changes
 * appear here too; iptables-legacy's and ipset's do not.
 */

/** One changed object: `op object family table [name]` (name: the chain of a rule, a chain's or set's own). */
export interface NftChange {
  op: string;
  object: string;
  family: string;
  table: string;
  name?: string;
}

/** The end of one transaction: its generation and the process that committed it. */
export interface NftGeneration {
  id: number;
  pid: number;
  process: string;
}

export type NftMonitorLine =
  { kind: 'change'; change: NftChange } | { kind: 'generation'; generation: NftGeneration };

const GENERATION = /^# new generation (\d+) by process (\d+) \((.*)\)\s*$/;
const CHANGE =
  /^(add|create|insert|replace|delete|destroy|flush|reset) (\w+) (\w+) ("[^"]*"|\S+)(?: ("[^"]*"|[^\s{]+))?/;

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** One line of `nft monitor`; undefined for what is neither a change nor a generation (comments, blanks). */
export function parseNftMonitorLine(line: string): NftMonitorLine | undefined {
  const g = GENERATION.exec(line);
  if (g) return { kind: 'generation', generation: { id: Number(g[1]), pid: Number(g[2]), process: g[3]! } };
  const c = CHANGE.exec(line);
  if (!c) return undefined;
  const change: NftChange = { op: c[1]!, object: c[2]!, family: c[3]!, table: unquote(c[4]!) };
  // `add table ip filter { … }` and `delete rule ip filter CHAIN handle 7` alike: the word after the
  // table names a chain, set or object, except for tables themselves.
  if (c[5] !== undefined && change.object !== 'table') change.name = unquote(c[5]);
  return { kind: 'change', change };
}

/** A transaction: its changes, and who committed it. */
export interface NftTransaction {
  changes: NftChange[];
  /** More changes were made than kept (`maxChanges`): the transaction may have touched anything. */
  truncated: boolean;
  generation: NftGeneration;
}

/**
 * Collects changes until their transaction's generation line; `push` returns the finished
 * transaction then. At most `maxChanges` are kept (a transaction of 100,000 rules need not be held
 * in memory): beyond that the transaction is marked truncated.
 */
export class NftTransactionReader {
  private changes: NftChange[] = [];
  private truncated = false;

  constructor(private readonly maxChanges = 1000) {}

  push(line: string): NftTransaction | undefined {
    const parsed = parseNftMonitorLine(line);
    if (!parsed) return undefined;
    if (parsed.kind === 'change') {
      if (this.changes.length < this.maxChanges) this.changes.push(parsed.change);
      else this.truncated = true;
      return undefined;
    }
    const tx = { changes: this.changes, truncated: this.truncated, generation: parsed.generation };
    this.changes = [];
    this.truncated = false;
    return tx;
  }
}

/** What dockwall keeps: chains (`ip filter DOCKWALL-FILTER`) and whole tables of its own (`ip dockwall`). */
export interface NftWatchScope {
  chains: ReadonlySet<string>;
  tables: ReadonlySet<string>;
}

const tableKey = (family: string, table: string) => `${family} ${table}`;
const chainKey = (family: string, table: string, chain: string) => `${family} ${table} ${chain}`;

/** The chains and nftables tables a desired state puts rules in, as `nft monitor` names them. */
export function nftWatchScope(desired: DesiredState): NftWatchScope {
  const chains = new Set<string>();
  for (const c of desired.chains)
    if (desired.families.includes(c.family)) chains.add(chainKey(nftFamilyOf(c.family), c.table, c.chain));
  const tables = new Set<string>();
  for (const t of desired.nft?.tables ?? []) tables.add(tableKey(nftFamilyOf(t.family), t.name));
  return { chains, tables };
}

/** Whether a change can have touched what the scope keeps. */
export function touchesScope(change: NftChange, scope: NftWatchScope): boolean {
  const table = tableKey(change.family, change.table);
  if (scope.tables.has(table)) return true;
  if (change.object === 'table') {
    for (const c of scope.chains) if (c.startsWith(`${table} `)) return true;
    return false;
  }
  if (change.object !== 'rule' && change.object !== 'chain') return false;
  return change.name !== undefined && scope.chains.has(chainKey(change.family, change.table, change.name));
}

/**
 * Whether a transaction asks for a reconcile: someone other than dockwall (its own commands'
 * pids are `own`) changed something the scope keeps.
 */
export function needsReconcile(
  tx: NftTransaction,
  scope: NftWatchScope,
  own: (pid: number) => boolean,
): boolean {
  if (own(tx.generation.pid)) return false;
  return tx.truncated || tx.changes.some((c) => touchesScope(c, scope));
}
