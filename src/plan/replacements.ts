import type { Operation } from '../model/index.js';

type RuleOp = Extract<Operation, { op: 'insert-rule' | 'delete-rule' }>;

/**
 * A rule the policy changed: dockwall's rule of one name in one chain is deleted and a new one of
 * the same name inserted. Counted and shown as one change (`~`), as terraform shows a replacement.
 * Returns, for each such insert-rule's index, the index of the delete-rule it replaces.
 */
export function replacements(ops: readonly Operation[]): Map<number, number> {
  const deletes = new Map<string, number[]>();
  ops.forEach((o, i) => {
    if (o.op !== 'delete-rule' || o.name === undefined) return;
    const k = keyOf(o);
    deletes.set(k, [...(deletes.get(k) ?? []), i]);
  });
  const pairs = new Map<number, number>();
  ops.forEach((o, i) => {
    if (o.op !== 'insert-rule' || o.name === undefined) return;
    const d = deletes.get(keyOf(o))?.shift();
    if (d !== undefined) pairs.set(i, d);
  });
  return pairs;
}

/** Marks each replacing insert with the rule it replaces (`replaces`), for the JSON view. */
export function markReplacements(ops: Operation[]): void {
  for (const [ins, del] of replacements(ops)) {
    const insert = ops[ins] as Extract<Operation, { op: 'insert-rule' }>;
    insert.replaces = (ops[del] as Extract<Operation, { op: 'delete-rule' }>).rule;
  }
}

function keyOf(o: RuleOp): string {
  return `${o.family}\0${o.table}\0${o.chain}\0${o.name ?? ''}`;
}
