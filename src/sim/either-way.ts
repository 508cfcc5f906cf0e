import type { Thread } from './thread.js';

/**
 * Answers that hold either way. A match whose outcome depends on history or rates (`recent`,
 * `limit`, `connlimit`, …) or that the simulator does not model is a *condition*: when a packet
 * reaches it (every other match of the rule holds), the walk goes on both ways, once with the
 * condition's fact true and once false, and the answers are put together at the end: one verdict
 * when every branch agrees, else "depends" naming the facts it depends on.
 */

/** At most this many distinct conditions on one packet's way; beyond, the verdict is unknown. */
export const MAX_CONDITIONS = 4;

export interface Condition {
  /** Equal keys (on one walk) stand for the same fact, which then gets the same value. */
  key(t: Thread): string;
  /** The fact, and its negation, as text: `10.0.0.5 is in recent list \`ssh\``. */
  text(t: Thread): { yes: string; no: string };
  /** The match holds when the fact is true (a recent list check) or false (a rate limit "exceeded"). */
  matchesWhen: boolean;
  /** The fact's value when what this walk did before decides it (`recent --set` earlier). */
  known?(t: Thread): boolean | undefined;
  /** A fact no later rule asks again (a token bucket, a match not modelled): see `Thread.implicit`. */
  fresh?: boolean;
}

/** What a matching rule changes for later rules (`recent --set`); `sure` is false when it only may have matched. */
export type Effect = (t: Thread, sure: boolean) => void;

/** A condition's value taken on one branch of the walk. */
export interface Assumed {
  key: string;
  /** The fact as it holds on this branch (its negation when `holds` is false). */
  text: string;
  holds: boolean;
  /** The fact itself (the positive text). */
  fact: string;
}

export interface OpenCondition {
  key: string;
  yes: string;
  no: string;
  matchesWhen: boolean;
  fresh: boolean;
}

export type Resolution =
  | { kind: 'yes' }
  /** A condition taken (or known) on this branch makes the rule miss: its text. */
  | { kind: 'no'; because: string }
  | { kind: 'open'; open: OpenCondition[] };

/** Looks a rule's conditions up in what the branch has assumed (or already knows). */
export function resolveConditions(conds: readonly Condition[], t: Thread): Resolution {
  const open: OpenCondition[] = [];
  for (const c of conds) {
    const key = c.key(t);
    const a = t.conds?.find((x) => x.key === key);
    const value = a ? a.holds : c.known?.(t);
    if (value === undefined) {
      const { yes, no } = c.text(t);
      if (!open.some((o) => o.key === key))
        open.push({ key, yes, no, matchesWhen: c.matchesWhen, fresh: c.fresh === true });
      continue;
    }
    if (value !== c.matchesWhen) return { kind: 'no', because: a ? a.text : c.text(t)[value ? 'yes' : 'no'] };
  }
  return open.length === 0 ? { kind: 'yes' } : { kind: 'open', open };
}

export function assumed(o: OpenCondition, holds: boolean): Assumed {
  return { key: o.key, text: holds ? o.yes : o.no, holds, fact: o.yes };
}

/** Records on a branch that a condition's fact holds (or not); returns its text. */
export function assume(t: Thread, o: OpenCondition, holds: boolean): string {
  const a = assumed(o, holds);
  (t.conds ??= []).push(a);
  return a.text;
}

/** The facts a source-class thread took for class `i`: its own and the class's (`Thread.implicit`). */
export function condsOf(t: Thread, i: number): Assumed[] {
  const extra = t.implicit?.get(i);
  return extra ? [...(t.conds ?? []), ...extra] : (t.conds ?? []);
}

/** The texts of the conditions that would be too many for one walk, or null when they fit. */
export function tooMany(t: Thread, open: OpenCondition[]): string[] | null {
  const have = t.conds?.length ?? 0;
  if (have + open.length <= MAX_CONDITIONS) return null;
  return [...(t.conds ?? []).map((a) => a.fact), ...open.map((o) => o.yes)];
}

/** One finished branch of a walk, for putting the answers together. */
export interface BranchOutcome {
  when: Assumed[];
  /** What the branch came to, as a word (`accept`, `drop`, `open`, …). */
  word: string;
}

/** The facts a branch assumed, as text: `10.0.0.5 is in recent list \`ssh\` and …`. */
export function whenText(when: readonly Assumed[]): string {
  return when.map((a) => a.text).join(' and ');
}

/**
 * How the outcome depends on the conditions: `accept unless 10.0.0.5 is in recent list \`ssh\`
 * (then drop)`. The most common outcome is the rule, the others the exceptions.
 */
export function dependsText(branches: readonly BranchOutcome[]): string {
  // The rule: the most common outcome; on a tie, the one of the branch that took fewest facts as true.
  const count = new Map<string, number>();
  const fewest = new Map<string, number>();
  for (const b of branches) {
    count.set(b.word, (count.get(b.word) ?? 0) + 1);
    const n = b.when.filter((a) => a.holds).length;
    fewest.set(b.word, Math.min(fewest.get(b.word) ?? n, n));
  }
  let main = branches[0]!.word;
  for (const [w, n] of count) {
    const m = count.get(main)!;
    if (n > m || (n === m && fewest.get(w)! < fewest.get(main)!)) main = w;
  }
  const others = branches.filter((b) => b.word !== main);
  const parts = others.map((b) => `${whenText(b.when)} (then ${b.word})`);
  return `${main} unless ${parts.join('; or ')}`;
}

/** The facts any branch assumed (each once, as its positive text). */
export function conditionsOf(branches: ReadonlyArray<{ when: readonly Assumed[] }>): string[] {
  const seen = new Map<string, string>();
  for (const b of branches) for (const a of b.when) if (!seen.has(a.key)) seen.set(a.key, a.fact);
  return [...seen.values()];
}
