import type { MatchModule } from '../model/ruleset.js';
import { formatAddr } from './addr.js';
import type { Condition, Effect } from './either-way.js';
import { formatModuleText } from './format-rule.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import type { RecentState, Thread } from './thread.js';

/**
 * Matches whose outcome depends on what came before the packet (`recent` lists, rate limits,
 * connection counts, quotas, counters) or on what a probe does not carry (the payload): compiled
 * into conditions the walk takes both ways (either-way.ts), never into a guess.
 */

let serial = 0;

/**
 * A condition on a fact nothing else on the walk can share (a token bucket, a counter, a match not
 * modelled): each time the walk reaches it, it is a new fact.
 */
/**
 * A fact no later rule asks again. `known` gives its value when the packet itself tells it (a MAC
 * the probe carries); otherwise the walk takes it both ways.
 */
export function freshCondition(
  text: { yes: string; no: string },
  matchesWhen: boolean,
  known?: (t: Thread) => boolean | undefined,
): Condition {
  const id = `c${serial++}`;
  // The branch's number of assumptions tells one visit from another (a chain reached twice).
  const c: Condition = {
    key: (t) => `${id}@${t.conds?.length ?? 0}`,
    text: () => text,
    matchesWhen,
    fresh: true,
  };
  if (known) c.known = known;
  return c;
}

function options(m: MatchModule): Map<string, { args: string[]; negated: boolean }> {
  const out = new Map<string, { args: string[]; negated: boolean }>();
  for (const o of m.options) out.set(o.name, { args: o.args.map((a) => a.text), negated: o.negated });
  return out;
}

function one(m: MatchModule, name: string): string | undefined {
  return options(m).get(name)?.args[0];
}

function compileLimit(m: MatchModule, out: CompiledMatches): void {
  const rate = one(m, '--limit') ?? '3/hour';
  const burst = one(m, '--limit-burst');
  const what = `the limit ${rate}${burst ? ` (burst ${burst})` : ''}`;
  out.conditions.push(freshCondition({ yes: `${what} is exceeded`, no: `${what} is not exceeded` }, false));
}

function compileHashlimit(m: MatchModule, out: CompiledMatches): void {
  const o = options(m);
  const above = o.get('--hashlimit-above')?.args[0];
  const rate = above ?? o.get('--hashlimit-upto')?.args[0] ?? o.get('--hashlimit')?.args[0];
  if (rate === undefined) fail('-m hashlimit without a rate');
  const name = o.get('--hashlimit-name')?.args[0];
  const mode = o.get('--hashlimit-mode')?.args[0];
  const what = `the hashlimit${name ? ` \`${name}\`` : ''} rate ${rate}${mode ? ` per ${mode}` : ''}`;
  const yes = `${what} is exceeded`;
  const no = `${what} is not exceeded`;
  out.conditions.push(freshCondition({ yes, no }, above !== undefined));
}

function compileConnlimit(m: MatchModule, out: CompiledMatches): void {
  const o = options(m);
  const above = o.get('--connlimit-above');
  const upto = o.get('--connlimit-upto');
  const lim = above ?? upto;
  if (!lim || lim.args[0] === undefined) fail('-m connlimit without --connlimit-above/--connlimit-upto');
  const n = lim.args[0];
  const mask = o.get('--connlimit-mask')?.args[0];
  const who = `${o.has('--connlimit-daddr') ? 'the destination' : 'the source'}${mask ? ` (/${mask})` : ''}`;
  const yes = `${who} has more than ${n} connections`;
  const no = `${who} has at most ${n} connections`;
  // --connlimit-above N matches above N, --connlimit-upto N up to N; `!` turns either round.
  out.conditions.push(freshCondition({ yes, no }, (above !== undefined) !== lim.negated));
}

function compileQuota(m: MatchModule, out: CompiledMatches): void {
  const q = options(m).get('--quota');
  if (!q || q.args[0] === undefined) fail('-m quota without --quota');
  const what = `the quota of ${q.args[0]} bytes`;
  out.conditions.push(freshCondition({ yes: `${what} is used up`, no: `${what} is not used up` }, q.negated));
}

function compileStatistic(m: MatchModule, out: CompiledMatches): void {
  const o = options(m);
  const mode = o.get('--mode')?.args[0];
  const neg = [...o.values()].some((x) => x.negated);
  if (mode === 'random') {
    const p = o.get('--probability')?.args[0] ?? '?';
    const what = `the packet is picked at random (probability ${p})`;
    out.conditions.push(
      freshCondition({ yes: what, no: `${what.replace('is picked', 'is not picked')}` }, !neg),
    );
  } else if (mode === 'nth') {
    const every = o.get('--every')?.args[0] ?? '?';
    const packet = o.get('--packet')?.args[0] ?? '0';
    const what = `the packet is number ${packet} of every ${every} (counter)`;
    out.conditions.push(freshCondition({ yes: what, no: what.replace(' is ', ' is not ') }, !neg));
  } else fail(`-m statistic --mode ${mode ?? '(none)'}`);
}

function compileString(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--string' && o.name !== '--hex-string') continue;
    const what = `the payload contains ${o.name === '--hex-string' ? 'the bytes' : ''}"${arg(o)}"`.replace(
      'contains the bytes"',
      'contains the bytes "',
    );
    out.conditions.push(
      freshCondition({ yes: what, no: what.replace('contains', 'does not contain') }, !o.negated),
    );
  }
}

type RecentMode = 'set' | 'rcheck' | 'update' | 'remove';

/** A `recent` list entry: the list, which address (with its mask), as the walk names it. */
function entryKey(name: string, side: 'src' | 'dst', mask: string | undefined, t: Thread): string {
  return `${name}|${addressOf(side, t)}|${mask ?? ''}`;
}

function addressOf(side: 'src' | 'dst', t: Thread): string {
  if (side === 'src') return t.srcSet ? 'the source' : formatAddr(t.src);
  return formatAddr(t.dst);
}

function stateOf(t: Thread, key: string): RecentState {
  return t.recent?.get(key) ?? { epoch: 0, present: undefined };
}

/**
 * `-m recent`: `--set` always matches and adds the address to the list; `--rcheck` and `--update`
 * match when the address is in the list (seen within `--seconds`, at least `--hitcount` times), and
 * `--update`/`--remove` change the entry when they match. A check is a condition on the list's
 * contents before the packet, unless an earlier `--set`/`--remove` on this walk decides it.
 */
function compileRecent(m: MatchModule, out: CompiledMatches): void {
  const o = options(m);
  let mode: RecentMode | undefined;
  let negated = false;
  for (const k of ['set', 'rcheck', 'update', 'remove'] as const) {
    const x = o.get(`--${k}`);
    if (x) {
      if (mode) fail(`-m recent with --${mode} and --${k}`);
      mode = k;
      negated = x.negated;
    }
  }
  if (!mode) fail('-m recent without --set/--rcheck/--update/--remove');
  const name = o.get('--name')?.args[0] ?? 'DEFAULT';
  const side = o.has('--rdest') ? 'dst' : 'src';
  const mask = o.get('--mask')?.args[0];
  const seconds = o.get('--seconds')?.args[0];
  const hits = o.get('--hitcount')?.args[0];
  const ttl = o.has('--rttl');
  const effect: Effect = (t, sure) => {
    if (mode === 'rcheck') return;
    const key = entryKey(name, side, mask, t);
    const s = stateOf(t, key);
    // A --set (or a matching --update) leaves a fresh entry; a matching --remove none.
    let present: boolean | undefined;
    if (sure && !negated) present = mode === 'remove' ? false : true;
    (t.recent ??= new Map()).set(key, { epoch: s.epoch + 1, present });
  };
  out.effects.push(effect);
  if (mode === 'set') {
    // Always matches (`! --set` never), and the entry is there afterwards.
    out.checks.push(negated ? () => 0 : () => 1);
    return;
  }
  const when = [
    hits ? `${hits} times or more` : '',
    seconds ? `in the last ${seconds} s` : '',
    ttl ? 'with this TTL' : '',
  ]
    .filter((x) => x)
    .join(' ');
  out.conditions.push({
    key: (t) => {
      const k = entryKey(name, side, mask, t);
      return `recent ${k} @${stateOf(t, k).epoch} ${seconds ?? ''} ${hits ?? ''} ${ttl}`;
    },
    text: (t) => {
      const addr = `${addressOf(side, t)}${mask ? ` (mask ${mask})` : ''}`;
      const s = stateOf(t, entryKey(name, side, mask, t));
      const counted = s.epoch > 0 ? ', this packet counted' : '';
      if (!when)
        return {
          yes: `${addr} is in recent list \`${name}\``,
          no: `${addr} is not in recent list \`${name}\``,
        };
      return {
        yes: `${addr} was seen ${when} (recent list \`${name}\`${counted})`,
        no: `${addr} was not seen ${when} (recent list \`${name}\`${counted})`,
      };
    },
    matchesWhen: !negated,
    known: (t) => {
      const s = stateOf(t, entryKey(name, side, mask, t));
      if (s.present === false) return false;
      // Just set or updated: in the list, seen now; how many times before is still history.
      if (s.present === true && !hits) return true;
      return undefined;
    },
  });
}

/** A match the simulator does not model, walked both ways: `-m owner --uid-owner 1000 matches`. */
export function unmodelledCondition(m: MatchModule): Condition {
  const text = formatModuleText(m);
  return freshCondition({ yes: `\`${text}\` matches`, no: `\`${text}\` does not match` }, true);
}

/** Compiles the history and rate matches; returns false for any other module. */
export function compileHistoryMatch(m: MatchModule, out: CompiledMatches): boolean {
  switch (m.name) {
    case 'recent':
      compileRecent(m, out);
      return true;
    case 'limit':
      compileLimit(m, out);
      return true;
    case 'hashlimit':
      compileHashlimit(m, out);
      return true;
    case 'connlimit':
      compileConnlimit(m, out);
      return true;
    case 'quota':
      compileQuota(m, out);
      return true;
    case 'statistic':
      compileStatistic(m, out);
      return true;
    case 'string':
      compileString(m, out);
      return true;
    default:
      return false;
  }
}
