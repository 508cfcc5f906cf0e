import { ownValue } from '../model/own-key.js';
import type { IpSet } from '../model/ipset.js';
import type { Family } from '../model/ruleset.js';
import { isNomatch, memberElement } from '../parse/ipset-member.js';
import { addrToBig, familyBits, parseAddrRange, parseCidr, type Addr } from './addr.js';
import { PROTO_NUMBERS } from './packet.js';
import type { Thread, Tri } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

type Dim = 'ip' | 'port';

const SET_DIMS: Record<string, Dim[]> = {
  'bitmap:ip': ['ip'],
  'bitmap:port': ['port'],
  'hash:ip': ['ip'],
  'hash:net': ['ip'],
  'hash:ip,port': ['ip', 'port'],
  'hash:net,port': ['ip', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'],
  'hash:ip,port,net': ['ip', 'port', 'ip'],
  'hash:net,net': ['ip', 'ip'],
  'hash:net,port,net': ['ip', 'port', 'ip'],
};

type EntryDim =
  { kind: 'ip'; start: bigint; end: bigint } | { kind: 'port'; proto: number; lo: number; hi: number };

interface Entry {
  dims: EntryDim[];
  nomatch: boolean;
  prefixLen: number;
}

/** Membership of a packet in one set (or a list:set), for `-m set --match-set NAME DIRS`. */
export interface SetMatcher {
  /** `src` stands in for the packet's source address (a source class's first address in the matrix). */
  test(t: Thread, src: Addr): Tri;
  /** Some address dimension is read from the source address. */
  usesSrc: boolean;
  /** The set has one address dimension read from the source: membership depends on nothing else. */
  srcOnly: boolean;
  /** For `srcOnly` sets without `nomatch` entries: the member address ranges. */
  ranges?: Array<[bigint, bigint]>;
  /** Member ranges of the dimensions read from the source. */
  boundaries: Array<[bigint, bigint]>;
}

export type SetCompileResult = { matcher: SetMatcher } | { unknown: string };

function parseEntry(member: string, dims: Dim[], family: Family): Entry | string {
  const parts = memberElement(member).split(',');
  if (parts.length !== dims.length) return `member ${JSON.stringify(member)} does not fit the set type`;
  const out: EntryDim[] = [];
  let prefixLen = 0;
  for (let i = 0; i < dims.length; i++) {
    const p = parts[i]!;
    if (dims[i] === 'ip') {
      const c = p.includes('-') ? undefined : parseCidr(p, family);
      if (c && c.prefix >= 0) {
        out.push({ kind: 'ip', start: c.start, end: c.end });
        if (i === 0) prefixLen = c.prefix;
        continue;
      }
      const r = parseAddrRange(p, family);
      if (!r) return `member address ${JSON.stringify(p)} is not an ${family} address`;
      out.push({ kind: 'ip', start: addrToBig(r[0]), end: addrToBig(r[1]) });
      if (i === 0) prefixLen = familyBits(family);
    } else {
      const m = /^(?:([a-z0-9-]+):)?(\d+)(?:[-:/](\d+))?$/.exec(p);
      if (!m) return `member port ${JSON.stringify(p)} is not modelled`;
      const protoName = m[1] ?? 'tcp';
      const proto = /^\d+$/.test(protoName) ? Number(protoName) : ownValue(PROTO_NUMBERS, protoName);
      if (proto === undefined) return `member protocol ${protoName} is not modelled`;
      const lo = Number(m[2]);
      if (proto === 1 || proto === 58) {
        // icmp:TYPE/CODE: type in lo, code in hi
        out.push({ kind: 'port', proto, lo, hi: m[3] === undefined ? -1 : Number(m[3]) });
      } else out.push({ kind: 'port', proto, lo, hi: m[3] === undefined ? lo : Number(m[3]) });
    }
  }
  return { dims: out, nomatch: isNomatch(member), prefixLen };
}

function setFamily(s: IpSet): Family {
  return s.family === 'inet6' ? 'ipv6' : 'ipv4';
}

export function compileSetMatch(
  name: string,
  dirs: string[],
  sets: Map<string, IpSet>,
  family: Family,
  seen: Set<string> = new Set(),
): SetCompileResult {
  const set = sets.get(name);
  if (!set) return { unknown: `ipset ${name} is not in the given ipset state` };
  if (dirs.some((d) => d !== 'src' && d !== 'dst')) return { unknown: `set directions ${dirs.join(',')}` };
  if (set.type === 'list:set') {
    if (seen.has(name)) return { unknown: `list:set ${name} contains itself` };
    seen.add(name);
    const subs: SetMatcher[] = [];
    for (const m of set.members) {
      const r = compileSetMatch(memberElement(m), dirs, sets, family, seen);
      if ('unknown' in r) return r;
      subs.push(r.matcher);
    }
    return {
      matcher: {
        test(t, src) {
          let unk = false;
          for (const s of subs) {
            const r = s.test(t, src);
            if (r === YES) return YES;
            if (r === UNK) unk = true;
          }
          return unk ? UNK : NO;
        },
        usesSrc: subs.some((s) => s.usesSrc),
        srcOnly: false,
        boundaries: subs.flatMap((s) => s.boundaries),
      },
    };
  }
  const dims = SET_DIMS[set.type];
  if (!dims) return { unknown: `ipset type ${set.type} is not modelled` };
  const never: SetMatcher = { test: () => NO, usesSrc: false, srcOnly: false, boundaries: [] };
  // The kernel matches nothing when the set has more dimensions than the rule gives directions,
  // or when the families differ.
  if (dirs.length < dims.length || setFamily(set) !== family) return { matcher: never };
  const entries: Entry[] = [];
  for (const m of set.members) {
    const e = parseEntry(m, dims, family);
    if (typeof e === 'string') return { unknown: `ipset ${name}: ${e}` };
    entries.push(e);
  }
  const usesSrc = dims.some((d, i) => d === 'ip' && dirs[i] === 'src');
  const srcOnly = dims.length === 1 && dims[0] === 'ip' && dirs[0] === 'src';
  const boundaries: Array<[bigint, bigint]> = [];
  dims.forEach((d, i) => {
    if (d !== 'ip' || dirs[i] !== 'src') return;
    for (const e of entries) {
      const x = e.dims[i] as { start: bigint; end: bigint };
      boundaries.push([x.start, x.end]);
    }
  });
  const hasNomatch = entries.some((e) => e.nomatch);
  // Most specific entry first: a more specific `nomatch` entry hides a less specific one.
  const ordered = hasNomatch ? entries.slice().sort((a, b) => b.prefixLen - a.prefixLen) : entries;
  const matcher: SetMatcher = {
    test(t, src) {
      let srcBig: bigint | undefined;
      let dstBig: bigint | undefined;
      for (const e of ordered) {
        let ok = true;
        for (let i = 0; i < dims.length && ok; i++) {
          const d = e.dims[i]!;
          const dir = dirs[i];
          if (d.kind === 'ip') {
            const v = dir === 'src' ? (srcBig ??= addrToBig(src)) : (dstBig ??= addrToBig(t.dst));
            ok = v >= d.start && v <= d.end;
          } else {
            if (t.proto !== d.proto) ok = false;
            else if (d.proto === 1 || d.proto === 58) {
              if (t.icmpType < 0) return UNK;
              ok = t.icmpType === d.lo && (d.hi < 0 || t.icmpCode === d.hi);
            } else {
              const port = dir === 'src' ? t.sport : t.dport;
              if (port < 0) return UNK;
              ok = port >= d.lo && port <= d.hi;
            }
          }
        }
        if (ok) return e.nomatch ? NO : YES;
      }
      return NO;
    },
    usesSrc,
    srcOnly,
    boundaries,
  };
  if (dims.length === 1 && dims[0] === 'ip' && !hasNomatch) {
    const ranges = entries.map((e): [bigint, bigint] => {
      const x = e.dims[0] as { start: bigint; end: bigint };
      return [x.start, x.end];
    });
    if (srcOnly) matcher.ranges = ranges;
    const exact = new Set<bigint>();
    const wide: Array<[bigint, bigint]> = [];
    for (const [s, e] of ranges) {
      if (s === e) exact.add(s);
      else wide.push([s, e]);
    }
    const fromSrc = dirs[0] === 'src';
    matcher.test = (t, src) => {
      const v = addrToBig(fromSrc ? src : t.dst);
      if (exact.has(v)) return YES;
      for (const [s, e] of wide) if (v >= s && v <= e) return YES;
      return NO;
    };
  }
  return { matcher };
}
