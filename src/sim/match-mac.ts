import type { MatchModule } from '../model/ruleset.js';
import { canonicalMac } from '../parse/mac-address.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import type { Check } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/**
 * `-m mac --mac-source`: the Ethernet source of an arriving packet. Like the kernel (xt_mac), a
 * packet without an Ethernet header (the host's own, on lo) matches neither the MAC nor its `!`.
 * A probe without a MAC (audit's source classes) cannot decide.
 */
export function compileMac(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--mac-source') fail(`-m mac ${o.name}`);
    const mac = canonicalMac(arg(o));
    if (mac === null) fail(`MAC address ${arg(o)}`);
    const neg = o.negated;
    const check: Check = (t) => {
      if (t.local || t.inIf === 'lo' || t.inIf === '') return NO;
      const have = t.probe.mac;
      if (have === undefined) {
        t.why = 'the source MAC address (trace --mac)';
        return UNK;
      }
      return (have === mac) !== neg ? YES : NO;
    };
    out.checks.push(check);
  }
}
