import type { IpSet } from '../model/ipset.js';
import type { Family, MatchModule, Rule, RuleOption, TableName } from '../model/ruleset.js';
import { addrToBig, cidrTest, cmpAddr, parseAddrRange, parseCidr, type Addr, type Cidr } from './addr.js';
import { compileSetMatch } from './ipset-match.js';
import {
  parseIcmpType,
  parseMarkMask,
  parsePortList,
  parsePortRange,
  parseProto,
} from './match-values.js';
import { addrType, type AddrType, type HostIndex } from './routing.js';
import type { Check, CtState, SrcCrit, Thread, Tri } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

export interface MatchCtx {
  family: Family;
  table: TableName;
  chain: string;
  host: HostIndex;
  /** Absent when no ipset state was given: set matches are then unknown. */
  sets: Map<string, IpSet> | undefined;
}

export interface CompiledMatches {
  checks: Check[];
  src: SrcCrit[];
  unknown: string | null;
  assumptions: string[];
}

class Unsupported extends Error {}

function fail(what: string): never {
  throw new Unsupported(`${what} is not modelled`);
}

function unknownBecause(why: string): never {
  throw new Unsupported(why);
}

function arg(o: RuleOption, i = 0): string {
  const a = o.args[i];
  if (a === undefined) fail(`${o.name} without a value`);
  return a.text;
}

function invert(c: Check): Check {
  return (t) => {
    const r = c(t);
    return r === YES ? NO : r === NO ? YES : UNK;
  };
}

function maybeInvert(c: Check, negated: boolean): Check {
  return negated ? invert(c) : c;
}

function cidrOf(text: string, ctx: MatchCtx): Cidr {
  const c = parseCidr(text, ctx.family);
  if (!c) fail(`${text} is not an ${ctx.family} address`);
  return c;
}

function addrCrit(key: string, c: Cidr, negated: boolean, pick?: (a: Addr, t: Thread) => Addr): SrcCrit {
  const test = cidrTest(c);
  const crit: SrcCrit = {
    key: `${key}:${negated ? '!' : ''}${c.net.join('.')}/${c.mask.join('.')}`,
    negated,
    test: pick ? (a, t) => (test(pick(a, t)) ? YES : NO) : (a) => (test(a) ? YES : NO),
    dynamic: false,
    boundaries: c.prefix >= 0 ? [[c.start, c.end]] : [],
  };
  if (c.prefix >= 0) crit.ranges = [[c.start, c.end]];
  return crit;
}

function ifaceCheck(name: string, which: 'inIf' | 'outIf'): Check {
  if (name.endsWith('+')) {
    const prefix = name.slice(0, -1);
    return (t) => (t[which].startsWith(prefix) ? YES : NO);
  }
  return (t) => (t[which] === name ? YES : NO);
}

function protoCheck(text: string): Check {
  const p = parseProto(text);
  if (p === undefined) fail(`protocol ${text}`);
  if (p === 0) return () => YES;
  return (t) => (t.proto === p ? YES : NO);
}

function compileGeneric(o: RuleOption, ctx: MatchCtx, out: CompiledMatches): void {
  switch (o.name) {
    case '-s':
      out.src.push(addrCrit('s', cidrOf(arg(o), ctx), o.negated));
      return;
    case '-d': {
      const test = cidrTest(cidrOf(arg(o), ctx));
      out.checks.push(maybeInvert((t) => (test(t.dst) ? YES : NO), o.negated));
      return;
    }
    case '-i':
      out.checks.push(maybeInvert(ifaceCheck(arg(o), 'inIf'), o.negated));
      return;
    case '-o':
      out.checks.push(maybeInvert(ifaceCheck(arg(o), 'outIf'), o.negated));
      return;
    case '-p':
      out.checks.push(maybeInvert(protoCheck(arg(o)), o.negated));
      return;
    case '-f':
      // Packets are simulated whole (not fragments): -f never matches.
      out.checks.push(o.negated ? () => YES : () => NO);
      return;
    default:
      fail(`option ${o.name}`);
  }
}

type PortField = 'sport' | 'dport';

function portCheck(proto: number, field: PortField, ranges: Array<[number, number]>, negated: boolean): Check {
  const single = ranges.length === 1 ? ranges[0]! : undefined;
  return (t) => {
    if (t.proto !== proto) return NO;
    const p = t[field];
    if (p < 0) {
      t.why = `the packet has no ${field === 'sport' ? 'source' : 'destination'} port`;
      return UNK;
    }
    let hit = false;
    if (single) hit = p >= single[0] && p <= single[1];
    else for (const [lo, hi] of ranges) if (p >= lo && p <= hi) hit = true;
    return hit !== negated ? YES : NO;
  };
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

function flagBits(text: string): number {
  if (text === 'ALL') return 0xff;
  if (text === 'NONE') return 0;
  let v = 0;
  for (const f of text.split(',')) {
    const i = TCP_FLAGS.indexOf(f);
    if (i < 0) fail(`tcp flag ${f}`);
    v |= 1 << i;
  }
  return v;
}

const SYN = 1 << 1;

function tcpFlagsCheck(mask: number, comp: number, negated: boolean): Check {
  return (t) => {
    if (t.proto !== 6) return NO;
    if (t.state !== 'NEW') {
      t.why = `TCP flags of a ${t.state} packet`;
      return UNK;
    }
    return ((SYN & mask) === comp) !== negated ? YES : NO;
  };
}

function compileTcpUdp(m: MatchModule, proto: number, out: CompiledMatches): void {
  for (const o of m.options) {
    switch (o.name) {
      case '--sport':
      case '--source-port':
      case '--dport':
      case '--destination-port': {
        const r = parsePortRange(arg(o));
        if (!r) fail(`port ${arg(o)}`);
        const field: PortField = o.name.startsWith('--s') ? 'sport' : 'dport';
        out.checks.push(portCheck(proto, field, [r], o.negated));
        break;
      }
      case '--tcp-flags':
        if (proto !== 6) fail(`-m ${m.name} ${o.name}`);
        out.checks.push(tcpFlagsCheck(flagBits(arg(o, 0)), flagBits(arg(o, 1)), o.negated));
        break;
      case '--syn':
        if (proto !== 6) fail(`-m ${m.name} ${o.name}`);
        out.checks.push(tcpFlagsCheck(flagBits('FIN,SYN,RST,ACK'), SYN, o.negated));
        break;
      default:
        fail(`-m ${m.name} ${o.name}`);
    }
  }
}

function compileMultiport(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    const ranges = parsePortList(arg(o));
    if (!ranges) fail(`port list ${arg(o)}`);
    const fields: PortField[] =
      o.name === '--dports' || o.name === '--destination-ports'
        ? ['dport']
        : o.name === '--sports' || o.name === '--source-ports'
          ? ['sport']
          : o.name === '--ports'
            ? ['sport', 'dport']
            : fail(`-m multiport ${o.name}`);
    const negated = o.negated;
    out.checks.push((t) => {
      if (t.proto !== 6 && t.proto !== 17 && t.proto !== 132 && t.proto !== 136) return NO;
      let hit = false;
      for (const f of fields) {
        const p = t[f];
        if (p < 0) {
          t.why = `the packet has no ${f === 'sport' ? 'source' : 'destination'} port`;
          return UNK;
        }
        for (const [lo, hi] of ranges) if (p >= lo && p <= hi) hit = true;
      }
      return hit !== negated ? YES : NO;
    });
  }
}

const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'];

function stateMatches(t: Thread, states: string[]): boolean {
  for (const s of states) {
    if (s === t.state) return true;
    if (s === 'DNAT' && t.dnat) return true;
    if (s === 'SNAT' && t.snat) return true;
  }
  return false;
}

function parseStates(text: string, allowed: string[]): string[] {
  const states = text.split(',');
  for (const s of states) if (!allowed.includes(s)) fail(`conntrack state ${s}`);
  return states;
}

function hasCt(s: CtState): boolean {
  return s !== 'INVALID' && s !== 'UNTRACKED';
}

function compileConntrack(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  const parts: Check[] = [];
  let stateCheck: Check | undefined;
  for (const o of m.options) {
    const neg = o.negated;
    switch (o.name) {
      case '--ctstate': {
        const states = parseStates(arg(o), CT_STATES);
        stateCheck = (t) => (stateMatches(t, states) !== neg ? YES : NO);
        break;
      }
      case '--ctproto': {
        const p = parseProto(arg(o));
        if (p === undefined) fail(`protocol ${arg(o)}`);
        parts.push((t) => ((p === 0 || t.proto === p) !== neg ? YES : NO));
        break;
      }
      case '--ctorigsrc':
        out.src.push(addrCrit('ctorigsrc', cidrOf(arg(o), ctx), neg));
        break;
      case '--ctrepldst':
        out.src.push(addrCrit('ctrepldst', cidrOf(arg(o), ctx), neg, (a, t) => t.snatTo ?? a));
        break;
      case '--ctorigdst':
      case '--ctreplsrc': {
        const test = cidrTest(cidrOf(arg(o), ctx));
        const orig = o.name === '--ctorigdst';
        parts.push((t) => (test(orig ? t.origDst : t.dst) !== neg ? YES : NO));
        break;
      }
      case '--ctorigsrcport':
      case '--ctorigdstport':
      case '--ctreplsrcport':
      case '--ctrepldstport': {
        const r = parsePortRange(arg(o));
        if (!r) fail(`port ${arg(o)}`);
        const pick: (t: Thread) => number =
          o.name === '--ctorigdstport' ? (t) => t.origDport : o.name === '--ctreplsrcport' ? (t) => t.dport : (t) => t.sport;
        parts.push((t) => {
          const p = pick(t);
          if (p < 0) {
            t.why = 'the packet has no port';
            return UNK;
          }
          return (p >= r[0] && p <= r[1]) !== neg ? YES : NO;
        });
        break;
      }
      case '--ctstatus': {
        const wanted = arg(o).split(',');
        for (const s of wanted)
          if (!['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'].includes(s)) fail(`ctstatus ${s}`);
        parts.push((t) => {
          // A NEW connection is not confirmed yet; an established one has seen a reply.
          const known = t.state === 'ESTABLISHED' ? ['SEEN_REPLY', 'CONFIRMED'] : t.state === 'RELATED' ? ['EXPECTED'] : [];
          if (wanted.some((s) => known.includes(s))) return neg ? NO : YES;
          if (t.state === 'ESTABLISHED' && wanted.includes('ASSURED')) {
            t.why = 'whether the connection is ASSURED';
            return UNK;
          }
          return neg ? YES : NO;
        });
        break;
      }
      case '--ctdir': {
        const dir = arg(o);
        parts.push((t) => {
          if (t.state !== 'NEW') {
            t.why = `the direction of a ${t.state} packet`;
            return UNK;
          }
          return (dir === 'ORIGINAL') !== neg ? YES : NO;
        });
        break;
      }
      default:
        fail(`-m conntrack ${o.name}`);
    }
  }
  // Without a conntrack entry (INVALID, UNTRACKED) the kernel only looks at --ctstate.
  const sc = stateCheck;
  out.checks.push((t) => {
    if (!hasCt(t.state)) return sc ? sc(t) : NO;
    let r: Tri = sc ? sc(t) : YES;
    if (r === NO) return NO;
    for (const p of parts) {
      const x = p(t);
      if (x === NO) return NO;
      if (x === UNK) r = UNK;
    }
    return r;
  });
}

const MODELLED_TYPES: AddrType[] = ['UNICAST', 'LOCAL', 'BROADCAST', 'MULTICAST'];

function compileAddrtype(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  let limitIn = false;
  let limitOut = false;
  for (const o of m.options) {
    if (o.name === '--limit-iface-in') limitIn = true;
    else if (o.name === '--limit-iface-out') limitOut = true;
  }
  const limit = (t: Thread): string | undefined => (limitIn ? t.inIf : limitOut ? t.outIf : undefined);
  for (const o of m.options) {
    if (o.name === '--limit-iface-in' || o.name === '--limit-iface-out') continue;
    if (o.name !== '--src-type' && o.name !== '--dst-type') fail(`-m addrtype ${o.name}`);
    const types = arg(o).split(',') as AddrType[];
    for (const ty of types) if (!MODELLED_TYPES.includes(ty)) fail(`address type ${ty}`);
    const host = ctx.host;
    const fam = ctx.family;
    const neg = o.negated;
    if (o.name === '--dst-type') {
      out.checks.push((t) => (types.includes(addrType(host, fam, t.dst, limit(t))) !== neg ? YES : NO));
    } else {
      out.src.push({
        key: `addrtype-src:${limitIn ? 'in' : limitOut ? 'out' : ''}:${types.join(',')}`,
        negated: neg,
        test: (a, t) => (types.includes(addrType(host, fam, a, limit(t))) ? YES : NO),
        dynamic: limitIn || limitOut,
        boundaries: [],
      });
    }
  }
}

function compileSet(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name === '--update-counters' || o.name === '--update-subcounters') continue;
    if (o.name !== '--match-set') fail(`-m set ${o.name}`);
    const name = arg(o, 0);
    const dirs = arg(o, 1).split(',');
    if (!ctx.sets) unknownBecause(`the contents of ipset ${name} were not given`);
    const r = compileSetMatch(name, dirs, ctx.sets, ctx.family);
    if ('unknown' in r) unknownBecause(r.unknown);
    const sm = r.matcher;
    const neg = o.negated;
    if (sm.usesSrc) {
      const crit: SrcCrit = {
        key: `set:${name}:${dirs.join(',')}`,
        negated: neg,
        test: (a, t) => sm.test(t, a),
        dynamic: !sm.srcOnly,
        boundaries: sm.boundaries,
      };
      if (sm.ranges) crit.ranges = sm.ranges;
      out.src.push(crit);
    } else {
      out.checks.push(maybeInvert((t) => sm.test(t, t.src), neg));
    }
  }
}

function compileIcmp(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  const v6 = m.name === 'icmp6';
  const proto = v6 ? 58 : 1;
  for (const o of m.options) {
    if (o.name !== (v6 ? '--icmpv6-type' : '--icmp-type')) fail(`-m ${m.name} ${o.name}`);
    const ty = parseIcmpType(arg(o), v6);
    if (!ty) fail(`icmp type ${arg(o)}`);
    const [type, code] = ty;
    const neg = o.negated;
    out.checks.push((t) => {
      if (t.proto !== proto) return NO;
      if (type < 0) return neg ? NO : YES;
      if (t.icmpType < 0) {
        t.why = 'the packet has no ICMP type';
        return UNK;
      }
      if (code >= 0 && t.icmpCode < 0 && t.icmpType === type) {
        t.why = 'the packet has no ICMP code';
        return UNK;
      }
      return (t.icmpType === type && (code < 0 || t.icmpCode === code)) !== neg ? YES : NO;
    });
  }
  void ctx;
}

function compileMark(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--mark') fail(`-m ${m.name} ${o.name}`);
    const vm = parseMarkMask(arg(o));
    if (!vm) fail(`mark ${arg(o)}`);
    const [value, mask] = vm;
    const neg = o.negated;
    const ct = m.name === 'connmark';
    out.checks.push((t) => {
      if (ct ? !t.ctmarkKnown : !t.markKnown) {
        t.why = ct ? 'the connection mark' : 'the packet mark';
        return UNK;
      }
      const v = ct ? t.ctmark : t.mark;
      return (((v & mask) >>> 0 === value) !== neg ? YES : NO) as Tri;
    });
  }
}

function compileIprange(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  for (const o of m.options) {
    const r = parseAddrRange(arg(o), ctx.family);
    if (!r) fail(`address range ${arg(o)}`);
    const [lo, hi] = r;
    const inRange = (a: Addr) => a.length === lo.length && cmpAddr(a, lo) >= 0 && cmpAddr(a, hi) <= 0;
    if (o.name === '--src-range') {
      out.src.push({
        key: `iprange:${arg(o)}`,
        negated: o.negated,
        ranges: [[addrToBig(lo), addrToBig(hi)]],
        test: (a) => (inRange(a) ? YES : NO),
        dynamic: false,
        boundaries: [[addrToBig(lo), addrToBig(hi)]],
      });
    } else if (o.name === '--dst-range') {
      out.checks.push(maybeInvert((t) => (inRange(t.dst) ? YES : NO), o.negated));
    } else fail(`-m iprange ${o.name}`);
  }
}

function compilePkttype(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--pkt-type') fail(`-m pkttype ${o.name}`);
    const want = arg(o).toLowerCase();
    if (!['unicast', 'host', 'broadcast', 'multicast', 'otherhost'].includes(want)) fail(`packet type ${want}`);
    const neg = o.negated;
    out.checks.push((t) => {
      const ty = addrType(ctx.host, ctx.family, t.dst);
      const kind = ty === 'BROADCAST' ? 'broadcast' : ty === 'MULTICAST' ? 'multicast' : 'unicast';
      const hit = want === 'host' ? kind === 'unicast' : want === kind;
      return hit !== neg ? YES : NO;
    });
  }
}

function compileModule(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  switch (m.name) {
    case 'tcp':
      return compileTcpUdp(m, 6, out);
    case 'udp':
      return compileTcpUdp(m, 17, out);
    case 'multiport':
      return compileMultiport(m, out);
    case 'conntrack':
      return compileConntrack(m, ctx, out);
    case 'state':
      for (const o of m.options) {
        if (o.name !== '--state') fail(`-m state ${o.name}`);
        const states = parseStates(arg(o), ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED']);
        const neg = o.negated;
        out.checks.push((t) => (stateMatches(t, states) !== neg ? YES : NO));
      }
      return;
    case 'addrtype':
      return compileAddrtype(m, ctx, out);
    case 'comment':
      return;
    case 'set':
      return compileSet(m, ctx, out);
    case 'iprange':
      return compileIprange(m, ctx, out);
    case 'icmp':
    case 'icmp6':
      return compileIcmp(m, ctx, out);
    case 'mark':
    case 'connmark':
      return compileMark(m, out);
    case 'limit':
    case 'hashlimit':
      out.assumptions.push(`-m ${m.name}: the rate limit is taken as not exceeded`);
      return;
    case 'pkttype':
      return compilePkttype(m, ctx, out);
    default:
      fail(`match -m ${m.name}`);
  }
}

/** Compiles a rule's generic options and match modules into checks; unmodelled parts make `unknown`. */
export function compileMatches(rule: Rule, ctx: MatchCtx): CompiledMatches {
  const out: CompiledMatches = { checks: [], src: [], unknown: null, assumptions: [] };
  // Each part is compiled on its own: the parts that are modelled can still rule a match out.
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      out.unknown ??= e.message;
    }
  };
  for (const o of rule.generic) attempt(() => compileGeneric(o, ctx, out));
  for (const m of rule.matches) attempt(() => compileModule(m, ctx, out));
  return out;
}
