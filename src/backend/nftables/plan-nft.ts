import { hookText, nftRuleLine, nftTableLines, nftDeleteTableLines } from '../../export/nft-table.js';
import type {
  Family,
  NftChainSpec,
  NftLiveChain,
  NftLiveSet,
  NftLiveState,
  NftOperation,
  NftSetSpec,
  NftTableRef,
  NftTableSpec,
} from '../../model/index.js';
import { nftFamilyOf } from '../../model/index.js';
import { parseAddr, parseCidr, addrToBig } from '../../sim/addr.js';
import type { NftDesired } from './for-nftables.js';

/**
 * (dockwall's tables as read, as wanted) → the differences, one operation each: tables, chains
 * (hook, priority, policy), rules and set elements. A rule is known by its comment, which carries a
 * digest of its text (`dockwall:filter/web #1a2b3c4d`), and by its verdict; anything in dockwall's
 * tables that the policy does not want is removed, since the tables are wholly dockwall's.
 */
export function planNft(live: NftLiveState | undefined, want: NftDesired): NftOperation[] {
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
    if (!have) ops.push({ op: 'nft-create-table', ...ref });
    ops.push(...diffSets(ref, spec.sets, have?.sets ?? []));
    for (const c of spec.chains)
      ops.push(
        ...diffChain(
          ref,
          c,
          have?.chains.find((x) => x.name === c.name),
        ),
      );
    for (const c of have?.chains ?? []) {
      if (!spec.chains.some((x) => x.name === c.name))
        ops.push({ op: 'nft-delete-chain', ...ref, chain: c.name });
    }
  }
  return ops;
}

function diffChain(ref: NftTableRef, want: NftChainSpec, have: NftLiveChain | undefined): NftOperation[] {
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
    const verdict = verdictOf(r.body);
    for (let i = at; i < live.length; i++) {
      if (live[i]!.comment === r.comment && live[i]!.verdict === verdict) {
        kept.add(i);
        at = i + 1;
        return true;
      }
    }
    return false;
  });
  let removed = 0;
  live.forEach((r, i) => {
    if (kept.has(i)) return;
    const op: NftOperation = {
      op: 'nft-delete-rule',
      ...ref,
      chain: want.name,
      position: i + 1 - removed++,
      rule: `handle ${r.handle}${r.verdict ? ` … ${r.verdict}` : ''}${r.comment ? ` comment "${r.comment}"` : ''}`,
    };
    const name = nameOf(r.comment);
    if (name) op.name = name;
    ops.push(op);
  });
  want.rules.forEach((r, i) => {
    if (matched[i]) return;
    const op: NftOperation = {
      op: 'nft-add-rule',
      ...ref,
      chain: want.name,
      position: i + 1,
      rule: nftRuleLine(r),
    };
    if (r.name) op.name = r.name;
    ops.push(op);
  });
  return ops;
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
