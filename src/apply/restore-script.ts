import type { Family, IpSet, NftOperation, Operation, Plan } from '../model/index.js';
import { TABLES, iptablesOperations } from '../model/index.js';

/** What `apply` feeds to the kernel: ipset first, then one iptables-restore transaction per family. */
export interface RestoreScripts {
  /** `ipset -exist restore` input creating new sets; runs first, so rules can refer to them. */
  ipsetCreate: string;
  /** Names of the sets `ipsetCreate` makes (removed again if the iptables part is refused). */
  createdSets: string[];
  /** `ipset -exist restore` input that swaps new contents into existing sets; runs after the check. */
  ipsetSwap: string;
  /** Per family, `iptables-restore --noflush` input: one `*table … COMMIT` block per table. */
  iptables: Partial<Record<Family, string>>;
  /** `ipset restore` input that destroys sets; runs after iptables no longer refers to them. */
  ipsetAfter: string;
}

/** Name of the temporary set that new contents are built in before the swap (ipset names ≤ 31 chars). */
export function tempSetName(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `dwtmp-${h.toString(36)}`;
}

export function buildRestoreScripts(plan: Plan): RestoreScripts {
  const create: string[] = [];
  const created: string[] = [];
  const swap: string[] = [];
  const after: string[] = [];
  const byTable = new Map<string, string[]>();

  for (const op of iptablesOperations(plan.operations)) {
    switch (op.op) {
      case 'create-set':
        create.push(createLine(op.set.name, op.set), ...op.set.members.map((m) => `add ${op.set.name} ${m}`));
        created.push(op.set.name);
        break;
      case 'update-set':
      case 'replace-set': {
        const tmp = tempSetName(op.name);
        swap.push(
          createLine(tmp, op.set),
          `flush ${tmp}`,
          ...op.set.members.map((m) => `add ${tmp} ${m}`),
          `swap ${tmp} ${op.name}`,
          `destroy ${tmp}`,
        );
        break;
      }
      case 'destroy-set':
        after.push(`destroy ${op.name}`);
        break;
      default: {
        const key = `${op.family}/${op.table}`;
        const lines = byTable.get(key) ?? [];
        lines.push(...tableLines(op));
        byTable.set(key, lines);
      }
    }
  }

  const iptables: Partial<Record<Family, string>> = {};
  for (const family of ['ipv4', 'ipv6'] as const) {
    const blocks: string[] = [];
    for (const table of TABLES) {
      const lines = byTable.get(`${family}/${table}`);
      if (!lines) continue;
      blocks.push(`*${table}`, ...lines, 'COMMIT');
    }
    if (blocks.length > 0) iptables[family] = checkLines(blocks).join('\n') + '\n';
  }
  return {
    ipsetCreate: create.length ? checkLines(create).join('\n') + '\n' : '',
    createdSets: created,
    ipsetSwap: swap.length ? checkLines(swap).join('\n') + '\n' : '',
    iptables,
    ipsetAfter: after.length ? checkLines(after).join('\n') + '\n' : '',
  };
}

function tableLines(
  op: Exclude<Operation, { op: 'create-set' | 'update-set' | 'replace-set' | 'destroy-set' } | NftOperation>,
): string[] {
  switch (op.op) {
    case 'create-chain':
      return [`:${op.chain} - [0:0]`];
    case 'insert-rule':
      return [op.append ? `-A ${op.chain} ${op.rule}` : `-I ${op.chain} ${op.position} ${op.rule}`];
    case 'move-rule':
      return [`-D ${op.chain} ${op.rule}`, `-I ${op.chain} ${op.to} ${op.rule}`];
    case 'delete-rule':
      return [`-D ${op.chain} ${op.rule}`];
    case 'set-policy':
      return [`-P ${op.chain} ${op.to}`];
    case 'delete-chain':
      return [`-X ${op.chain}`];
  }
}

function createLine(name: string, set: IpSet): string {
  const opts = set.options.map(([k, v]) => (v === true ? k : `${k} ${v}`));
  const family =
    set.type.startsWith('list:') || set.type.startsWith('bitmap:') ? [] : [`family ${set.family ?? 'inet'}`];
  return ['create', name, set.type, ...family, ...opts].join(' ');
}

/** Defence in depth: no value may ever carry a line break into a restore file. */
function checkLines(lines: string[]): string[] {
  for (const l of lines) {
    if (/[\r\n\0]/.test(l))
      throw new Error(`internal error: a restore line contains a line break: ${JSON.stringify(l)}`);
  }
  return lines;
}
