import type { NftExpr, NftRule } from '../model/nft.js';
import type { RuleTarget } from '../model/ruleset.js';
import { Unsupported, unknownBecause } from './match-common.js';
import {
  compileField,
  compileMatch,
  compileSpan,
  setElements,
  srcRanges,
  type NftMatchCtx,
} from './nft-match.js';
import { formatNftValue } from './nft-format.js';
import type { HostIndex } from './routing.js';
import { compileTarget } from './targets.js';
import type { Check, CompiledChain, CompiledTarget, SrcCrit, Thread } from './thread.js';

/**
 * One nftables rule as the chain walker takes it: checks, source criteria and one target. A rule
 * ending in a verdict map becomes one part per map element (the key selects at most one). Whatever
 * the simulator does not model makes the rule's part `unknown`, naming the expression and where
 * it was read.
 */

const NO = 0;
const YES = 1;

export interface NftRulePart {
  checks: Check[];
  src: SrcCrit[];
  unknown: string | null;
  assumptions: string[];
  target: CompiledTarget;
  /** For a verdict map element: the element, shown after the rule text. */
  label?: string;
}

export interface NftRuleCtx extends NftMatchCtx {
  host: HostIndex;
  chain: (name: string) => CompiledChain | undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Statements that count or log and change nothing a rule can see. */
const HARMLESS = new Set(['counter', 'log', 'comment']);

function where(e: NftExpr): string {
  return `${e.pos.file}:${e.pos.line}:${e.pos.column}`;
}

function describeExpr(e: NftExpr): string {
  const s = JSON.stringify({ [e.kind]: e.value });
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** A verdict (`accept`, `jump X`, …) as a walker target. */
function verdictTarget(kind: string, value: unknown, ctx: NftRuleCtx): CompiledTarget {
  switch (kind) {
    case 'accept':
      return { kind: 'accept' };
    case 'drop':
      return { kind: 'drop' };
    case 'return':
      return { kind: 'return' };
    case 'continue':
      return { kind: 'none' };
    case 'jump':
    case 'goto': {
      const name = isObj(value) ? value['target'] : undefined;
      const chain = typeof name === 'string' ? ctx.chain(name) : undefined;
      if (!chain)
        return {
          kind: 'unknown',
          reason: `${kind} to chain ${String(name)}, which this table does not hold`,
        };
      return { kind: 'chain', chain, goto: kind === 'goto' };
    }
    case 'reject': {
      const type = isObj(value) ? value['type'] : undefined;
      const expr = isObj(value) ? value['expr'] : undefined;
      return type === undefined
        ? { kind: 'reject' }
        : { kind: 'reject', with: `${String(type)}${expr !== undefined ? ` ${String(expr)}` : ''}` };
    }
    case 'queue':
      return { kind: 'unknown', reason: 'queue hands the packet to a userspace program' };
  }
  return unknownBecause(`statement ${kind} is not modelled`);
}

/** dnat/snat/masquerade/redirect through the iptables NAT targets (same rewriting, same notes). */
function natTarget(kind: string, value: unknown, ctx: NftRuleCtx): CompiledTarget | null {
  const o = isObj(value) ? value : {};
  const fam = o['family'];
  if (fam !== undefined && fam !== (ctx.family === 'ipv4' ? 'ip' : 'ip6')) return null;
  for (const k of Object.keys(o))
    if (!['addr', 'port', 'family', 'flags', 'type'].includes(k))
      unknownBecause(`${kind} with ${k} is not modelled`);
  const flags = o['flags'];
  if (
    flags !== undefined &&
    ![flags].flat().every((f) => f === 'persistent' || f === 'random' || f === 'fully-random')
  )
    unknownBecause(`${kind} flags ${JSON.stringify(flags)} are not modelled`);
  const scalar = (v: unknown, what: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    if (isObj(v) && Array.isArray(v['range'])) return `${String(v['range'][0])}-${String(v['range'][1])}`;
    return unknownBecause(
      `${kind} to a ${what} computed from the packet (${JSON.stringify(v)}) is not modelled`,
    );
  };
  const addr = scalar(o['addr'], 'address');
  const port = scalar(o['port'], 'port');
  const spec = (a: string | undefined) =>
    a === undefined
      ? `:${port ?? ''}`
      : port === undefined
        ? a
        : a.includes(':')
          ? `[${a}]:${port}`
          : `${a}:${port}`;
  let target: RuleTarget;
  const opt = (name: string, text: string) => ({ name, negated: false, args: [{ text, quoted: false }] });
  switch (kind) {
    case 'dnat':
    case 'snat':
      if (addr === undefined) return unknownBecause(`${kind} without an address is not modelled`);
      target = {
        kind: 'jump',
        name: kind === 'dnat' ? 'DNAT' : 'SNAT',
        options: [opt(kind === 'dnat' ? '--to-destination' : '--to-source', spec(addr))],
      };
      break;
    case 'masquerade':
    case 'redirect':
      target = {
        kind: 'jump',
        name: kind === 'masquerade' ? 'MASQUERADE' : 'REDIRECT',
        options: port === undefined ? [] : [opt('--to-ports', port)],
      };
      break;
    default:
      return unknownBecause(`${kind} is not modelled`);
  }
  return compileTarget(target, { family: ctx.family, host: ctx.host, chain: () => undefined });
}

/** `meta mark set …` / `ct mark set …`: a value, or the mark combined with a constant. */
function mangleTarget(value: unknown): CompiledTarget {
  const o = isObj(value) ? value : {};
  const key = JSON.stringify(o['key']);
  const isMeta = key === JSON.stringify({ meta: { key: 'mark' } });
  const isCt = key === JSON.stringify({ ct: { key: 'mark' } });
  if (!isMeta && !isCt) return unknownBecause(`setting ${formatNftValue(o['key'])} is not modelled`);
  const v = o['value'];
  let fn: ((x: number, t: Thread) => number) | undefined;
  if (typeof v === 'number') fn = () => v;
  else if (isObj(v)) {
    const op = Object.keys(v)[0]!;
    const args = v[op];
    if (
      Array.isArray(args) &&
      args.length === 2 &&
      typeof args[1] === 'number' &&
      JSON.stringify(args[0]) === key
    ) {
      const c = args[1];
      if (op === '|') fn = (x) => x | c;
      else if (op === '&') fn = (x) => x & c;
      else if (op === '^') fn = (x) => x ^ c;
    }
  }
  if (!fn) return unknownBecause(`${formatNftValue(o['key'])} set ${formatNftValue(v)} is not modelled`);
  const f = fn;
  const name = isMeta ? 'meta mark set' : 'ct mark set';
  return {
    kind: 'continue',
    name,
    harmless: false,
    apply(t) {
      if (isMeta) {
        t.mark = f(t.mark, t) >>> 0;
        return `mark 0x${t.mark.toString(16)}`;
      }
      t.ctmark = f(t.ctmark, t) >>> 0;
      return `ctmark 0x${t.ctmark.toString(16)}`;
    },
  };
}

function matchParts(e: NftExpr, ctx: NftRuleCtx, checks: Check[], src: SrcCrit[]): boolean {
  const m = compileMatch(e.value, ctx);
  const readsMark = m.field.name.includes('mark');
  if (!m.field.usesSrc) {
    const test = m.test;
    checks.push((t) => test(t, t.src));
    return readsMark;
  }
  const ranges = srcRanges(m.spans);
  const key = `nft:${JSON.stringify(e.value)}`;
  const plain = m.field.name === 'ip saddr' || m.field.name === 'ip6 saddr';
  if (plain && (m.field.name === 'ip saddr') !== (ctx.family === 'ipv4')) {
    // An `ip saddr` test in an inet table never matches an IPv6 packet (and the other way round).
    checks.push(() => NO);
    return readsMark;
  }
  if (ranges && plain) {
    // A plain source test: classes are cut at its ranges and tested as a whole.
    src.push({
      key,
      negated: m.negated,
      ranges,
      test: (a, t) => {
        const r = m.test(t, a);
        return m.negated ? (r === YES ? NO : r === NO ? YES : r) : r;
      },
      dynamic: false,
      boundaries: ranges,
    });
    return readsMark;
  }
  src.push({ key, negated: false, test: (a, t) => m.test(t, a), dynamic: true, boundaries: ranges ?? [] });
  return readsMark;
}

/** Compiles one rule; never throws (what is not modelled ends up in `unknown`). */
export function compileNftRule(rule: NftRule, ctx: NftRuleCtx): NftRulePart[] {
  const checks: Check[] = [];
  const src: SrcCrit[] = [];
  const assumptions: string[] = [];
  const unknowns: string[] = [];
  const actions: CompiledTarget[] = [];
  let terminal: CompiledTarget | NftRulePart[] | null = null;
  let readsMark = false;
  const base = (): Omit<NftRulePart, 'target'> => ({
    checks,
    src,
    unknown: unknowns.length > 0 ? unknowns.join('; ') : null,
    assumptions,
  });
  for (const e of rule.expr) {
    if (terminal) {
      if (!HARMLESS.has(e.kind))
        unknowns.push(`${describeExpr(e)} at ${where(e)} after the rule's verdict is not modelled`);
      continue;
    }
    try {
      if (HARMLESS.has(e.kind)) continue;
      if (e.kind === 'match') {
        if (actions.length > 0) unknownBecause(`a match after a statement that changes the packet`);
        readsMark = matchParts(e, ctx, checks, src) || readsMark;
        continue;
      }
      if (e.kind === 'limit') {
        assumptions.push('rate limits (nft limit) are not exceeded');
        continue;
      }
      if (e.kind === 'mangle') {
        actions.push(mangleTarget(e.value));
        continue;
      }
      if (e.kind === 'notrack') {
        actions.push({
          kind: 'continue',
          name: 'notrack',
          harmless: false,
          apply: (t) => {
            t.state = 'UNTRACKED';
            return 'untracked';
          },
        });
        continue;
      }
      if (e.kind === 'xt')
        unknownBecause(
          `iptables-nft extension xt ${formatNftValue(isObj(e.value) ? e.value['name'] : e.value)} (read these rules with iptables-save)`,
        );
      if (['dnat', 'snat', 'masquerade', 'redirect'].includes(e.kind)) {
        const t = natTarget(e.kind, e.value, ctx);
        if (t) terminal = t;
        continue;
      }
      if (e.kind === 'vmap') {
        terminal = vmapParts(e, ctx);
        continue;
      }
      terminal = verdictTarget(e.kind, e.value, ctx);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      unknowns.push(`${describeExpr(e)} at ${where(e)}: ${err.message}`);
      if (!['match', 'limit', 'mangle', 'notrack'].includes(e.kind))
        terminal = { kind: 'unknown', reason: err.message };
    }
  }
  if (actions.length > 0 && readsMark && terminal)
    unknowns.push('a rule that sets a mark it also tests is not modelled');
  if (actions.length > 1) unknowns.push('more than one statement that changes the packet is not modelled');
  if (Array.isArray(terminal)) {
    if (actions.length > 0)
      unknowns.push('a verdict map after a statement that changes the packet is not modelled');
    const b = base();
    return terminal.map((p) => ({
      ...p,
      checks: [...b.checks, ...p.checks],
      src: [...b.src, ...p.src],
      unknown: b.unknown ?? p.unknown,
      assumptions: b.assumptions,
    }));
  }
  const parts: NftRulePart[] = [];
  if (actions[0]) parts.push({ ...base(), target: actions[0] });
  parts.push({ ...base(), target: terminal ?? { kind: 'none' } });
  return actions.length > 0 && !terminal ? parts.slice(0, 1) : parts;
}

/** `KEY vmap { e1 : v1, … }` / `KEY vmap @map`: one part per element. */
function vmapParts(e: NftExpr, ctx: NftRuleCtx): NftRulePart[] {
  const o = isObj(e.value) ? e.value : {};
  const field = compileField(o['key'], ctx);
  if (field.never) return [];
  const data = o['data'];
  let entries: unknown[][];
  if (typeof data === 'string' && data.startsWith('@')) {
    const m = ctx.sets.get(data.slice(1));
    if (!m || m.kind !== 'vmap') return unknownBecause(`verdict map ${data} does not exist in this table`);
    entries = m.elements.map((x) => [x.key, x.data]);
  } else {
    const list = setElements(data, ctx);
    if (!list) return unknownBecause('a verdict map that is neither named nor anonymous');
    entries = list.map((x) => (Array.isArray(x) ? x : [x, undefined]));
  }
  return entries.map(([key, verdict]) => {
    const label = `${formatNftValue(key)} : ${formatNftValue(verdict)}`;
    const part: NftRulePart = {
      checks: [],
      src: [],
      unknown: null,
      assumptions: [],
      target: { kind: 'none' },
      label,
    };
    try {
      const span = compileSpan(key, field, ctx);
      const one = compileMatch({ op: '==', left: o['key'], right: key }, ctx);
      if (field.usesSrc)
        part.src.push({
          key: `nft-vmap:${JSON.stringify([o['key'], key])}`,
          negated: false,
          test: (a, t) => one.test(t, a),
          dynamic: true,
          boundaries: srcRanges([span]) ?? [],
        });
      else part.checks.push((t) => one.test(t, t.src));
      const v = isObj(verdict) ? verdict : {};
      const vk = Object.keys(v)[0];
      part.target = vk
        ? verdictTarget(vk, v[vk], ctx)
        : { kind: 'unknown', reason: `verdict ${JSON.stringify(verdict)}` };
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      part.unknown = `${describeExpr(e)} at ${where(e)}, element ${label}: ${err.message}`;
      part.target = { kind: 'unknown', reason: err.message };
    }
    return part;
  });
}
