import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import type { Thread, Tri } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/** `1000`, `1000-1999` (iptables-save prints numbers; names are resolved when the rule is loaded). */
function parseIdRange(text: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi && hi <= 0xffffffff ? [lo, hi] : undefined;
}

interface IdTest {
  field: 'uid' | 'gid';
  range: [number, number];
  negated: boolean;
}

/**
 * `-m owner` as xt_owner decides it. Only a packet the host sends has a socket (and so an owner);
 * for any other packet the match holds exactly when every option given is negated. With a socket,
 * `--uid-owner`/`--gid-owner` test the sender's uid and gid (trace `--uid`/`--gid`);
 * `--suppl-groups` also looks at supplementary groups, which a probe does not carry.
 */
export function compileOwner(m: MatchModule, out: CompiledMatches): void {
  const tests: IdTest[] = [];
  let socket: boolean | undefined;
  let suppl = false;
  let allNegated = true;
  for (const o of m.options) {
    if (o.name === '--suppl-groups') {
      suppl = true;
      continue;
    }
    if (!o.negated) allNegated = false;
    if (o.name === '--socket-exists') socket = !o.negated;
    else if (o.name === '--uid-owner' || o.name === '--gid-owner') {
      const r = parseIdRange(arg(o));
      if (!r) fail(`owner id ${arg(o)}`);
      tests.push({ field: o.name === '--uid-owner' ? 'uid' : 'gid', range: r, negated: o.negated });
    } else fail(`-m owner ${o.name}`);
  }
  out.checks.push((t: Thread): Tri => {
    if (!t.local) return allNegated ? YES : NO;
    if (socket === false) return NO;
    let res: Tri = YES;
    for (const x of tests) {
      const id = t.probe[x.field];
      if (id === undefined) {
        t.why = `the ${x.field} of the sending process (trace --${x.field})`;
        res = UNK;
        continue;
      }
      let hit = id >= x.range[0] && id <= x.range[1];
      if (!hit && x.field === 'gid' && suppl) {
        t.why = 'the supplementary groups of the sending process';
        res = UNK;
        continue;
      }
      if (x.negated) hit = !hit;
      if (!hit) return NO;
    }
    return res;
  });
}
