import type { Chain, ChainRef, Operation, Rule } from '../model/index.js';
import { commentOf, formatRule, ruleKey, unbuiltRule, unbuiltRuleBodies } from '../parse/index.js';
import type { DesiredChain } from '../compile/desired-state.js';
import { TAG_PREFIX, nameFromTag } from '../compile/ownership.js';

interface Item {
  id: number;
  key: string;
  /** Text used to delete this rule by specification: the live spelling, or the desired one. */
  text: string;
  name?: string;
}

/**
 * Operations that turn a live chain into the desired one without touching rules dockwall does not own.
 *
 * In a shared chain the result is: dockwall's rules, in policy order, at the top; then every other rule
 * in its live order. Rules already in place stay (the longest run already in order); the others move
 * (insert-then-delete is not needed: each table is applied in one atomic transaction), missing ones are
 * inserted, rules dockwall owns but no longer wants are deleted last. Positions are 1-based and refer
 * to the chain as it is when the operation runs. Several live copies of one owned rule are all deleted
 * (deletion is by specification, which takes the first copy) and the rule inserted once.
 */
export function diffChain(desired: DesiredChain, live: Chain | undefined): Operation[] {
  const ref: ChainRef = { family: desired.family, table: desired.table, chain: desired.chain };
  const family = desired.family;
  const ops: Operation[] = [];
  const { indexByKey: desiredIndex, ownNames, names } = desiredIndexOf(desired);

  let nextId = 0;
  const cur: Array<Item & { ours: boolean }> = [];
  const bodies = live && unbuiltRuleBodies(live);
  if (bodies && alreadyInPlace(desired, live!, bodies, desiredIndex, ownNames)) return ops;
  if (bodies) {
    // Read from text and not built: a body spelled exactly as a wanted rule's key is that rule
    // (a key is canonical text, and the key of a key is itself), so only the others are parsed.
    for (let i = 0; i < bodies.length; i++) {
      const body = bodies[i]!;
      const d = desiredIndex.get(body);
      if (d === undefined) {
        cur.push(liveItem(unbuiltRule(live!, i)));
        continue;
      }
      const item: Item & { ours: boolean } = { id: nextId++, key: body, text: body, ours: true };
      const n = names[d];
      if (n !== undefined) item.name = n;
      cur.push(item);
    }
  } else {
    for (const r of live?.rules ?? []) cur.push(liveItem(r));
  }
  function liveItem(r: Rule): Item & { ours: boolean } {
    const key = ruleKey(r, family);
    const ours = desired.kind === 'owned' || isOurs(r, key, desiredIndex, ownNames);
    const item: Item & { ours: boolean } = { id: nextId++, key, text: formatRule(r), ours };
    const n = nameOf(r);
    if (n !== undefined) item.name = n;
    return item;
  }

  // Keys with several live copies: delete them all, re-insert below if wanted.
  const count = new Map<string, number>();
  for (const it of cur) if (it.ours) count.set(it.key, (count.get(it.key) ?? 0) + 1);
  for (const [key, n] of count) {
    if (n < 2) continue;
    for (let i = 0; i < n; i++) {
      const at = cur.findIndex((x) => x.key === key && x.ours);
      const it = cur[at]!;
      ops.push(deleteOp(ref, at + 1, it.text, it.name));
      cur.splice(at, 1);
    }
  }

  // Live rules that can stay: owned, wanted, before the first foreign rule, in policy order (LIS).
  const firstForeign = cur.findIndex((x) => !x.ours);
  const prefix = firstForeign === -1 ? cur : cur.slice(0, firstForeign);
  const stay = longestIncreasing(
    prefix.filter((x) => desiredIndex.has(x.key)),
    (x) => desiredIndex.get(x.key)!,
  );
  const stayIds = new Set(stay.map((x) => x.id));
  const liveByKey = new Map(cur.filter((x) => x.ours).map((x) => [x.key, x] as const));

  // `last` is the index in `cur` of the rule placed just before (−1 at the top). Rules are placed
  // top-down, so it only moves forward: finding each position is not a scan of the chain.
  const placed: number[] = [];
  let last = -1;
  const indexOf = (id: number, from: number) => {
    for (let k = Math.max(0, from); k < cur.length; k++) if (cur[k]!.id === id) return k;
    return cur.findIndex((x) => x.id === id);
  };
  desired.rules.forEach((d) => {
    const existing = liveByKey.get(d.key);
    if (existing && stayIds.has(existing.id)) {
      last = indexOf(existing.id, last + 1);
      placed.push(existing.id);
      return;
    }
    if (existing) {
      const from = indexOf(existing.id, 0);
      cur.splice(from, 1);
      if (from < last) last--;
      cur.splice(last + 1, 0, existing);
      last++;
      liveByKey.delete(d.key);
      ops.push(moveOp(ref, from + 1, last + 1, existing.text, d.name));
      placed.push(existing.id);
      return;
    }
    const item = {
      id: nextId++,
      key: d.key,
      // The key is the rule in canonical spelling (ruleKey = formatRule ∘ canonicalRule).
      text: d.key,
      ours: true,
      name: d.name,
    };
    cur.splice(last + 1, 0, item);
    last++;
    ops.push(insertOp(ref, last + 1, item.text, last === cur.length - 1, d.name));
    placed.push(item.id);
  });

  const keep = new Set(placed);
  for (let at = 0; at < cur.length;) {
    const it = cur[at]!;
    if (it.ours && !keep.has(it.id)) {
      ops.push(deleteOp(ref, at + 1, it.text, it.name));
      cur.splice(at, 1);
    } else at++;
  }
  return ops;
}

/**
 * The common case of a chain read back after an apply, or checked by watch: its first rules are
 * spelled exactly as the wanted rules, in order, and none of the others is dockwall's. Then there is
 * nothing to do, and no item or index needs building.
 */
function alreadyInPlace(
  desired: DesiredChain,
  live: Chain,
  bodies: readonly string[],
  desiredIndex: ReadonlyMap<string, number>,
  ownNames: ReadonlySet<string>,
): boolean {
  const want = desired.rules;
  if (bodies.length < want.length || (desired.kind === 'owned' && bodies.length !== want.length))
    return false;
  for (let i = 0; i < want.length; i++) if (bodies[i] !== want[i]!.key) return false;
  for (let i = want.length; i < bodies.length; i++) {
    if (desiredIndex.has(bodies[i]!)) return false;
    const r = unbuiltRule(live, i);
    if (isOurs(r, ruleKey(r, desired.family), desiredIndex, ownNames)) return false;
  }
  return true;
}

/** The live rules of a chain that are dockwall's, by the same test the diff uses. */
export function ownedRules(desired: DesiredChain, live: Chain): Rule[] {
  if (desired.kind === 'owned') return [...live.rules];
  const { indexByKey, ownNames } = desiredIndexOf(desired);
  return live.rules.filter((r) => isOurs(r, ruleKey(r, desired.family), indexByKey, ownNames));
}

interface DesiredIndex {
  /** Position of each wanted rule by key. */
  indexByKey: ReadonlyMap<string, number>;
  /** Names that identify rules by their own comment (pyfw style). */
  ownNames: ReadonlySet<string>;
  /** The name a live copy of each wanted rule carries (from its comment), by position. */
  names: readonly (string | undefined)[];
}

// A desired state is planned again and again (apply's verification, every check of watch).
const INDEXES = new WeakMap<DesiredChain, DesiredIndex>();

function desiredIndexOf(desired: DesiredChain): DesiredIndex {
  let ix = INDEXES.get(desired);
  if (!ix) {
    ix = {
      indexByKey: new Map(desired.rules.map((r, i) => [r.key, i] as const)),
      ownNames: new Set(desired.rules.filter((r) => r.identity === 'own-comment').map((r) => r.name)),
      names: desired.rules.map((r) => nameOf(r.rule)),
    };
    INDEXES.set(desired, ix);
  }
  return ix;
}

/** Every rule in a chain dockwall is removing wholly (it must hold only dockwall's rules). */
export function deleteOwnedRules(ref: ChainRef, live: Chain): Operation[] {
  const ops: Operation[] = [];
  for (const r of live.rules) {
    ops.push(deleteOp(ref, 1, formatRule(r), nameOf(r)));
  }
  return ops;
}

/** Rules tagged `dockwall:` in a chain the policy no longer mentions. */
export function taggedRules(live: Chain): Rule[] {
  // Unless quotes split it, a tag is written as is: a chain read from text without it has none.
  const bodies = unbuiltRuleBodies(live);
  if (bodies && !bodies.some((b) => b.includes(TAG_PREFIX) || b.includes('"'))) return [];
  return live.rules.filter((r) => commentOf(r)?.startsWith(TAG_PREFIX));
}

function isOurs(
  r: Rule,
  key: string,
  desiredKeys: ReadonlyMap<string, number>,
  ownNames: ReadonlySet<string>,
): boolean {
  const c = commentOf(r);
  if (c !== undefined && (c.startsWith(TAG_PREFIX) || ownNames.has(c))) return true;
  return desiredKeys.has(key);
}

/** The name a live rule carries: from its `dockwall:` tag, or its whole comment (pyfw's names). */
export function nameOf(r: Rule): string | undefined {
  const c = commentOf(r);
  return nameFromTag(c) ?? c;
}

// Operations are built field by field (no spreads): a plan of 10,000 rules makes 10,000 of them.
// Key order is the JSON view's: op, family, table, chain, then the rest.

export function deleteOp(ref: ChainRef, position: number, rule: string, name: string | undefined): Operation {
  const op: Operation = {
    op: 'delete-rule',
    family: ref.family,
    table: ref.table,
    chain: ref.chain,
    position,
    rule,
  };
  if (name !== undefined) op.name = name;
  return op;
}

export function insertOp(
  ref: ChainRef,
  position: number,
  rule: string,
  append: boolean,
  name: string | undefined,
): Operation {
  const op: Operation = {
    op: 'insert-rule',
    family: ref.family,
    table: ref.table,
    chain: ref.chain,
    position,
    rule,
  };
  if (append) op.append = true;
  if (name !== undefined) op.name = name;
  return op;
}

function moveOp(ref: ChainRef, from: number, to: number, rule: string, name: string | undefined): Operation {
  const op: Operation = {
    op: 'move-rule',
    family: ref.family,
    table: ref.table,
    chain: ref.chain,
    from,
    to,
    rule,
  };
  if (name !== undefined) op.name = name;
  return op;
}

/** Longest subsequence whose `rank` strictly increases (patience sorting, O(n log n)). */
export function longestIncreasing<T>(items: T[], rank: (x: T) => number): T[] {
  const tails: number[] = [];
  const tailIdx: number[] = [];
  const prev: number[] = new Array(items.length).fill(-1);
  items.forEach((x, i) => {
    const r = rank(x);
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = r;
    tailIdx[lo] = i;
    prev[i] = lo > 0 ? tailIdx[lo - 1]! : -1;
  });
  const out: T[] = [];
  for (let i = tailIdx[tails.length - 1] ?? -1; i >= 0; i = prev[i]!) out.push(items[i]!);
  return out.reverse();
}
