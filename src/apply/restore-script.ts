import type { Family, IpSet, NftOperation, Operation, Plan } from '../model/index.js';
import { TABLES, iptablesOperations } from '../model/index.js';
import { memberElement } from '../parse/index.js';

/** What `apply` feeds to the kernel: ipset first, then one iptables-restore transaction per family. */
export interface RestoreScripts {
  /** `ipset -exist restore` input creating new sets; runs first, so rules can refer to them. */
  ipsetCreate: string;
  /** Names of the sets `ipsetCreate` makes (removed again if the iptables part is refused). */
  createdSets: string[];
  /**
   * `ipset -exist restore` input that changes existing sets; runs after the check. A set whose
   * members differ in fewer places than it has members gets only those members deleted and added
   * (changing 10 of 100,000 costs 10 lines); otherwise new contents are built in a temporary set and
   * swapped in. Every temporary set is created first, then filled, swapped and destroyed one at a time.
   */
  ipsetSwap: string;
  /** The temporary sets `ipsetSwap` uses (a crash may leave them behind: recovery destroys them). */
  tempSets: string[];
  /** Per family, `iptables-restore --noflush` input: one `*table … COMMIT` block per table. */
  iptables: Partial<Record<Family, string>>;
  /** `ipset restore` input that destroys sets; runs after iptables no longer refers to them. */
  ipsetAfter: string;
}

/**
 * Name of the temporary set that new contents are built in before the swap (ipset names ≤ 31 chars),
 * for a script with no apply of its own (an exported boot-time file).
 */
export function tempSetName(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `dwtmp-${h.toString(36)}`;
}

/**
 * Name of the temporary set of one apply: `dwtmp-ID-N`, from the apply's own random id, so it names no
 * set that anyone else made (the apply also checks that no set of that name exists before using it).
 */
export function applyTempSetName(applyId: string, index: number): string {
  return `dwtmp-${applyId}-${index}`;
}

/**
 * Whether a change of members is made in place, by deleting and adding just those members (fewer
 * differ than the set has): otherwise the new contents are built aside and swapped in.
 */
export function updatesInPlace(op: Extract<Operation, { op: 'update-set' }>): boolean {
  return op.add.length + op.remove.length < op.set.members.length;
}

export function buildRestoreScripts(
  plan: Plan,
  opts: { applyId?: string | undefined; firstTempIndex?: number } = {},
): RestoreScripts {
  const create: Piece[] = [];
  const created: string[] = [];
  const tempCreate: string[] = [];
  const tempSets: string[] = [];
  const swap: Piece[] = [];
  const after: string[] = [];
  const byTable = new Map<string, string[]>();
  /** Builds `set`'s contents in a temporary set of this apply and swaps them into `name` at once. */
  const swapIn = (name: string, set: IpSet) => {
    const tmp =
      opts.applyId !== undefined
        ? applyTempSetName(opts.applyId, (opts.firstTempIndex ?? 0) + tempSets.length)
        : tempSetName(name);
    tempSets.push(tmp);
    tempCreate.push(createLine(tmp, set));
    swap.push(`flush ${tmp}`, { prefix: `add ${tmp} `, members: set.members });
    swap.push(`swap ${tmp} ${name}`, `destroy ${tmp}`);
  };

  for (const op of iptablesOperations(plan.operations)) {
    switch (op.op) {
      case 'create-set':
        create.push(createLine(op.set.name, op.set), {
          prefix: `add ${op.set.name} `,
          members: op.set.members,
        });
        created.push(op.set.name);
        break;
      case 'update-set':
        // Few members differ: delete and add just those (deletions first: a member whose options
        // change is deleted and added again). Most differ: a reload is no more work, swapped at once.
        // A refused line is undone with the rest of the apply, from the snapshot.
        if (updatesInPlace(op)) {
          for (const m of op.remove) swap.push(`del ${op.name} ${memberElement(m)}`);
          for (const m of op.add) swap.push(`add ${op.name} ${m}`);
          break;
        }
        swapIn(op.name, op.set);
        break;
      case 'replace-set':
        swapIn(op.name, op.set);
        break;
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
    if (blocks.length > 0) iptables[family] = script(blocks);
  }
  return {
    ipsetCreate: create.length ? script(create) : '',
    createdSets: created,
    ipsetSwap: swap.length ? script([...tempCreate, ...swap]) : '',
    tempSets,
    iptables,
    ipsetAfter: after.length ? script(after) : '',
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
  const size = initialHashSize(set);
  return ['create', name, set.type, ...family, ...opts, ...(size ? [`hashsize ${size}`] : [])].join(' ');
}

/** ipset's default initial hash size; a set filled with more than four times as many members grows. */
const DEFAULT_HASHSIZE = 1024;
const LARGEST_HASHSIZE = 1 << 20;

/**
 * The initial hash size of a hash set the policy does not size, made for the members it is filled
 * with: a power of two, about a quarter of their number. Filled from the default of 1,024, a set of
 * 100,000 members is rehashed five times while `ipset restore` adds them (a fifth of its time). The
 * kernel's own growth ends at 32,768 or 65,536 for that set (it depends on the random `initval`), and
 * the plan never compares a size the policy does not state, so the set is the same set either way.
 */
export function initialHashSize(set: IpSet): number | undefined {
  if (!set.type.startsWith('hash:') || set.options.some(([k]) => k === 'hashsize')) return undefined;
  let size = DEFAULT_HASHSIZE;
  while (size * 4 < set.members.length && size < LARGEST_HASHSIZE) size *= 2;
  return size > DEFAULT_HASHSIZE ? size : undefined;
}

/**
 * A line of a restore script, or a run of lines `PREFIX MEMBER`, one per member: a set's members are
 * joined into the text at once, without a string per line.
 */
type Piece = string | { prefix: string; members: readonly string[] };

/**
 * The lines as one text, one buffer for the restore's standard input. Defence in depth: no value
 * may ever carry a line break into a restore file. The text is checked at once (one search for a
 * carriage return or NUL, a count of its line feeds); the lines one by one only to name a bad one.
 */
function script(pieces: Piece[]): string {
  const parts: string[] = [];
  let lines = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      parts.push(p);
      lines++;
    } else if (p.members.length > 0) {
      parts.push(p.prefix + p.members.join(`\n${p.prefix}`));
      lines += p.members.length;
    }
  }
  const text = parts.join('\n') + '\n';
  let feeds = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) feeds++;
  if (feeds === lines && !/[\r\0]/.test(text)) return text;
  for (const p of pieces) {
    for (const l of typeof p === 'string' ? [p] : p.members.map((m) => p.prefix + m)) {
      if (/[\r\n\0]/.test(l))
        throw new Error(`internal error: a restore line contains a line break: ${JSON.stringify(l)}`);
    }
  }
  return text;
}
