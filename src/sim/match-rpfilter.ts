import type { MatchModule } from '../model/ruleset.js';
import { addrToBig, type Addr } from './addr.js';
import { fail, type CompiledMatches, type MatchCtx } from './match-common.js';
import { addrTypeBoundaries, routeBoundaries, routeLookup, type HostIndex } from './routing.js';
import type { Thread, Tri } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;

interface RpOptions {
  loose: boolean;
  acceptLocal: boolean;
}

/**
 * xt_rpfilter's reverse path test for source `a` of a packet arriving on `t.inIf`, from the host
 * model's routes: on lo always; a 0.0.0.0 source to a broadcast or link-local multicast address,
 * an IPv6 `::` source and (routed by the incoming interface) an IPv6 link-local one pass; else the
 * route towards the source must be a unicast route out of the incoming interface (any interface
 * with `--loose`), or a local address with `--accept-local`.
 */
export function reversePathOk(host: HostIndex, t: Thread, a: Addr, o: RpOptions): boolean {
  if (t.inIf === 'lo' || t.local) return true;
  const v = addrToBig(a);
  if (t.family === 'ipv4') {
    if (v >> 24n === 0n) {
      const d = addrToBig(t.dst);
      if (d === 0xffffffffn || d >> 8n === 0xe00000n) return true;
    }
  } else if (v === 0n || v >> 118n === 0x3fan) return true;
  const r = routeLookup(host, t.family, a);
  if (r.kind === 'unreachable') return false;
  if (r.kind === 'local') return o.acceptLocal && host.families[t.family].local.has(v);
  return o.loose || r.iface === t.inIf;
}

/** `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]` (PREROUTING). */
export function compileRpfilter(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  const o: RpOptions = { loose: false, acceptLocal: false };
  let invert = false;
  for (const x of m.options) {
    if (x.negated) fail(`-m rpfilter ! ${x.name}`);
    if (x.name === '--loose') o.loose = true;
    else if (x.name === '--accept-local') o.acceptLocal = true;
    else if (x.name === '--invert') invert = true;
    else if (x.name === '--validmark')
      continue; // the mark only matters with policy routing rules
    else fail(`-m rpfilter ${x.name}`);
  }
  const host = ctx.host;
  out.src.push({
    key: `rpfilter:${o.loose ? 'loose' : ''}:${o.acceptLocal ? 'local' : ''}`,
    negated: invert,
    test: (a, t): Tri => (reversePathOk(host, t, a, o) ? YES : NO),
    dynamic: true,
    boundaries: [...routeBoundaries(host, ctx.family), ...addrTypeBoundaries(host, ctx.family)],
  });
  out.assumptions.push('-m rpfilter: routes as the host model gives them (no policy routing rules)');
}
