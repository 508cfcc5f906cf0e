import type { MatchModule, Rule, RuleOption } from '../model/ruleset.js';
import { addrToBig, cidrTest, cmpAddr, parseAddrRange, type Addr } from './addr.js';
import { compileSetMatch } from './ipset-match.js';
import {
  Unsupported,
  addrCrit,
  arg,
  cidrOf,
  fail,
  maybeInvert,
  MissingInput,
  missingInput,
  type CompiledMatches,
  type MatchCtx,
} from './match-common.js';
import { compileHistoryMatch, unmodelledCondition } from './match-history.js';
import { compileConntrack, parseStates, stateMatches } from './match-conntrack.js';
import { compileLength } from './match-length.js';
import { compileMac } from './match-mac.js';
import { compileOwner } from './match-owner.js';
import { compilePhysdev } from './match-physdev.js';
import { compilePolicy } from './match-policy.js';
import { compileMultiport, compileTcpUdp } from './match-ports.js';
import { compileRpfilter } from './match-rpfilter.js';
import { compileSctp } from './match-sctp.js';
import { compileTime } from './match-time.js';
import { compileTtl } from './match-ttl.js';
import { parseIcmpType, parseMarkMask, parseProto } from './match-values.js';
import { addrType, type AddrType } from './routing.js';
import type { Check, SrcCrit, Thread, Tri } from './thread.js';

export type { CompiledMatches, MatchCtx } from './match-common.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

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
    if (!ctx.sets) missingInput(`the contents of ipset ${name} were not given`);
    const r = compileSetMatch(name, dirs, ctx.sets, ctx.family);
    if ('unknown' in r) missingInput(r.unknown);
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

function compileIcmp(m: MatchModule, out: CompiledMatches): void {
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
    if (!['unicast', 'host', 'broadcast', 'multicast', 'otherhost'].includes(want))
      fail(`packet type ${want}`);
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
  if (compileHistoryMatch(m, out)) return;
  switch (m.name) {
    case 'tcp':
      return compileTcpUdp(m, 6, out);
    case 'udp':
      return compileTcpUdp(m, 17, out);
    case 'sctp':
      return compileSctp(m, out);
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
      return compileIcmp(m, out);
    case 'mark':
    case 'connmark':
      return compileMark(m, out);
    case 'pkttype':
      return compilePkttype(m, ctx, out);
    case 'mac':
      return compileMac(m, out);
    case 'owner':
      return compileOwner(m, out);
    case 'ttl':
    case 'hl':
      return compileTtl(m, out);
    case 'length':
      return compileLength(m, out);
    case 'rpfilter':
      return compileRpfilter(m, ctx, out);
    case 'policy':
      return compilePolicy(m, out);
    case 'time':
      return compileTime(m, out);
    case 'physdev':
      return compilePhysdev(m, ctx, out);
    case 'rt':
      // xt_rt never matches a packet without a routing header (probes carry no extension headers).
      out.checks.push(() => NO);
      return;
    default:
      fail(`match -m ${m.name}`);
  }
}

function unsupported(e: unknown): string {
  if (e instanceof Unsupported) return e.message;
  throw e;
}

/**
 * Compiles a rule's generic options and match modules into checks. A match module the simulator
 * does not model becomes a condition the walk takes both ways; an unmodelled generic option makes
 * the rule `unknown`.
 */
export function compileMatches(rule: Rule, ctx: MatchCtx): CompiledMatches {
  const out: CompiledMatches = {
    checks: [],
    src: [],
    unknown: null,
    assumptions: [],
    conditions: [],
    effects: [],
  };
  // Each part is compiled on its own: the parts that are modelled can still rule a match out.
  for (const o of rule.generic) {
    try {
      compileGeneric(o, ctx, out);
    } catch (e) {
      out.unknown ??= unsupported(e);
    }
  }
  for (const m of rule.matches) {
    try {
      compileModule(m, ctx, out);
    } catch (e) {
      const why = unsupported(e);
      if (e instanceof MissingInput) out.unknown ??= why;
      else out.conditions.push(unmodelledCondition(m));
    }
  }
  return out;
}
