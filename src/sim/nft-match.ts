import type { Family } from '../model/ruleset.js';
import type { NftSet } from '../model/nft.js';
import { NFT_ICMP_TYPES, NFT_ICMPV6_TYPES } from '../model/nft-icmp-types.js';
import { ownValue } from '../model/own-key.js';
import { addrToBig, parseAddr, parseCidr, type Addr } from './addr.js';
import { unknownBecause } from './match-common.js';
import { parseIcmpType, parseProto } from './match-values.js';
import { addrType, routeLookup, type HostIndex } from './routing.js';
import type { Thread, Tri } from './thread.js';

/**
 * The values nftables expressions read from a packet (libnftables-json(5): payload, meta, ct, fib)
 * and the tests a `match` makes on them. A field reads the thread and, for the source address, the
 * source class being tested; it answers a value, `BREAK` (nft stops the rule: an output interface
 * at prerouting, a port of a packet without ports) or `UNKNOWN`.
 */

const NO = 0;
const YES = 1;
const UNK = 2;

export const BREAK = Symbol('break');
export const UNKNOWN = Symbol('unknown');
type Miss = typeof BREAK | typeof UNKNOWN;

export type FieldKind = 'addr' | 'int' | 'iface' | 'ctstate' | 'fibtype';

export interface Field {
  kind: FieldKind;
  /** Readable name for messages (`ip saddr`). */
  name: string;
  /** Reads the source address given (the thread's own, or a source class's representative). */
  usesSrc: boolean;
  get(t: Thread, src: Addr): number | bigint | string | string[] | Miss;
  /** Why a value is unknown, when get answered UNKNOWN. */
  unknownWhy?: string;
  /** The field belongs to the other address family: it never matches (an `ip` test in an inet table). */
  never?: boolean;
}

export interface NftMatchCtx {
  family: Family;
  /** The table's family: `ip`/`ip6` hold one address family, `inet` both. */
  tableFamily: string;
  host: HostIndex;
  sets: Map<string, NftSet>;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 136;
}

const STATE_NAMES: Record<string, string> = {
  NEW: 'new',
  ESTABLISHED: 'established',
  RELATED: 'related',
  INVALID: 'invalid',
  UNTRACKED: 'untracked',
};

function tracked(t: Thread): boolean {
  return t.state !== 'INVALID' && t.state !== 'UNTRACKED';
}

/** Guards a field on the packet's family: an `ip` expression in an `inet` table skips IPv6 packets. */
function familyField(ctx: NftMatchCtx, want: Family, f: Field): Field {
  if (ctx.family === want) return f;
  return { ...f, get: () => BREAK, never: true };
}

function portField(name: string, proto: number | 'th', which: 'sport' | 'dport'): Field {
  return {
    kind: 'int',
    name,
    usesSrc: false,
    get(t) {
      if (proto === 'th' ? !hasPorts(t.proto) : t.proto !== proto) return proto === 'th' ? UNKNOWN : BREAK;
      const v = which === 'sport' ? t.sport : t.dport;
      return v < 0 ? UNKNOWN : v;
    },
    unknownWhy: `${name}: the packet has no port (or is not TCP, UDP or SCTP)`,
  };
}

/** Compiles the left side of a match (or a vmap key) into a field; throws Unsupported otherwise. */
export function compileField(e: unknown, ctx: NftMatchCtx): Field {
  if (!isObj(e)) return unknownBecause(`the value ${JSON.stringify(e)} as a packet field is not modelled`);
  if (isObj(e['payload'])) {
    const { protocol, field } = e['payload'];
    const name = `${String(protocol)} ${String(field)}`;
    switch (`${String(protocol)} ${String(field)}`) {
      case 'ip saddr':
      case 'ip6 saddr':
        return familyField(ctx, protocol === 'ip' ? 'ipv4' : 'ipv6', {
          kind: 'addr',
          name,
          usesSrc: true,
          get: (_t, src) => addrToBig(src),
        });
      case 'ip daddr':
      case 'ip6 daddr':
        return familyField(ctx, protocol === 'ip' ? 'ipv4' : 'ipv6', {
          kind: 'addr',
          name,
          usesSrc: false,
          get: (t) => addrToBig(t.dst),
        });
      case 'ip protocol':
      case 'ip6 nexthdr':
        return familyField(ctx, protocol === 'ip' ? 'ipv4' : 'ipv6', {
          kind: 'int',
          name,
          usesSrc: false,
          get: (t) => t.proto,
        });
      case 'tcp dport':
      case 'tcp sport':
      case 'udp dport':
      case 'udp sport':
      case 'sctp dport':
      case 'sctp sport':
        return portField(name, parseProto(String(protocol))!, field as 'sport' | 'dport');
      case 'th dport':
      case 'th sport':
        return portField(name, 'th', field as 'sport' | 'dport');
      case 'icmp type':
      case 'icmp code':
      case 'icmpv6 type':
      case 'icmpv6 code': {
        const p = protocol === 'icmp' ? 1 : 58;
        return {
          kind: 'int',
          name,
          usesSrc: false,
          get(t) {
            if (t.proto !== p) return BREAK;
            const v = field === 'type' ? t.icmpType : t.icmpCode;
            return v < 0 ? UNKNOWN : v;
          },
          unknownWhy: `${name}: the packet does not say`,
        };
      }
    }
    return unknownBecause(`payload ${name} is not modelled`);
  }
  if (isObj(e['meta'])) {
    const key = String(e['meta']['key']);
    switch (key) {
      case 'iifname':
      case 'iif':
      case 'oifname':
      case 'oif': {
        const which = key.startsWith('i') ? 'inIf' : 'outIf';
        return {
          kind: 'iface',
          name: `meta ${key}`,
          usesSrc: false,
          // No such device at this hook: `iif`/`oif` break off the rule (a != test does not match
          // either), while `iifname`/`oifname` read the name as "" (the kernel's nft_meta_store_ifname),
          // so `iifname != "docker0"` matches a locally generated packet in nat OUTPUT.
          get: (t) => (t[which] !== '' ? t[which] : key.endsWith('name') ? '' : BREAK),
        };
      }
      case 'l4proto':
        return { kind: 'int', name: 'meta l4proto', usesSrc: false, get: (t) => t.proto };
      case 'nfproto':
        return {
          kind: 'int',
          name: 'meta nfproto',
          usesSrc: false,
          get: (t) => (t.family === 'ipv4' ? 2 : 10),
        };
      case 'protocol':
        return {
          kind: 'int',
          name: 'meta protocol',
          usesSrc: false,
          get: (t) => (t.family === 'ipv4' ? 0x0800 : 0x86dd),
        };
      case 'mark':
        return {
          kind: 'int',
          name: 'meta mark',
          usesSrc: false,
          get: (t) => (t.markKnown ? t.mark : UNKNOWN),
          unknownWhy: 'the packet mark is not known here',
        };
    }
    return unknownBecause(`meta ${key} is not modelled`);
  }
  if (isObj(e['ct'])) {
    const { dir } = e['ct'];
    // nft prints `ct original ip saddr` as key "ip saddr" (older versions: key "saddr", family "ip").
    const split = /^(ip6?) (saddr|daddr)$/.exec(String(e['ct']['key']));
    const key = split ? split[2] : e['ct']['key'];
    const family = split ? split[1] : e['ct']['family'];
    const fam = family === 'ip' ? 'ipv4' : family === 'ip6' ? 'ipv6' : undefined;
    const name = `ct${dir ? ` ${String(dir)}` : ''}${family ? ` ${String(family)}` : ''} ${String(key)}`;
    const ct = (f: Field): Field => ({ ...f, get: (t, s) => (tracked(t) ? f.get(t, s) : BREAK) });
    if (key === 'state')
      return {
        kind: 'ctstate',
        name,
        usesSrc: false,
        get: (t) => [STATE_NAMES[t.state] ?? t.state.toLowerCase()],
      };
    if (key === 'mark')
      return ct({
        kind: 'int',
        name,
        usesSrc: false,
        get: (t) => (t.ctmarkKnown ? t.ctmark : UNKNOWN),
        unknownWhy: 'the connection mark is not known here',
      });
    if (key === 'status')
      return ct({
        kind: 'ctstate',
        name,
        usesSrc: false,
        get: (t) => [...(t.dnat ? ['dnat'] : []), ...(t.snat ? ['snat'] : [])],
      });
    if (dir === 'original') {
      const guard = (f: Field): Field => (fam ? familyField(ctx, fam, f) : f);
      switch (key) {
        case 'saddr':
          return ct(guard({ kind: 'addr', name, usesSrc: true, get: (_t, s) => addrToBig(s) }));
        case 'daddr':
          return ct(guard({ kind: 'addr', name, usesSrc: false, get: (t) => addrToBig(t.origDst) }));
        case 'proto-dst':
          return ct({
            kind: 'int',
            name,
            usesSrc: false,
            get: (t) => (t.origDport < 0 ? UNKNOWN : t.origDport),
            unknownWhy: `${name}: the packet has no destination port`,
          });
        case 'protocol':
          return ct({ kind: 'int', name, usesSrc: false, get: (t) => t.proto });
      }
    }
    return unknownBecause(`${name} is not modelled`);
  }
  if (isObj(e['fib'])) {
    const { result, flags } = e['fib'];
    const fl = Array.isArray(flags) ? flags.map(String) : [String(flags)];
    const onSrc = fl.includes('saddr');
    const limitIif = fl.includes('iif');
    const other = fl.filter((f) => f !== 'saddr' && f !== 'daddr' && f !== 'iif');
    if (result !== 'type' || other.length > 0 || onSrc === fl.includes('daddr'))
      return unknownBecause(`fib ${fl.join(' . ')} ${String(result)} is not modelled`);
    return {
      kind: 'fibtype',
      name: `fib ${fl.join(' . ')} type`,
      usesSrc: onSrc,
      get(t, src) {
        if (limitIif && t.inIf === '') return BREAK;
        const a = onSrc ? src : t.dst;
        const type = addrType(ctx.host, t.family, a, limitIif ? t.inIf : undefined).toLowerCase();
        return type === 'unicast' && !onSrc && routeLookup(ctx.host, t.family, a).kind === 'unreachable'
          ? 'unreachable'
          : type;
      },
    };
  }
  if (Array.isArray(e['&'])) {
    const [inner, mask] = e['&'] as unknown[];
    const f = compileField(inner, ctx);
    if (f.kind !== 'int' || typeof mask !== 'number')
      return unknownBecause(`a bitwise & on ${f.name} is not modelled`);
    return {
      ...f,
      name: `${f.name} & 0x${mask.toString(16)}`,
      get(t, s) {
        const v = f.get(t, s);
        return typeof v === 'number' ? (v & mask) >>> 0 : v;
      },
    };
  }
  const k = Object.keys(e)[0] ?? '?';
  return unknownBecause(`expression ${k} is not modelled`);
}

/** One value a field may be compared with: a single value or an inclusive range. */
export type Span = { lo: number | bigint; hi: number | bigint } | { text: string; wildcard: boolean };

const NFPROTO: Record<string, number> = { ipv4: 2, ipv6: 10, ip: 2, ip6: 10, inet: 1 };
const ETHER: Record<string, number> = { ip: 0x0800, ip6: 0x86dd, ipv6: 0x86dd, arp: 0x0806 };
const SERVICES: Record<string, number> = {
  ssh: 22,
  http: 80,
  https: 443,
  domain: 53,
  smtp: 25,
  ftp: 21,
  telnet: 23,
  ntp: 123,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};

/** Reads a constant of the field's kind (an address, prefix, range, number, name). */
export function compileSpan(v: unknown, f: Field, ctx: NftMatchCtx): Span {
  if (isObj(v) && isObj(v['prefix']) && f.kind === 'addr') {
    const c = parseCidr(`${String(v['prefix']['addr'])}/${String(v['prefix']['len'])}`, ctx.family);
    if (!c) return unknownBecause(`prefix ${JSON.stringify(v['prefix'])} is not an ${ctx.family} prefix`);
    return { lo: c.start, hi: c.end };
  }
  if (isObj(v) && isObj(v['prefix']) && f.kind === 'int' && f.name.includes('mark')) {
    // A mark prefix (Docker's `--bridge-accept-fwmark 0x10000/0xffff0000` prints as 0x00010000/16):
    // the top `len` bits of the 32-bit mark.
    const { addr, len } = v['prefix'];
    if (
      typeof addr === 'number' &&
      typeof len === 'number' &&
      Number.isInteger(len) &&
      len >= 0 &&
      len <= 32
    ) {
      const size = 2 ** (32 - len);
      const lo = addr - (addr % size);
      return { lo, hi: lo + size - 1 };
    }
  }
  if (isObj(v) && Array.isArray(v['range']) && v['range'].length === 2) {
    const [a, b] = v['range'].map((x) => compileSpan(x, f, ctx));
    if (a && b && 'lo' in a && 'lo' in b) return { lo: a.lo, hi: b.hi };
  }
  switch (f.kind) {
    case 'addr': {
      const a = typeof v === 'string' ? parseAddr(v, ctx.family) : undefined;
      if (!a) return unknownBecause(`${JSON.stringify(v)} is not an ${ctx.family} address`);
      const n = addrToBig(a);
      return { lo: n, hi: n };
    }
    case 'int': {
      let n: number | undefined;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'string') {
        if (f.name.includes('nfproto')) n = NFPROTO[v];
        else if (f.name === 'meta protocol') n = ETHER[v];
        else if (f.name.includes('type') && f.name.includes('icmp'))
          n =
            parseIcmpType(v, f.name.includes('icmpv6'))?.[0] ??
            ownValue(f.name.includes('icmpv6') ? NFT_ICMPV6_TYPES : NFT_ICMP_TYPES, v);
        else if (f.name.includes('port') || f.name.includes('proto-dst'))
          n = SERVICES[v] ?? (/^\d+$/.test(v) ? Number(v) : undefined);
        else n = parseProto(v) ?? (/^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : undefined);
      }
      if (n === undefined || !Number.isFinite(n))
        return unknownBecause(`${JSON.stringify(v)} as ${f.name} is not modelled`);
      return { lo: n, hi: n };
    }
    case 'iface':
      if (typeof v !== 'string')
        return unknownBecause(`${JSON.stringify(v)} as an interface name is not modelled`);
      // nft writes a wildcard as a trailing `*` (a `\*` is a literal star).
      return v.endsWith('*') && !v.endsWith('\\*')
        ? { text: v.slice(0, -1), wildcard: true }
        : { text: v.replace(/\\\*$/, '*'), wildcard: false };
    case 'ctstate':
    case 'fibtype':
      if (typeof v !== 'string') return unknownBecause(`${JSON.stringify(v)} as ${f.name} is not modelled`);
      return { text: v, wildcard: false };
  }
}

function spanHas(s: Span, v: number | bigint | string | string[]): boolean {
  if ('lo' in s) {
    if (typeof v === 'string' || Array.isArray(v)) return false;
    return s.lo <= v && v <= s.hi;
  }
  if (Array.isArray(v)) return v.includes(s.text);
  if (typeof v !== 'string') return false;
  return s.wildcard ? v.startsWith(s.text) : v === s.text;
}

/** Resolves a set reference (`@name`), an anonymous set or a flag list into its element keys. */
export function setElements(v: unknown, ctx: NftMatchCtx): unknown[] | undefined {
  if (typeof v === 'string' && v.startsWith('@')) {
    const s = ctx.sets.get(v.slice(1));
    if (!s) return unknownBecause(`set ${v} does not exist in this table`);
    return s.elements.map((e) => e.key);
  }
  if (isObj(v) && Array.isArray(v['set']))
    return v['set'].map((e) => (isObj(e) && isObj(e['elem']) ? e['elem']['val'] : e));
  if (Array.isArray(v)) return v;
  return undefined;
}

export type Tester = (t: Thread, src: Addr) => Tri;

/**
 * The test of one `match`: field, operator and right side. `==`/`in` with a set is membership,
 * with a flag list (ct state) any-of; `!=` the opposite; `<`, `>`, `<=`, `>=` on numbers.
 */
export function compileMatch(
  m: unknown,
  ctx: NftMatchCtx,
): { field: Field; test: Tester; spans?: Span[]; negated: boolean } {
  if (!isObj(m)) return unknownBecause('a match that is not an object');
  const op = String(m['op'] ?? '==');
  const left = m['left'];
  const right = m['right'];
  if (isObj(left) && Array.isArray(left['concat'])) return compileConcat(left['concat'], op, right, ctx);
  const field = compileField(left, ctx);
  if (field.never) return { field, negated: false, test: () => NO };
  if (['<', '>', '<=', '>='].includes(op)) {
    if (field.kind !== 'int' || typeof right !== 'number')
      return unknownBecause(`${field.name} ${op} is not modelled`);
    const cmp = {
      '<': (a: number) => a < right,
      '>': (a: number) => a > right,
      '<=': (a: number) => a <= right,
      '>=': (a: number) => a >= right,
    }[op]!;
    return {
      field,
      negated: false,
      test: (t, s) => {
        const v = field.get(t, s);
        return v === BREAK ? NO : v === UNKNOWN ? unk(t, field) : cmp(v as number) ? YES : NO;
      },
    };
  }
  if (op !== '==' && op !== '!=' && op !== 'in') return unknownBecause(`the operator ${op} is not modelled`);
  const negated = op === '!=';
  const elems = setElements(right, ctx);
  const spans = (elems ?? [right]).map((e) => compileSpan(e, field, ctx));
  const test: Tester = (t, s) => {
    const v = field.get(t, s);
    if (v === BREAK) return NO;
    if (v === UNKNOWN) return unk(t, field);
    let hit = false;
    for (const sp of spans) if (spanHas(sp, v)) hit = true;
    return hit !== negated ? YES : NO;
  };
  return { field, test, spans, negated };
}

function unk(t: Thread, f: Field): Tri {
  t.why = f.unknownWhy ?? `${f.name} is not known here`;
  return UNK;
}

function compileConcat(
  parts: unknown[],
  op: string,
  right: unknown,
  ctx: NftMatchCtx,
): { field: Field; test: Tester; spans?: Span[]; negated: boolean } {
  const fields = parts.map((p) => compileField(p, ctx));
  const name = fields.map((f) => f.name).join(' . ');
  if (fields.some((f) => f.never))
    return { field: { kind: 'int', name, usesSrc: false, get: () => BREAK }, negated: false, test: () => NO };
  const elems = setElements(right, ctx);
  if (!elems || (op !== '==' && op !== '!=' && op !== 'in'))
    return unknownBecause(`a concatenation (${fields.map((f) => f.name).join(' . ')}) ${op} is not modelled`);
  const rows = elems.map((e) => {
    const vals = isObj(e) && Array.isArray(e['concat']) ? e['concat'] : undefined;
    if (!vals || vals.length !== fields.length)
      return unknownBecause('a set element that does not match the concatenation');
    return vals.map((v, i) => compileSpan(v, fields[i]!, ctx));
  });
  const negated = op === '!=';
  const field: Field = {
    kind: 'int',
    name: fields.map((f) => f.name).join(' . '),
    usesSrc: fields.some((f) => f.usesSrc),
    get: () => UNKNOWN,
  };
  return {
    field,
    negated,
    // The source parts of the elements: where source classes must be cut.
    spans: rows.flatMap((row) => row.filter((_, i) => fields[i]!.usesSrc)),
    test(t, s) {
      const vals = fields.map((f) => f.get(t, s));
      if (vals.includes(BREAK)) return NO;
      const u = vals.findIndex((v) => v === UNKNOWN);
      if (u >= 0) return unk(t, fields[u]!);
      const hit = rows.some((row) => row.every((sp, i) => spanHas(sp, vals[i] as number | bigint | string)));
      return hit !== negated ? YES : NO;
    },
  };
}

/** The source ranges a static `ip saddr` test holds for, for splitting sources into classes. */
export function srcRanges(spans: Span[] | undefined): Array<[bigint, bigint]> | undefined {
  if (!spans) return undefined;
  const out: Array<[bigint, bigint]> = [];
  for (const s of spans) {
    if (!('lo' in s) || typeof s.lo !== 'bigint' || typeof s.hi !== 'bigint') return undefined;
    out.push([s.lo, s.hi]);
  }
  return out;
}
