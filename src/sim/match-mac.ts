import type { MatchModule } from '../model/ruleset.js';
import { canonicalMac } from '../parse/mac-address.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import { freshCondition } from './match-history.js';
import type { Check, Thread } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;

/**
 * `-m mac --mac-source`: the Ethernet source of an arriving packet. Like the kernel (xt_mac), a
 * packet without an Ethernet header (the host's own, on lo) matches neither the MAC nor its `!`.
 * A probe that carries no MAC (audit's source classes, a trace without --mac) may come from any
 * MAC: the rule is taken both ways (either-way.ts), "depends on the source MAC".
 */
export function compileMac(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--mac-source') fail(`-m mac ${o.name}`);
    const mac = canonicalMac(arg(o));
    if (mac === null) fail(`MAC address ${arg(o)}`);
    const check: Check = (t) => (t.local || t.inIf === 'lo' || t.inIf === '' ? NO : YES);
    out.checks.push(check);
    const known = (t: Thread): boolean | undefined =>
      t.probe.mac === undefined ? undefined : t.probe.mac === mac;
    const text = { yes: `the source MAC is ${mac}`, no: `the source MAC is not ${mac}` };
    out.conditions.push(freshCondition(text, !o.negated, known));
  }
}
