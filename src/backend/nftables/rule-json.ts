import type { NftExpr, SourcePos } from '../../model/index.js';
import { nftIcmpTypeName } from '../../model/index.js';

/**
 * A rule body as dockwall's nftables writer words it (`src/export/nft-rule.ts`: `iifname "eth0" ip
 * saddr @allowed tcp dport 22 counter accept`) read back into the expressions `nft -j` prints for it
 * (libnftables-json(5)), so the simulator can walk dockwall's planned tables exactly as it walks
 * them once applied. The wording nft normalises is normalised the same way (a flag list is `in`, an
 * accept mark `meta mark and ~M or M` is `meta mark or M`, a protocol `reject` names its ICMP type).
 * Words this reader does not know become one `text` expression holding the rest of the rule: the
 * simulator reports it as not modelled, so such a rule is never given a verdict by guess.
 */

type Json = unknown;

class NotRead extends Error {}

const OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);
/** Fields whose values are flags: nft prints a match on them as `in`. */
const FLAG_FIELDS = new Set(['ct state', 'ct status']);

interface Tok {
  text: string;
  quoted: boolean;
}

function tokenize(body: string): Tok[] {
  const out: Tok[] = [];
  const re = /"([^"]*)"|([{}(),|])|([^\s{}(),|"]+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[1] !== undefined) out.push({ text: m[1], quoted: true });
    else out.push({ text: m[2] ?? m[3]!, quoted: false });
  }
  return out;
}

/** What kind of constant a field compares with: addresses, numbers, or names kept as written. */
type ValueKind = 'addr' | 'num' | 'name';

const NUMERIC_FIELDS =
  /^(tcp|udp|sctp|th) (sport|dport)$|^(icmp|icmpv6) (type|code)$|^meta (mark|length|skuid|skgid)$|^ct (mark|original proto-dst|original proto-src|reply proto-dst|reply proto-src)$|^ip6? (ttl|hoplimit)$/;

function numberOf(text: string): number | undefined {
  return /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : undefined;
}

function scalar(tok: Tok, kind: ValueKind): Json {
  const t = tok.text;
  if (tok.quoted) return t;
  if (kind === 'addr') {
    const slash = t.indexOf('/');
    if (slash > 0) return { prefix: { addr: t.slice(0, slash), len: Number(t.slice(slash + 1)) } };
    const dash = t.indexOf('-');
    if (dash > 0) return { range: [t.slice(0, dash), t.slice(dash + 1)] };
    return t;
  }
  if (kind === 'num') {
    const dash = t.indexOf('-');
    if (dash > 0) {
      const a = numberOf(t.slice(0, dash));
      const b = numberOf(t.slice(dash + 1));
      if (a !== undefined && b !== undefined) return { range: [a, b] };
    }
    return numberOf(t) ?? t;
  }
  return numberOf(t) ?? t;
}

class Reader {
  i = 0;
  constructor(
    readonly toks: Tok[],
    readonly family: 'ip' | 'ip6',
  ) {}
  peek(k = 0): string | undefined {
    return this.toks[this.i + k]?.text;
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new NotRead('the rule ends early');
    return t;
  }
  eat(text: string): void {
    if (this.next().text !== text) throw new NotRead(`expected ${text}`);
  }
  more(): boolean {
    return this.i < this.toks.length;
  }
  rest(from: number): string {
    return this.toks
      .slice(from)
      .map((t) => (t.quoted ? `"${t.text}"` : t.text))
      .join(' ');
  }
}

/** The left side of a match: a packet, meta, conntrack or fib field, as nft's JSON names it. */
function field(r: Reader): { left: Json; name: string; kind: ValueKind } | undefined {
  const w = r.peek();
  if (w === 'iifname' || w === 'oifname' || w === 'iif' || w === 'oif') {
    r.next();
    return { left: { meta: { key: w } }, name: `meta ${w}`, kind: 'name' };
  }
  if (w === 'meta') {
    r.next();
    const key = r.next().text;
    return {
      left: { meta: { key } },
      name: `meta ${key}`,
      kind: NUMERIC_FIELDS.test(`meta ${key}`) ? 'num' : 'name',
    };
  }
  if (w === 'ip' || w === 'ip6' || w === 'tcp' || w === 'udp' || w === 'sctp' || w === 'th') {
    r.next();
    const f = r.next().text;
    const name = `${w} ${f}`;
    const kind: ValueKind =
      f === 'saddr' || f === 'daddr' ? 'addr' : NUMERIC_FIELDS.test(name) ? 'num' : 'name';
    return { left: { payload: { protocol: w, field: f } }, name, kind };
  }
  if (w === 'icmp' || w === 'icmpv6' || w === 'ether') {
    r.next();
    const f = r.next().text;
    const name = `${w} ${f}`;
    return {
      left: { payload: { protocol: w, field: f } },
      name,
      kind: NUMERIC_FIELDS.test(name) ? 'num' : 'name',
    };
  }
  if (w === 'ct') {
    r.next();
    const key = r.next().text;
    if (key !== 'original' && key !== 'reply')
      return {
        left: { ct: { key } },
        name: `ct ${key}`,
        kind: NUMERIC_FIELDS.test(`ct ${key}`) ? 'num' : 'name',
      };
    let k = r.next().text;
    if (k === 'ip' || k === 'ip6') k = `${k} ${r.next().text}`;
    const name = `ct ${key} ${k}`;
    const kind: ValueKind = /addr$/.test(k) ? 'addr' : NUMERIC_FIELDS.test(name) ? 'num' : 'name';
    return { left: { ct: { key: k, dir: key } }, name, kind };
  }
  if (w === 'fib') {
    r.next();
    const flags = [r.next().text];
    while (r.peek() === '.') {
      r.next();
      flags.push(r.next().text);
    }
    r.eat('type');
    return { left: { fib: { result: 'type', flags } }, name: 'fib type', kind: 'name' };
  }
  return undefined;
}

/** One value, a comma list (`new,established`), a parenthesised `a|b` list, a set `{ … }` or `@set`. */
function value(r: Reader, kind: ValueKind): { right: Json; list: boolean } {
  if (r.peek() === '{') {
    r.next();
    const elems: Json[] = [];
    while (r.peek() !== '}') {
      elems.push(scalar(r.next(), kind));
      if (r.peek() === ',') r.next();
      else if (r.peek() !== '}') throw new NotRead('a set that does not end');
    }
    r.next();
    return { right: { set: elems }, list: true };
  }
  if (r.peek() === '(') {
    r.next();
    const elems: Json[] = [scalar(r.next(), kind)];
    while (r.peek() === '|') {
      r.next();
      elems.push(scalar(r.next(), kind));
    }
    r.eat(')');
    return { right: elems.length === 1 ? elems[0] : elems, list: elems.length > 1 };
  }
  const first = r.next();
  if (!first.quoted && first.text.startsWith('@')) return { right: first.text, list: true };
  const elems: Json[] = [scalar(first, kind)];
  while (r.peek() === ',') {
    r.next();
    elems.push(scalar(r.next(), kind));
  }
  return { right: elems.length === 1 ? elems[0] : elems, list: elems.length > 1 };
}

function match(r: Reader): Json | undefined {
  const f = field(r);
  if (!f) return undefined;
  let left = f.left;
  if (r.peek() === '&') {
    r.next();
    const mask = value(r, 'num').right;
    if (FLAG_FIELDS.has(f.name)) sortFlags(f.name, mask);
    left = { '&': [left, mask] };
  }
  let op = '==';
  if (OPS.has(r.peek() ?? '')) op = r.next().text;
  // A concatenation (`ip saddr . tcp dport @set`) is not what the writer words: not read.
  if (r.peek() === '.') throw new NotRead('a concatenation');
  const v = value(r, f.kind);
  if (FLAG_FIELDS.has(f.name)) sortFlags(f.name, v.right);
  if (f.name === 'icmp type' || f.name === 'icmpv6 type')
    v.right = icmpNames(v.right, f.name !== 'icmp type');
  // `ct status & (dnat|snat) == 0` is how nft prints "none of these flags": op `!`.
  if (
    Array.isArray((left as { '&'?: unknown })['&']) &&
    FLAG_FIELDS.has(f.name) &&
    op === '==' &&
    v.right === 0
  )
    return { match: { op: '!', left: f.left, right: (left as { '&': Json[] })['&'][1] } };
  if (op === '==' && (FLAG_FIELDS.has(f.name) || (v.list && !(v.right as { set?: unknown }).set)))
    op = typeof v.right === 'string' && v.right.startsWith('@') ? '==' : 'in';
  return { match: { op, left, right: v.right } };
}

/** nft prints an ICMP type it has a name for by that name. */
function icmpNames(v: Json, v6: boolean): Json {
  if (typeof v === 'number') return nftIcmpTypeName(v, v6) ?? v;
  const set = (v as { set?: Json[] } | undefined)?.set;
  if (Array.isArray(set)) return { set: set.map((x) => icmpNames(x, v6)) };
  return Array.isArray(v) ? v.map((x) => icmpNames(x, v6)) : v;
}

/** nft lists ct state and status flags by their bit, whatever order they were written in. */
const FLAG_BITS: Record<string, string[]> = {
  'ct state': ['invalid', 'established', 'related', 'new', 'untracked'],
  'ct status': ['expected', 'seen-reply', 'assured', 'confirmed', 'snat', 'dnat', 'dying'],
};

function sortFlags(field: string, v: Json): void {
  const list = Array.isArray(v) ? v : (v as { set?: unknown })?.set;
  const order = FLAG_BITS[field]!;
  if (Array.isArray(list)) list.sort((a, b) => order.indexOf(String(a)) - order.indexOf(String(b)));
}

/** `meta mark set meta mark and A or B` (with A|B all ones, as the accept mark is) is `meta mark or B`. */
function markValue(r: Reader): Json {
  const key = { meta: { key: 'mark' } };
  if (r.peek() !== 'meta') return scalar(r.next(), 'num');
  r.eat('meta');
  r.eat('mark');
  let and: number | undefined;
  let or: number | undefined;
  while (r.peek() === 'and' || r.peek() === 'or') {
    const op = r.next().text;
    const n = numberOf(r.next().text);
    if (n === undefined) throw new NotRead('a mark that is not a number');
    if (op === 'and') and = n;
    else or = n;
  }
  if (or === undefined) throw new NotRead('a mark expression without or');
  if (and === undefined || (and | or) >>> 0 === 0xffffffff) return { '|': [key, or] };
  return { '|': [{ '&': [key, and] }, or] };
}

function reject(r: Reader): Json {
  if (r.peek() !== 'with')
    return { reject: { type: r.family === 'ip' ? 'icmp' : 'icmpv6', expr: 'port-unreachable' } };
  r.next();
  const proto = r.next().text;
  if (proto === 'tcp') {
    r.eat('reset');
    return { reject: { type: 'tcp reset' } };
  }
  r.eat('type');
  return { reject: { type: proto, expr: r.next().text } };
}

function nat(r: Reader, kind: string): Json {
  const o: Record<string, Json> = {};
  if (r.peek() === 'to') {
    r.next();
    const to = r.next().text;
    const v6 = /^\[(.+)\](?::(.+))?$/.exec(to);
    const [addr, port] = v6
      ? [v6[1], v6[2]]
      : to.startsWith(':')
        ? [undefined, to.slice(1)]
        : to.split(':').length === 2
          ? to.split(':')
          : [to, undefined];
    if (addr) o['addr'] = addr;
    if (port) o['port'] = scalar({ text: port, quoted: false }, 'num');
  }
  if (r.peek() === 'random') {
    r.next();
    o['flags'] = 'random';
  }
  return { [kind]: Object.keys(o).length > 0 ? o : null };
}

function statement(r: Reader): Json | undefined {
  const w = r.peek();
  switch (w) {
    case 'counter':
      r.next();
      return { counter: { packets: 0, bytes: 0 } };
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'notrack':
      r.next();
      return { [w]: null };
    case 'jump':
    case 'goto':
      r.next();
      return { [w]: { target: r.next().text } };
    case 'reject':
      r.next();
      return reject(r);
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect':
      r.next();
      return nat(r, w);
    case 'log': {
      r.next();
      const o: Record<string, Json> = {};
      while (r.peek() === 'prefix' || r.peek() === 'level') {
        const k = r.next().text;
        o[k] = r.next().text;
      }
      return { log: Object.keys(o).length > 0 ? o : null };
    }
    case 'limit': {
      r.next();
      r.eat('rate');
      const [n, per] = r.next().text.split('/');
      const o: Record<string, Json> = { rate: Number(n), per };
      if (r.peek() === 'burst') {
        r.next();
        o['burst'] = Number(r.next().text);
        r.eat('packets');
      }
      return { limit: o };
    }
  }
  if ((w === 'meta' || w === 'ct') && r.peek(1) === 'mark' && r.peek(2) === 'set') {
    r.next();
    r.next();
    r.next();
    return { mangle: { key: { [w]: { key: 'mark' } }, value: markValue(r) } };
  }
  return match(r);
}

/**
 * The expressions of one rule body, each at `pos` (the policy rule it was made from). Never throws:
 * from the first word it cannot read, the rest of the body is one `text` expression.
 */
export function nftRuleExprs(body: string, family: 'ip' | 'ip6', pos: SourcePos): NftExpr[] {
  const r = new Reader(tokenize(body), family);
  const out: NftExpr[] = [];
  while (r.more()) {
    const start = r.i;
    let e: Json | undefined;
    try {
      e = statement(r);
    } catch (err) {
      if (!(err instanceof NotRead)) throw err;
    }
    if (e === undefined) {
      out.push({ kind: 'text', value: r.rest(start), pos });
      break;
    }
    const [kind, v] = Object.entries(e as Record<string, Json>)[0]!;
    out.push({ kind, value: v, pos });
  }
  return out;
}
