import type { Diagnostic } from './diagnostic.js';
import type { IpSet } from './ipset.js';
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
  | { op: 'destroy-set'; name: string };

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
