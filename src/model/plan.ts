import type { Diagnostic } from './diagnostic.js';
import type { IpSet } from './ipset.js';
import type { NftFamily } from './nft.js';
import type { ChainPolicy, Family, TableName } from './ruleset.js';

export interface ChainRef {
  family: Family;
  table: TableName;
  chain: string;
}

/**
 * One step of a plan. Positions are 1-based and refer to the chain as it is when the step runs
 * (after the steps before it). Rule text is the canonical iptables-save spelling without `-A CHAIN`.
 */
export type Operation =
  | ({ op: 'create-chain' } & ChainRef)
  | ({
      op: 'insert-rule';
      position: number;
      rule: string;
      name?: string;
      /** The rule goes to the end of the chain (written `-A`, which the kernel does faster than `-I N`). */
      append?: true;
      /** The rule of the same name this one replaces (deleted by a delete-rule of this plan). */
      replaces?: string;
    } & ChainRef)
  | ({ op: 'move-rule'; from: number; to: number; rule: string; name?: string } & ChainRef)
  | ({ op: 'delete-rule'; position: number; rule: string; name?: string } & ChainRef)
  | ({ op: 'set-policy'; from: ChainPolicy | null; to: ChainPolicy } & ChainRef)
  | ({ op: 'delete-chain' } & ChainRef)
  | { op: 'create-set'; set: IpSet }
  | { op: 'update-set'; name: string; add: string[]; remove: string[]; set: IpSet }
  | { op: 'replace-set'; name: string; reason: string; set: IpSet }
  | { op: 'destroy-set'; name: string }
  | NftOperation;

/** Which of dockwall's nftables tables an nft operation is about (`ip dockwall`). */
export interface NftTableRef {
  nftFamily: NftFamily;
  nftTable: string;
}

/**
 * A difference in dockwall's own nftables tables. They are shown one by one, like iptables changes,
 * but carried out together: every table that differs is replaced whole in one `nft -f` transaction.
 */
export type NftOperation =
  | ({ op: 'nft-create-table' } & NftTableRef)
  | ({ op: 'nft-delete-table' } & NftTableRef)
  | ({ op: 'nft-create-chain'; chain: string; hook?: string } & NftTableRef)
  | ({ op: 'nft-change-chain'; chain: string; from: string; to: string } & NftTableRef)
  | ({ op: 'nft-delete-chain'; chain: string } & NftTableRef)
  | ({ op: 'nft-add-rule'; chain: string; position: number; rule: string; name?: string } & NftTableRef)
  | ({ op: 'nft-delete-rule'; chain: string; position: number; rule: string; name?: string } & NftTableRef)
  | ({ op: 'nft-update-set'; set: string; add: string[]; remove: string[]; create?: true } & NftTableRef)
  | ({ op: 'nft-delete-set'; set: string } & NftTableRef);

export function isNftOperation(op: Operation): op is NftOperation {
  return op.op.startsWith('nft-');
}

/** The operations iptables and ipset carry out (the nft ones apart). */
export function iptablesOperations(ops: readonly Operation[]): Exclude<Operation, NftOperation>[] {
  return ops.filter((o): o is Exclude<Operation, NftOperation> => !isNftOperation(o));
}

export type OperationKind = Operation['op'];

export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
}

export interface Plan {
  formatVersion: 1;
  operations: Operation[];
  summary: PlanSummary;
  diagnostics: Diagnostic[];
}
