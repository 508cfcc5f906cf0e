import type {
  Diagnostic,
  Family,
  NftLiveChain,
  NftLiveState,
  NftLiveTable,
  Result,
} from '../../model/index.js';
import { FAMILIES, NFT_TABLE, diag, nftFamilyOf } from '../../model/index.js';
import { canonicalJson } from '../../plan/saved-plan.js';

/**
 * Reads one of dockwall's own tables from `nft -j list table ip dockwall`: its chains (hook,
 * priority, policy), each rule's handle, comment, verdict and normalised expressions, its sets'
 * elements, and the objects themselves (what a snapshot restores). This is what the writer's read
 * back needs (not a model of nftables rules: the simulator has its own).
 */
export function readNftTableJson(text: string, family: Family, file: string): Result<NftLiveTable> {
  const diagnostics: Diagnostic[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    diagnostics.push(diag('error', 'nft.json', `${file}: not JSON: ${(e as Error).message}`));
    return { diagnostics };
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) {
    diagnostics.push(diag('error', 'nft.json', `${file}: no "nftables" array`));
    return { diagnostics };
  }
  const table: NftLiveTable = { family, name: '', chains: [], sets: [] };
  const chains = new Map<string, NftLiveChain>();
  const objects: Array<Record<string, unknown>> = [];
  for (const item of items as Array<Record<string, Record<string, unknown>>>) {
    const kind = Object.keys(item)[0];
    if (kind && kind !== 'metainfo' && item[kind] && typeof item[kind] === 'object') {
      const { handle: _handle, ...rest } = item[kind];
      objects.push({ [kind]: rest });
    }
    if (item.table) table.name = String(item.table.name);
    if (item.chain) {
      const c = item.chain;
      const chain: NftLiveChain = { name: String(c.name), rules: [] };
      if (typeof c.hook === 'string') {
        chain.hook = {
          type: String(c.type),
          hook: c.hook,
          priority: Number(c.prio),
          policy: c.policy === 'drop' ? 'drop' : 'accept',
        };
      }
      chains.set(chain.name, chain);
      table.chains.push(chain);
    }
    if (item.rule) {
      const r = item.rule;
      const chain = chains.get(String(r.chain));
      if (!chain) continue;
      const rule: NftLiveChain['rules'][number] = { handle: Number(r.handle) };
      if (typeof r.comment === 'string') rule.comment = r.comment;
      const verdict = verdictOf(r.expr);
      if (verdict) rule.verdict = verdict;
      rule.expr = normalisedExpr(r.expr);
      chain.rules.push(rule);
    }
    if (item.set) {
      const s = item.set;
      table.sets.push({
        name: String(s.name),
        type: String(s.type),
        elements: Array.isArray(s.elem) ? s.elem.map(elementText) : [],
      });
    }
  }
  // Rules last: they refer to the sets and chains, in whatever order nft printed those.
  table.objects = [...objects.filter((o) => !('rule' in o)), ...objects.filter((o) => 'rule' in o)];
  return { value: table, diagnostics };
}

/**
 * dockwall's own tables (`ip dockwall`, `ip6 dockwall`) out of a whole `nft -j list ruleset` (a saved
 * one, already read as an nftables rule set): each as `readNftTableJson` reads it, or null where the
 * rule set has none (a whole rule set shows every table there is).
 */
export function dockwallTablesOfRuleset(text: string, file: string): Result<NftLiveState> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { diagnostics: [diag('error', 'nft.json', `${file}: not JSON: ${(e as Error).message}`)] };
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items))
    return { diagnostics: [diag('error', 'nft.json', `${file}: no "nftables" array`)] };
  const out: NftLiveState = {};
  const diagnostics: Diagnostic[] = [];
  for (const family of FAMILIES) {
    const nf = nftFamilyOf(family);
    const mine = (items as Array<Record<string, Record<string, unknown> | undefined>>).filter((item) => {
      const kind = Object.keys(item)[0];
      const o = kind ? item[kind] : undefined;
      if (!o || typeof o !== 'object' || o.family !== nf) return false;
      return (kind === 'table' ? o.name : o.table) === NFT_TABLE;
    });
    if (!mine.some((item) => item.table)) {
      out[family] = null;
      continue;
    }
    const read = readNftTableJson(JSON.stringify({ nftables: mine }), family, file);
    diagnostics.push(...read.diagnostics);
    if (read.value) out[family] = read.value;
  }
  return { value: out, diagnostics };
}

/** What traffic changes in a rule without anyone changing the rule: counter and quota values. */
const TRAFFIC_KEYS = ['packets', 'bytes', 'used', 'used_unit'];

/** A rule's expressions as one string: nft's JSON with keys sorted and counter values left out. */
export function normalisedExpr(expr: unknown): string {
  return canonicalJson(expr ?? [], TRAFFIC_KEYS);
}

const VERDICTS = ['accept', 'drop', 'return', 'continue', 'reject', 'jump', 'goto', 'queue'];

function verdictOf(expr: unknown): string | undefined {
  if (!Array.isArray(expr)) return undefined;
  const last = expr[expr.length - 1] as Record<string, unknown> | undefined;
  if (!last) return undefined;
  const key = Object.keys(last).find((k) => VERDICTS.includes(k));
  if (!key) return undefined;
  const target = (last[key] as { target?: string } | null)?.target;
  return target ? `${key} ${target}` : key;
}

/** An element in nft's own words: `192.0.2.1`, `10.0.0.0/8`, `10.0.0.0-11.0.0.255`. */
function elementText(e: unknown): string {
  if (typeof e === 'string' || typeof e === 'number') return String(e);
  const o = e as {
    prefix?: { addr: string; len: number };
    range?: [unknown, unknown];
    elem?: { val: unknown };
  };
  if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`;
  if (o.range) return `${elementText(o.range[0])}-${elementText(o.range[1])}`;
  if (o.elem) return elementText(o.elem.val);
  return JSON.stringify(e);
}
