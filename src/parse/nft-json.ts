import { diag, type Diagnostic, type Result, type SourcePos } from '../model/diagnostic.js';
import {
  NFT_FAMILIES,
  nftTableKey,
  type NftBaseChain,
  type NftChain,
  type NftElement,
  type NftExpr,
  type NftFamily,
  type NftRule,
  type NftRuleset,
  type NftSet,
  type NftTable,
} from '../model/nft.js';
import { parseJsonWithPositions } from './json-positions.js';

/**
 * Reads `nft -j list ruleset` (libnftables-json(5)) into an NftRuleset. Text that is not JSON, or
 * JSON of another shape, gives an error diagnostic with file, line and column and no value; nothing
 * is thrown. Expressions are kept as printed, with positions, for the simulator to interpret.
 */

export interface NftJsonOptions {
  file: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects nft lists beside tables that change no verdict the simulator gives. */
const IGNORED = new Set([
  'metainfo',
  'counter',
  'quota',
  'ct helper',
  'ct timeout',
  'ct expectation',
  'limit',
  'secmark',
  'synproxy',
  'flowtable',
]);

/** Whether text looks like `nft -j` output (a JSON object whose first key is `nftables`). */
export function looksLikeNftJson(text: string): boolean {
  return /^\s*\{\s*"nftables"\s*:/.test(text);
}

export function parseNftJson(text: string, opts: NftJsonOptions): Result<NftRuleset> {
  const parsed = parseJsonWithPositions(text);
  const file = opts.file;
  if (!parsed.ok) {
    return {
      diagnostics: [
        diag(
          'error',
          'parse.nft-not-json',
          `not JSON: ${parsed.message}`,
          { file, line: parsed.line, column: parsed.column },
          {
            hint: 'save the rule set with `nft -j list ruleset > FILE`',
          },
        ),
      ],
    };
  }
  const diagnostics: Diagnostic[] = [];
  const start: SourcePos = { file, line: 1, column: 1 };
  const posOf = (node: unknown, fallback: SourcePos): SourcePos => {
    const w = typeof node === 'object' && node !== null ? parsed.where(node) : undefined;
    return w ? { file, line: w.line, column: w.column } : fallback;
  };
  const bad = (node: unknown, fallback: SourcePos, message: string) =>
    diagnostics.push(diag('error', 'parse.nft-shape', message, posOf(node, fallback)));

  const root = parsed.value;
  const list = isObj(root) ? root['nftables'] : undefined;
  if (!Array.isArray(list)) {
    bad(root, start, 'expected an object {"nftables": [...]} as `nft -j list ruleset` prints it');
    return { diagnostics };
  }
  const out: NftRuleset = { tables: [] };
  const tables = new Map<string, NftTable>();
  const ignored = new Map<string, number>();

  const str = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
  const int = (o: Obj, k: string): number | undefined =>
    typeof o[k] === 'number' && Number.isInteger(o[k]) ? o[k] : undefined;
  const tableOf = (o: Obj, what: string, pos: SourcePos): NftTable | undefined => {
    const family = str(o, 'family');
    const name = str(o, 'table');
    if (family === undefined || name === undefined) {
      bad(o, pos, `${what} needs "family" and "table" strings`);
      return undefined;
    }
    const t = tables.get(`${family} ${name}`);
    if (!t) bad(o, pos, `${what} belongs to table ${family} ${name}, which was not listed before it`);
    return t;
  };

  for (const item of list) {
    const pos = posOf(item, start);
    const keys = isObj(item) ? Object.keys(item) : [];
    if (!isObj(item) || keys.length !== 1) {
      bad(
        item,
        pos,
        'each entry of "nftables" must be an object with one key (table, chain, rule, set, map, …)',
      );
      continue;
    }
    const kind = keys[0]!;
    const body = item[kind];
    if (IGNORED.has(kind) || kind === 'element') {
      if (kind !== 'metainfo') ignored.set(kind, (ignored.get(kind) ?? 0) + 1);
      else if (isObj(body) && typeof body['version'] === 'string') out.version = body['version'];
      continue;
    }
    if (!isObj(body)) {
      bad(item, pos, `"${kind}" must hold an object`);
      continue;
    }
    switch (kind) {
      case 'table': {
        const family = str(body, 'family');
        const name = str(body, 'name');
        if (family === undefined || name === undefined || !NFT_FAMILIES.includes(family as NftFamily)) {
          bad(body, pos, `a table needs "family" (one of ${NFT_FAMILIES.join(', ')}) and "name"`);
          continue;
        }
        const t: NftTable = { family: family as NftFamily, name, chains: [], sets: [], pos };
        const h = int(body, 'handle');
        if (h !== undefined) t.handle = h;
        if (tables.has(nftTableKey(t))) {
          bad(body, pos, `table ${nftTableKey(t)} is listed twice`);
          continue;
        }
        tables.set(nftTableKey(t), t);
        out.tables.push(t);
        break;
      }
      case 'chain': {
        const t = tableOf(body, 'a chain', pos);
        const name = str(body, 'name');
        if (!t) continue;
        if (name === undefined) {
          bad(body, pos, 'a chain needs a "name"');
          continue;
        }
        const c: NftChain = { name, rules: [], pos };
        const h = int(body, 'handle');
        if (h !== undefined) c.handle = h;
        if (body['hook'] !== undefined) {
          const base = baseChain(body);
          if (typeof base === 'string') {
            bad(body, pos, `base chain ${name}: ${base}`);
            continue;
          }
          c.base = base;
        }
        if (t.chains.some((x) => x.name === name)) {
          bad(body, pos, `chain ${name} is listed twice in table ${nftTableKey(t)}`);
          continue;
        }
        t.chains.push(c);
        break;
      }
      case 'rule': {
        const t = tableOf(body, 'a rule', pos);
        if (!t) continue;
        const chainName = str(body, 'chain');
        const c = t.chains.find((x) => x.name === chainName);
        if (!c) {
          bad(
            body,
            pos,
            `a rule names chain ${String(chainName)}, which table ${nftTableKey(t)} does not list`,
          );
          continue;
        }
        const exprs = body['expr'];
        if (!Array.isArray(exprs)) {
          bad(body, pos, 'a rule needs an "expr" array');
          continue;
        }
        const rule: NftRule = { expr: [], pos };
        const h = int(body, 'handle');
        if (h !== undefined) rule.handle = h;
        const comment = str(body, 'comment');
        if (comment !== undefined) rule.comment = comment;
        let ok = true;
        for (const e of exprs) {
          const ks = isObj(e) ? Object.keys(e) : [];
          if (!isObj(e) || ks.length !== 1) {
            bad(e, pos, 'each expression of a rule must be an object with one key');
            ok = false;
            break;
          }
          const ex: NftExpr = { kind: ks[0]!, value: e[ks[0]!], pos: posOf(e, pos) };
          rule.expr.push(ex);
        }
        if (ok) c.rules.push(rule);
        break;
      }
      case 'set':
      case 'map': {
        const t = tableOf(body, `a ${kind}`, pos);
        if (!t) continue;
        const s = readSet(kind, body, pos, posOf);
        if (typeof s === 'string') {
          bad(body, pos, s);
          continue;
        }
        t.sets.push(s);
        break;
      }
      default:
        bad(item, pos, `unknown object "${kind}" (libnftables-json lists table, chain, rule, set, map, …)`);
    }
  }
  for (const [kind, n] of ignored)
    diagnostics.push(
      diag(
        'info',
        'parse.nft-ignored',
        `${n} "${kind}" object${n === 1 ? '' : 's'} ignored (no verdict depends on them)`,
        start,
      ),
    );
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { value: out, diagnostics };
}

function baseChain(body: Obj): NftBaseChain | string {
  const { type, hook, prio, policy, dev } = body;
  if (typeof type !== 'string' || typeof hook !== 'string') return 'needs "type" and "hook" strings';
  if (typeof prio !== 'number' || !Number.isInteger(prio)) return 'needs an integer "prio"';
  if (policy !== undefined && policy !== 'accept' && policy !== 'drop')
    return `policy ${JSON.stringify(policy)} is neither accept nor drop`;
  const b: NftBaseChain = { type, hook, prio, policy: policy ?? 'accept' };
  if (typeof dev === 'string') b.dev = dev;
  return b;
}

function readSet(
  kind: 'set' | 'map',
  body: Obj,
  pos: SourcePos,
  posOf: (node: unknown, fallback: SourcePos) => SourcePos,
): NftSet | string {
  const name = body['name'];
  if (typeof name !== 'string') return `a ${kind} needs a "name"`;
  const type = body['type'];
  const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type : undefined;
  if (!types || types.length === 0 || !types.every((x) => typeof x === 'string'))
    return `${kind} ${name}: "type" must be a type name or a list of them`;
  const map = body['map'];
  if (kind === 'map' && typeof map !== 'string') return `map ${name} needs a "map" data type`;
  const flags = body['flags'];
  const flagList = typeof flags === 'string' ? [flags] : Array.isArray(flags) ? flags : [];
  const s: NftSet = {
    name,
    kind: kind === 'map' ? (map === 'verdict' ? 'vmap' : 'map') : 'set',
    type: types as string[],
    flags: flagList.filter((f): f is string => typeof f === 'string'),
    elements: [],
    pos,
  };
  if (typeof map === 'string') s.map = map;
  const elems = body['elem'];
  if (elems === undefined) return s;
  if (!Array.isArray(elems)) return `${kind} ${name}: "elem" must be a list`;
  for (const e of elems) {
    const el = readElement(kind, e);
    if (typeof el === 'string') return `${kind} ${name}: ${el}`;
    el.pos = posOf(e, pos);
    s.elements.push(el);
  }
  return s;
}

/** A set element (`"a"`, `{"prefix":…}`, `{"elem": {"val": …}}`) or a map entry `[key, data]`. */
export function readElement(kind: 'set' | 'map', e: unknown): NftElement | string {
  const unwrap = (v: unknown): unknown =>
    isObj(v) && isObj(v['elem']) && 'val' in v['elem'] ? v['elem']['val'] : v;
  if (kind === 'map') {
    if (!Array.isArray(e) || e.length !== 2) return 'a map element must be a [key, data] pair';
    return { key: unwrap(e[0]), data: e[1] };
  }
  return { key: unwrap(e) };
}
