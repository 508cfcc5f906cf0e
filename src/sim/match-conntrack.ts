import type { MatchModule } from '../model/ruleset.js';
import { cidrTest } from './addr.js';
import { addrCrit, arg, cidrOf, fail, type CompiledMatches, type MatchCtx } from './match-common.js';
import { parsePortRange, parseProto } from './match-values.js';
import type { Check, CtState, Thread, Tri } from './thread.js';
import { aState } from './packet.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'];

export function stateMatches(t: Thread, states: string[]): boolean {
  for (const s of states) {
    if (s === t.state) return true;
    if (s === 'DNAT' && t.dnat) return true;
    if (s === 'SNAT' && t.snat) return true;
  }
  return false;
}

export function parseStates(text: string, allowed: string[]): string[] {
  const states = text.split(',');
  for (const s of states) if (!allowed.includes(s)) fail(`conntrack state ${s}`);
  return states;
}

function hasCt(s: CtState): boolean {
  return s !== 'INVALID' && s !== 'UNTRACKED';
}

export function compileConntrack(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
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
          o.name === '--ctorigdstport'
            ? (t) => t.origDport
            : o.name === '--ctreplsrcport'
              ? (t) => t.dport
              : (t) => t.sport;
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
          const known =
            t.state === 'ESTABLISHED'
              ? ['SEEN_REPLY', 'CONFIRMED']
              : t.state === 'RELATED'
                ? ['EXPECTED']
                : [];
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
            t.why = `the direction of ${aState(t.state)} packet`;
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
