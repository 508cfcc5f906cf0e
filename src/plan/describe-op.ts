import type { Operation } from '../model/index.js';

/** One operation in one line, for logs and error messages (`insert-rule ipv4 filter INPUT (ssh)`). */
export function describeOperation(o: Operation, withRule = false): string {
  if ('nftFamily' in o) {
    const where = `${o.nftFamily} ${o.nftTable}`;
    if ('chain' in o) {
      const extra = 'rule' in o ? (withRule ? ` ${o.rule}` : o.name ? ` (${o.name})` : '') : '';
      return `${o.op} ${where} ${o.chain}${extra}`;
    }
    return `${o.op} ${where}${'set' in o ? ` set ${o.set}` : ''}`;
  }
  if ('family' in o) {
    const extra = withRule ? ('rule' in o ? ` ${o.rule}` : '') : 'name' in o && o.name ? ` (${o.name})` : '';
    return `${o.op} ${o.family} ${o.table} ${o.chain}${extra}`;
  }
  return `${o.op} ${'name' in o ? o.name : o.set.name}`;
}
