import { hookText, nftRuleLine, nftTableLines, nftDeleteTableLines } from '../../export/nft-table.js';
import { createHash } from 'node:crypto';
import type {
  Family,
  NftExpected,
  NftHookSpec,
  NftLiveChain,
  NftLiveRule,
  NftLiveSet,
  NftLiveState,
  NftLiveTable,
  NftOperation,
  NftSetSpec,
  NftTableRef,
  NftTableSpec,
  Operation,
} from '../../model/index.js';
import { NFT_TABLE, isNftOperation, nftFamilyOf } from '../../model/index.js';
import { canonicalJson } from '../../plan/saved-plan.js';
import { parseAddr, parseCidr, addrToBig } from '../../sim/addr.js';
import type { NftDesired } from './for-nftables.js';

/**
 * (dockwall's tables as read, as wanted) → the differences, one operation each: tables, chains
 * (hook, priority, policy), rules and set elements. A rule is known by its comment, which carries a
 * digest of its text (`dockwall:filter/web #1a2b3c4d`), by its verdict and, where `expected` says what
 * nft makes of the wanted rule, by its whole content (a rule edited in place that kept its comment
 * and verdict differs); anything in dockwall's tables that the policy does not want is removed,
 * since the tables are wholly dockwall's.
 */
export function planNft(
  live: NftLiveState | undefined,
  want: NftDesired,
  expected?: NftExpected,
): NftOperation[] {
  const ops: NftOperation[] = [];
  for (const family of want.families) {
    if (!live || !(family in live)) continue;
    const have = live[family] ?? null;
    const spec = want.tables.find((t) => t.family === family);
    const ref: NftTableRef = { nftFamily: nftFamilyOf(family), nftTable: spec?.name ?? have?.name ?? '' };
    if (!spec) {
      if (have) ops.push({ op: 'nft-delete-table', ...ref });
      continue;
    }
    const exp = expected?.[family];
    ops.push(
      ...diffTable(
        ref,
        {
          sets: spec.sets,
          chains: spec.chains.map((c) => ({
            name: c.name,
            ...(c.hook ? { hook: c.hook } : {}),
            rules: c.rules.map((r) => {
              const w: WantedRule = { comment: r.comment, text: nftRuleLine(r) };
              const verdict = verdictOf(r.body);
              if (verdict) w.verdict = verdict;
              const expr = exp?.[expectedKey(c.name, r.comment)];
              if (expr !== undefined) w.expr = expr;
              if (r.name) w.name = r.name;
              return w;
            }),
          })),
        },
        have,
      ),
    );
  }
  return ops;
}

/** A rule as a diff wants it: how it is known (comment, verdict, content when known) and shown. */
interface WantedRule {
  comment: string | undefined;
  verdict?: string;
  expr?: string;
  text: string;
  name?: string;
}

interface WantedTable {
  sets: NftSetSpec[];
  chains: Array<{ name: string; hook?: NftHookSpec; rules: WantedRule[] }>;
}

function diffTable(ref: NftTableRef, want: WantedTable, have: NftLiveTable | null): NftOperation[] {
  const ops: NftOperation[] = [];
  if (!have) ops.push({ op: 'nft-create-table', ...ref });
  ops.push(...diffSets(ref, want.sets, have?.sets ?? []));
  for (const c of want.chains)
    ops.push(
      ...diffChain(
        ref,
        c,
        have?.chains.find((x) => x.name === c.name),
      ),
    );
  for (const c of have?.chains ?? []) {
    if (!want.chains.some((x) => x.name === c.name))
      ops.push({ op: 'nft-delete-chain', ...ref, chain: c.name });
  }
  return ops;
}

/** The key of `NftExpected` for one rule. */
export function expectedKey(chain: string, comment: string | undefined): string {
  return `${chain} ${comment ?? ''}`;
}

/** What nft made of each rule of a table as read: the `NftExpected` of a table loaded from wanted rules. */
export function expectedOf(table: NftLiveTable): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of table.chains)
    for (const r of c.rules) if (r.expr !== undefined) out[expectedKey(c.name, r.comment)] = r.expr;
  return out;
}

function diffChain(
  ref: NftTableRef,
  want: WantedTable['chains'][number],
  have: NftLiveChain | undefined,
): NftOperation[] {
  const ops: NftOperation[] = [];
  const wantHook = want.hook ? hookText(want.hook) : 'regular chain';
  if (!have) {
    ops.push({ op: 'nft-create-chain', ...ref, chain: want.name, ...(want.hook ? { hook: wantHook } : {}) });
  } else {
    const haveHook = have.hook ? hookText(have.hook) : 'regular chain';
    if (haveHook !== wantHook)
      ops.push({ op: 'nft-change-chain', ...ref, chain: want.name, from: haveHook, to: wantHook });
  }
  const live = have?.rules ?? [];
  // The wanted rules that are there, in order (a greedy subsequence); the rest is removed or added.
  const kept = new Set<number>();
  let at = 0;
  const matched: boolean[] = want.rules.map((r) => {
    for (let i = at; i < live.length; i++) {
      const l = live[i]!;
      if (l.comment !== r.comment || l.verdict !== r.verdict) continue;
      if (r.expr !== undefined && l.expr !== r.expr) continue;
      kept.add(i);
      at = i + 1;
      return true;
    }
    return false;
  });
  let removed = 0;
  live.forEach((r, i) => {
    if (kept.has(i)) return;
    const edited = want.rules.some((w) => w.comment === r.comment && w.verdict === r.verdict);
    const op: NftOperation = {
      op: 'nft-delete-rule',
      ...ref,
      chain: want.name,
      position: i + 1 - removed++,
      rule: `${liveRuleText(r)}${edited ? ' (edited in place: its content is not what dockwall wrote)' : ''}`,
    };
    const name = nameOf(r.comment);
    if (name) op.name = name;
    ops.push(op);
  });
  want.rules.forEach((r, i) => {
    if (matched[i]) return;
    const op: NftOperation = { op: 'nft-add-rule', ...ref, chain: want.name, position: i + 1, rule: r.text };
    if (r.name) op.name = r.name;
    ops.push(op);
  });
  return ops;
}

/** A live rule in words, from what the reader keeps: `handle 7 … drop comment "dockwall:x #…"`. */
function liveRuleText(r: NftLiveRule): string {
  return `handle ${r.handle}${r.verdict ? ` … ${r.verdict}` : ''}${r.comment ? ` comment "${r.comment}"` : ''}`;
}

/** One of dockwall's tables as a snapshot holds it: null when it did not exist. */
export interface NftTableSnapshot {
  family: Family;
  table: NftLiveTable | null;
  /**
   * The table as `nft list table` printed it when the snapshot was taken: what a restore loads back
   * (nft's JSON leaves out set flags such as `auto-merge`; its text loads back exactly). Absent in
   * snapshots of older versions, and for a table that did not exist.
   */
  text?: string;
}

/**
 * What puts dockwall's nftables tables back as a snapshot recorded them, one operation per
 * difference (a table that did not exist is deleted). A table that was not read is restored whole.
 */
export function planNftRestore(
  current: NftLiveState | undefined,
  snaps: readonly NftTableSnapshot[],
): NftOperation[] {
  const ops: NftOperation[] = [];
  for (const s of snaps) {
    const ref: NftTableRef = { nftFamily: nftFamilyOf(s.family), nftTable: s.table?.name || NFT_TABLE };
    const live = current?.[s.family];
    if (!s.table) {
      if (live !== null) ops.push({ op: 'nft-delete-table', ...ref });
      continue;
    }
    const want: WantedTable = {
      sets: s.table.sets.map((x) => ({
        name: x.name,
        type: x.type as NftSetSpec['type'],
        interval: false,
        elements: x.elements.map((element) => ({ element })),
      })),
      chains: s.table.chains.map((c) => ({
        name: c.name,
        ...(c.hook ? { hook: c.hook } : {}),
        rules: c.rules.map((r) => {
          const w: WantedRule = { comment: r.comment, text: liveRuleText(r) };
          if (r.verdict) w.verdict = r.verdict;
          if (r.expr !== undefined) w.expr = r.expr;
          const name = nameOf(r.comment);
          if (name) w.name = name;
          return w;
        }),
      })),
    };
    if (live === undefined) {
      ops.push({ op: 'nft-delete-table', ...ref }, ...diffTable(ref, want, null));
      continue;
    }
    ops.push(...diffTable(ref, want, live));
  }
  return ops;
}

/**
 * The one transaction that restores the tables of these snapshots whose family the operations
 * touch: each declared and deleted, then, if it existed, created again as it was. Where every such
 * table that existed was recorded as `nft list table` printed it, that text is loaded back (`nft -f`):
 * it keeps everything nft shows, `auto-merge` included. Otherwise (a snapshot of an older version) it
 * is nft's JSON (`nft -j -f`), made of the objects nft printed. Empty when no operation is about them.
 */
export function nftRestoreScript(snaps: readonly NftTableSnapshot[], ops: readonly Operation[]): string {
  const touched = nftFamiliesOf(ops.filter(isNftOperation));
  const todo = snaps.filter((s) => touched.includes(s.family));
  if (todo.length === 0) return '';
  if (todo.every((s) => !s.table || s.text !== undefined)) return todo.map(nftRestoreText).join('');

  const commands: Array<Record<string, unknown>> = [];
  for (const s of todo) {
    const table = { family: nftFamilyOf(s.family), name: s.table?.name || NFT_TABLE };
    commands.push({ add: { table } }, { delete: { table } });
    for (const o of s.table?.objects ?? []) commands.push({ add: o });
  }
  return JSON.stringify({ nftables: commands }) + '\n';
}

/** One table's part of a restore from its text: declared, deleted, and (if it existed) loaded back. */
export function nftRestoreText(s: NftTableSnapshot): string {
  const table = `table ${nftFamilyOf(s.family)} ${s.table?.name || NFT_TABLE}`;
  const lines = [table, `delete ${table}`];
  if (s.table && s.text !== undefined) lines.push(s.text.replace(/\n+$/, ''));
  return lines.join('\n') + '\n';
}

/**
 * Whether `text` is one table as `nft list table FAMILY NAME` prints it, and nothing else: what a
 * snapshot may load back as it is.
 */
export function isNftTableListing(text: string, family: Family, name: string): boolean {
  const head = `table ${nftFamilyOf(family)} ${name} {\n`;
  if (!text.startsWith(head) || !/\n\}\n*$/.test(text)) return false;
  // One table: no other line starts a table, and no line closes one before the end.
  const body = text.slice(head.length).replace(/\n\}\n*$/, '');
  return !/^(table|\}|delete|flush|add|create|insert|replace|destroy|include|define)\b/m.test(body);
}

/** A digest of a table's content as read (chains, hooks, rules, set elements; not handles or counters). */
export function nftTableDigest(table: NftLiveTable | null | undefined): string {
  if (!table) return 'absent';
  const content = {
    chains: table.chains.map((c) => ({
      name: c.name,
      hook: c.hook ? hookText(c.hook) : null,
      rules: c.rules.map((r) => [r.comment ?? null, r.verdict ?? null, r.expr ?? null]),
    })),
    sets: table.sets.map((x) => ({ name: x.name, type: x.type, elements: [...x.elements].sort() })),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** The verdict a written rule ends in, as the reader tells it from nft's JSON. */
export function verdictOf(body: string): string | undefined {
  const jump = /\b(jump|goto) (\S+)$/.exec(body);
  if (jump) return `${jump[1]} ${jump[2]}`;
  if (/\breject\b/.test(body)) return 'reject';
  return /\b(accept|drop|return|continue)$/.exec(body)?.[1];
}

function nameOf(comment: string | undefined): string | undefined {
  return comment?.replace(/ #[0-9a-f]{8}$/, '').replace(/^dockwall:/, '');
}

function diffSets(ref: NftTableRef, want: NftSetSpec[], have: NftLiveSet[]): NftOperation[] {
  const ops: NftOperation[] = [];
  for (const s of want) {
    const live = have.find((x) => x.name === s.name);
    const wantEls = s.elements.map((e) => e.element);
    if (!live || live.type !== s.type) {
      ops.push({
        op: 'nft-update-set',
        ...ref,
        set: s.name,
        add: wantEls,
        remove: live?.elements ?? [],
        create: true,
      });
      continue;
    }
    if (sameCover(wantEls, live.elements)) continue;
    const liveCover = cover(live.elements);
    const wantCover = cover(wantEls);
    ops.push({
      op: 'nft-update-set',
      ...ref,
      set: s.name,
      add: wantEls.filter((e) => !covered(cover([e]), liveCover)),
      remove: live.elements.filter((e) => !covered(cover([e]), wantCover)),
    });
  }
  for (const s of have) {
    if (!want.some((x) => x.name === s.name)) ops.push({ op: 'nft-delete-set', ...ref, set: s.name });
  }
  return ops;
}

type Interval = [bigint, bigint];

/** The addresses the elements cover, as sorted, merged intervals (nft merges and splits them freely). */
function cover(elements: readonly string[]): Interval[] {
  const out: Interval[] = [];
  for (const e of elements) {
    const dash = e.indexOf('-');
    if (dash > 0) {
      const a = parseAddr(e.slice(0, dash));
      const b = parseAddr(e.slice(dash + 1));
      if (a && b) out.push([addrToBig(a), addrToBig(b)]);
      continue;
    }
    const c = parseCidr(e);
    if (c) out.push([c.start, c.end]);
  }
  out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const merged: Interval[] = [];
  for (const iv of out) {
    const last = merged[merged.length - 1];
    if (last && iv[0] <= last[1] + 1n) {
      if (iv[1] > last[1]) last[1] = iv[1];
    } else merged.push([iv[0], iv[1]]);
  }
  return merged;
}

function sameCover(a: readonly string[], b: readonly string[]): boolean {
  const x = cover(a);
  const y = cover(b);
  return x.length === y.length && x.every((iv, i) => iv[0] === y[i]![0] && iv[1] === y[i]![1]);
}

function covered(part: Interval[], whole: Interval[]): boolean {
  return part.every(([lo, hi]) => whole.some(([a, b]) => a <= lo && hi <= b));
}

/**
 * The one `nft -f` transaction that makes dockwall's tables as wanted: every table that differs is
 * replaced whole (declared, deleted and filled again), a table no longer wanted is deleted.
 */
export function nftTransaction(want: NftDesired, ops: readonly NftOperation[]): string {
  const lines: string[] = [];
  for (const family of want.families) {
    const nf = nftFamilyOf(family);
    if (!ops.some((o) => o.nftFamily === nf)) continue;
    const spec: NftTableSpec | undefined = want.tables.find((t) => t.family === family);
    lines.push(
      ...(spec
        ? nftTableLines(spec)
        : nftDeleteTableLines(family, ops.find((o) => o.nftFamily === nf)!.nftTable)),
    );
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** Families whose table the operations change. */
export function nftFamiliesOf(ops: readonly NftOperation[]): Family[] {
  const out: Family[] = [];
  if (ops.some((o) => o.nftFamily === 'ip')) out.push('ipv4');
  if (ops.some((o) => o.nftFamily === 'ip6')) out.push('ipv6');
  return out;
}
