import type { IpSet, Operation, Plan } from '../model/index.js';
import { printableView } from '../model/index.js';
import { replacements } from './replacements.js';

export interface Paint {
  add(s: string): string;
  remove(s: string): string;
  change(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const NO_PAINT: Paint = {
  add: (s) => s,
  remove: (s) => s,
  change: (s) => s,
  dim: (s) => s,
  bold: (s) => s,
};

/**
 * The human view of a plan, rendered from its JSON form (so both always agree), in the manner of
 * `terraform plan`: `+` add, `-` remove, `~` move or change (a rule replaced by a new one of its name is one change), grouped by chain, and a summary line.
 */
export function renderPlanText(plan: Plan, paint: Paint = NO_PAINT): string {
  // Names, rules, comments and members come from the policy and the host: shown escaped.
  const json = printableView(withoutSetMembers(plan));
  if (json.operations.length === 0) return 'No changes. The host matches the policy.\n';
  const groups = new Map<string, string[]>();
  const pairs = replacements(json.operations);
  const replaced = new Set(pairs.values());
  for (const [i, op] of json.operations.entries()) {
    if (replaced.has(i)) continue;
    const g = groupOf(op);
    const lines = groups.get(g) ?? [];
    const old = pairs.get(i);
    lines.push(
      ...(old === undefined ? linesOf(op, paint) : replacementLines(op, json.operations[old]!, paint)),
    );
    groups.set(g, lines);
  }
  const out: string[] = ['dockwall will make these changes:', ''];
  for (const [g, lines] of groups) {
    out.push(`  ${paint.bold(g)}`);
    for (const l of lines) out.push(`    ${l}`);
    out.push('');
  }
  const s = json.summary;
  out.push(`Plan: ${s.add} to add, ${s.change} to change, ${s.remove} to remove.`);
  return out.join('\n') + '\n';
}

function groupOf(op: Operation): string {
  if ('nftFamily' in op) {
    const table = `nftables table ${op.nftFamily} ${op.nftTable}`;
    return 'chain' in op ? `${table} chain ${op.chain}` : table;
  }
  if ('family' in op) return `${op.family} ${op.table} ${op.chain}`;
  return 'ipsets';
}

/**
 * The plan without the full member lists of the sets its operations carry: only their number is
 * shown, and copying 100,000 members to escape them would cost more than the rest of the plan.
 */
function withoutSetMembers(plan: Plan): Plan {
  if (!plan.operations.some((op) => 'set' in op && typeof op.set === 'object')) return plan;
  const operations = plan.operations.map((op): Operation => {
    if (!('set' in op) || typeof op.set !== 'object') return op;
    const set = op.set as IpSet;
    return { ...op, set: { ...set, members: [] }, memberCount: set.members.length } as unknown as Operation;
  });
  return { ...plan, operations };
}

function named(name: string | undefined, paint: Paint): string {
  return name !== undefined ? paint.dim(`  # ${name}`) : '';
}

function linesOf(op: Operation, p: Paint): string[] {
  switch (op.op) {
    case 'create-chain':
      return [p.add(`+ create chain ${op.chain}`)];
    case 'delete-chain':
      return [p.remove(`- delete chain ${op.chain}`)];
    case 'insert-rule':
      return [p.add(`+ ${pad(String(op.position))}${op.rule}`) + named(op.name, p)];
    case 'delete-rule':
      return [p.remove(`- ${pad(String(op.position))}${op.rule}`) + named(op.name, p)];
    case 'move-rule':
      return [p.change(`~ ${pad(`${op.from}→${op.to}`)}${op.rule}`) + named(op.name, p)];
    case 'set-policy':
      return [p.change(`~ policy ${op.from ?? '-'} → ${op.to}`)];
    case 'create-set': {
      const n = (op as { memberCount?: number }).memberCount ?? op.set.members.length;
      return [p.add(`+ create set ${op.set.name} (${op.set.type}, ${n} member${n === 1 ? '' : 's'})`)];
    }
    case 'update-set':
      return [
        p.change(
          op.add.length + op.remove.length < op.set.members.length
            ? `~ set ${op.name} members (only these members change)`
            : `~ set ${op.name} members (reloaded and swapped in atomically)`,
        ),
        ...op.add.map((m) => p.add(`    + ${m}`)),
        ...op.remove.map((m) => p.remove(`    - ${m}`)),
      ];
    case 'replace-set':
      return [p.change(`~ replace set ${op.name} (${op.reason}), swapped in atomically`)];
    case 'destroy-set':
      return [p.remove(`- destroy set ${op.name}`)];
    case 'nft-create-table':
      return [p.add(`+ create table ${op.nftFamily} ${op.nftTable}`)];
    case 'nft-delete-table':
      return [p.remove(`- delete table ${op.nftFamily} ${op.nftTable}`)];
    case 'nft-create-chain':
      return [p.add(`+ create chain ${op.chain}${op.hook ? ` { ${op.hook} }` : ''}`)];
    case 'nft-change-chain':
      return [p.change(`~ chain ${op.chain}: ${op.from} → ${op.to}`)];
    case 'nft-delete-chain':
      return [p.remove(`- delete chain ${op.chain}`)];
    case 'nft-add-rule':
      return [p.add(`+ ${pad(String(op.position))}${op.rule}`) + named(op.name, p)];
    case 'nft-delete-rule':
      return [p.remove(`- ${pad(String(op.position))}${op.rule}`) + named(op.name, p)];
    case 'nft-update-set':
      return [
        op.create ? p.add(`+ create set ${op.set}`) : p.change(`~ set ${op.set} elements`),
        ...op.add.map((m) => p.add(`    + ${m}`)),
        ...op.remove.map((m) => p.remove(`    - ${m}`)),
      ];
    case 'nft-delete-set':
      return [p.remove(`- delete set ${op.set}`)];
  }
}

/** A rule the policy changed: `~` with the new text, then the old one. */
function replacementLines(insert: Operation, removed: Operation, p: Paint): string[] {
  if (insert.op !== 'insert-rule' || removed.op !== 'delete-rule') return linesOf(insert, p);
  return [
    p.change(`~ ${pad(String(insert.position))}${insert.rule}`) + named(insert.name, p),
    p.dim(`  ${pad('was')}${removed.rule}`),
  ];
}

function pad(s: string): string {
  return s.padEnd(6);
}
