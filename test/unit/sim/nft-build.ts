import type { NftRuleset } from '../../../src/model/index.js';
import { parseNftJson } from '../../../src/parse/index.js';

/**
 * A small builder of `nft -j list ruleset` documents for the simulator's tests. The JSON is
 * printed one object per line and parsed with parseNftJson, so every expression has a position.
 */

export interface ChainDef {
  base?: { type?: string; hook: string; prio: number; policy?: 'accept' | 'drop' };
  rules?: Array<unknown[] | { expr: unknown[]; comment?: string }>;
}

export interface TableDef {
  family?: string;
  name: string;
  chains: Record<string, ChainDef>;
  sets?: Array<Record<string, unknown>>;
}

export function nftText(tables: TableDef[]): string {
  const items: unknown[] = [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }];
  for (const t of tables) {
    const family = t.family ?? 'ip';
    items.push({ table: { family, name: t.name, handle: 1 } });
    for (const s of t.sets ?? []) {
      const kind = 'map' in s ? 'map' : 'set';
      items.push({ [kind]: { family, table: t.name, ...s } });
    }
    for (const [name, c] of Object.entries(t.chains)) {
      const base = c.base
        ? {
            type: c.base.type ?? 'filter',
            hook: c.base.hook,
            prio: c.base.prio,
            policy: c.base.policy ?? 'accept',
          }
        : {};
      items.push({ chain: { family, table: t.name, name, ...base } });
    }
    for (const [name, c] of Object.entries(t.chains))
      for (const r of c.rules ?? []) {
        const { expr, comment } = Array.isArray(r) ? { expr: r, comment: undefined } : r;
        items.push({ rule: { family, table: t.name, chain: name, expr, ...(comment ? { comment } : {}) } });
      }
  }
  return `{"nftables": [\n${items.map((i) => JSON.stringify(i)).join(',\n')}\n]}\n`;
}

export function nft(tables: TableDef[]): NftRuleset {
  const r = parseNftJson(nftText(tables), { file: 'test.json' });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
}

export const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
export const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
export const meta = (key: string) => ({ meta: { key } });
export const ct = (key: string, dir?: string, family?: string) => ({
  ct: { key, ...(dir ? { dir } : {}), ...(family ? { family } : {}) },
});
export const prefix = (addr: string, len: number) => ({ prefix: { addr, len } });
export const ACCEPT = { accept: null };
export const DROP = { drop: null };
export const RETURN = { return: null };
export const COUNTER = { counter: { packets: 0, bytes: 0 } };
export const jump = (target: string) => ({ jump: { target } });
export const goto = (target: string) => ({ goto: { target } });
