import type { IpSet } from '../model/ipset.js';
import type { Family, RuleOption, TableName } from '../model/ruleset.js';
import { cidrTest, parseCidr, type Addr, type Cidr } from './addr.js';
import type { HostIndex } from './routing.js';
import type { Condition, Effect } from './either-way.js';
import type { Check, SrcCrit, Thread } from './thread.js';

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
  /**
   * Matches whose outcome depends on history or rates, or that are not modelled: the walk takes
   * them both ways (see either-way.ts). Checked after `checks` and `src` hold.
   */
  conditions: Condition[];
  /** Changes a matching rule makes for later rules (`recent --set`). */
  effects: Effect[];
}

export class Unsupported extends Error {}

export function fail(what: string): never {
  throw new Unsupported(`${what} is not modelled`);
}

export function unknownBecause(why: string): never {
  throw new Unsupported(why);
}

/** Input the walk needs was not given (an ipset's contents): the rule is unknown, not taken both ways. */
export class MissingInput extends Unsupported {}

export function missingInput(why: string): never {
  throw new MissingInput(why);
}

export function arg(o: RuleOption, i = 0): string {
  const a = o.args[i];
  if (a === undefined) fail(`${o.name} without a value`);
  return a.text;
}

export function invert(c: Check): Check {
  return (t) => {
    const r = c(t);
    return r === YES ? NO : r === NO ? YES : UNK;
  };
}

export function maybeInvert(c: Check, negated: boolean): Check {
  return negated ? invert(c) : c;
}

export function cidrOf(text: string, ctx: MatchCtx): Cidr {
  const c = parseCidr(text, ctx.family);
  if (!c) fail(`${text} is not an ${ctx.family} address`);
  return c;
}

export function addrCrit(
  key: string,
  c: Cidr,
  negated: boolean,
  pick?: (a: Addr, t: Thread) => Addr,
): SrcCrit {
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
