import { Bits } from './bits.js';
import type { ClassSpace } from './classes.js';
import { ruleDecision, ruleText } from './compile.js';
import {
  MAX_CONDITIONS,
  assume,
  assumed as assumedFact,
  resolveConditions,
  tooMany,
  type Assumed,
} from './either-way.js';
import type { CompiledChain, CompiledRule, RuleRun, Thread, Tri } from './thread.js';
import type { DecidedBy, PathStep, SimVerdict } from './types.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/** Deeper nesting than this is treated as a loop (the kernel refuses real loops). */
const MAX_DEPTH = 64;

function harmless(r: CompiledRule): boolean {
  const t = r.target;
  return t.kind === 'none' || (t.kind === 'continue' && t.harmless);
}

/**
 * Receives the outcomes of a walk over source classes: `outcome` names a finished thread's fate
 * with a small number, which the engine writes at the thread's classes in `byClass`.
 */
export interface ClassSink {
  outcome(t: Thread): number;
  byClass: Int32Array;
  /**
   * The outcome of a thread that took conditions (t.conds) for some of its classes: those classes
   * are answered once every branch is in (see either-way.ts).
   */
  branch(t: Thread, classes: Bits, id: number, when: readonly Assumed[]): void;
}

/** Writes a finished thread's outcome at its classes in `mask` (which leave its `srcSet`). */
export function writeClasses(sink: ClassSink, t: Thread, mask: Bits | null, id: number): void {
  const S = t.srcSet!;
  if (t.implicit) {
    // Classes that took facts of their own are answered one by one.
    const part = mask ? S.splitOff(mask) : S;
    const rest = Bits.empty(part.words.length * 32);
    part.forEach((i) => {
      const extra = t.implicit!.get(i);
      if (!extra) return rest.add(i);
      const one = Bits.empty(part.words.length * 32);
      one.add(i);
      sink.branch(t, one, id, [...(t.conds ?? []), ...extra]);
    });
    if (rest.count === 0) return;
    if (t.conds) sink.branch(t, rest, id, t.conds);
    else rest.writeInto(sink.byClass, id);
    return;
  }
  if (t.conds) sink.branch(t, mask ? S.splitOff(mask) : S, id, t.conds);
  else if (mask) S.takeInto(mask, sink.byClass, id);
  else S.writeInto(sink.byClass, id);
}

/** Where a chain walk reports finished threads and assumptions (the hook-level engine). */
export interface WalkOutput {
  done(t: Thread, verdict: SimVerdict, by?: DecidedBy, why?: string): void;
  readonly sink: ClassSink | null;
  readonly assumptions: Set<string>;
}

/**
 * Walks user and built-in chains rule by rule: jumps, gotos, RETURN, and the split of a
 * source-class thread wherever a rule tells its classes apart.
 */
export class ChainWalker {
  constructor(
    private readonly space: ClassSpace | null,
    private readonly out: WalkOutput,
  ) {}

  /** Ends the walk for the classes of `t` in `mask` only; `t` goes on with the others. */
  private doneMasked(t: Thread, mask: Bits, verdict: 'drop' | 'reject', by: DecidedBy): void {
    const sink = this.out.sink!;
    t.finish(verdict, by);
    const id = sink.outcome(t);
    t.verdict = undefined;
    t.decidedBy = undefined;
    writeClasses(sink, t, mask, id);
  }

  /** Source criteria for a thread holding one concrete source. */
  private srcConcrete(r: CompiledRule, t: Thread): Tri {
    let res: Tri = YES;
    for (const c of r.src) {
      let x = c.test(t.src, t);
      if (c.negated && x !== UNK) x = x === YES ? NO : YES;
      if (x === NO) return NO;
      if (x === UNK) res = UNK;
    }
    return res;
  }

  /**
   * Source criteria for a thread holding source classes: splits off the classes the rule does not
   * match (pushed to `todo` to go on at the next rule) and those it cannot tell (`unknownOut`).
   * Returns the thread that matches, or null.
   */
  private srcSplit(
    r: CompiledRule,
    t: Thread,
    next: number,
    todo: Array<Thread | number>,
    unknownOut: Thread[],
  ): Thread | null | 'gone' {
    const space = this.space!;
    const S = t.srcSet!;
    const mask = space.ruleMask(r, t);
    const dyn = r.srcDyn;
    if (dyn.length === 0) {
      if (!mask) return t;
      const n = S.andCount(mask);
      if (n === 0) return null;
      if (n === S.count) return t;
      const matched = t.fork(S.splitOff(mask));
      todo.push(t, next);
      return matched;
    }
    const cand = mask ? S.and(mask) : S;
    const yes = Bits.empty(space.size);
    const unk = Bits.empty(space.size);
    cand.forEach((i) => {
      const rep = space.reps[i]!;
      let v: Tri = YES;
      for (const c of dyn) {
        let x = c.test(rep, t);
        if (c.negated && x !== UNK) x = x === YES ? NO : YES;
        if (x === NO) {
          v = NO;
          break;
        }
        if (x === UNK) v = UNK;
      }
      if (v === YES) yes.add(i);
      else if (v === UNK) unk.add(i);
    });
    if (unk.count > 0) {
      if (unk.count === S.count) {
        unknownOut.push(t);
        return 'gone';
      }
      unknownOut.push(t.fork(S.splitOff(unk)));
    }
    if (yes.count === 0) return null;
    if (yes.count === S.count) return t;
    const matched = t.fork(S.splitOff(yes));
    todo.push(t, next);
    return matched;
  }

  /**
   * A run of rules that differ only in `-s` (checks already passed): the classes any of them
   * matches are accepted/dropped/rejected at once. Returns true when no class of `t` is left.
   */
  private takeRun(run: RuleRun, t: Thread, accepted: Thread[]): boolean {
    const data = this.space!.runData(run, t);
    const S = t.srcSet!;
    const n = S.andCount(data.union);
    if (n === 0) return false;
    const first = data.first;
    const kind = run.rules[0]!.target.kind;
    // The rules of the run that decide for some class of `t`, in rule order.
    const hit = new Uint8Array(run.rules.length);
    const mark = (c: number) => (hit[first[c]!] = 1);
    if (n === S.count) S.forEach(mark);
    else S.and(data.union).forEach(mark);
    const decisions: DecidedBy[] = [];
    hit.forEach((v, k) => v && decisions.push(ruleDecision(run.rules[k]!)));
    if (kind === 'drop' || kind === 'reject') {
      const sink = this.out.sink!;
      t.finish(kind, decisions[0]);
      if (decisions.length > 1) t.decisions = decisions;
      const id = sink.outcome(t);
      t.verdict = undefined;
      t.decidedBy = undefined;
      t.decisions = null;
      writeClasses(sink, t, data.union, id);
      return S.count === 0;
    }
    const m = n === S.count ? t : t.fork(S.splitOff(data.union));
    m.lastAccept = decisions[0];
    if (run.rules[0]!.table === 'filter' || run.rules[0]!.filter) m.filterAccept = m.lastAccept;
    if (decisions.length > 1) m.decisions = decisions;
    accepted.push(m);
    return m === t;
  }

  /**
   * Walks one chain. Threads that reach RETURN or the end are returned; ACCEPTed ones (and NAT'd
   * ones in the nat table) go to `accepted`; dropped, rejected and unknown ones are finished.
   */
  walk(ch: CompiledChain, t0: Thread, stack: CompiledChain[], accepted: Thread[]): Thread[] {
    const returned: Thread[] = [];
    const todo: Array<Thread | number> = [t0, 0];
    const unknownOut: Thread[] = [];
    const depth = stack.length - 1;
    const rules = ch.rules;
    while (todo.length > 0) {
      let i = todo.pop() as number;
      let t = todo.pop() as Thread;
      let finishedHere = false;
      for (; i < rules.length; i++) {
        const r = rules[i]!;
        // The thread before this rule's source test (which may split `t` off it).
        const parent = t;
        let res: Tri = YES;
        let why = '';
        for (const c of r.checks) {
          const x = c(t);
          if (x === NO) {
            res = NO;
            break;
          }
          if (x === UNK) {
            res = UNK;
            why = t.why;
          }
        }
        if (res !== NO && r.unknown !== null) {
          res = UNK;
          why = r.unknown;
        }
        if (res !== NO && r.src.length > 0) {
          if (t.srcSet === null) {
            const s = this.srcConcrete(r, t);
            if (s === NO) res = NO;
            else if (s === UNK) {
              res = UNK;
              why ||= t.why || 'the source address test';
            }
          } else {
            const run = ch.runs[i];
            if (run && this.out.sink && res === YES) {
              const gone = this.takeRun(run, t, accepted);
              if (gone) {
                finishedHere = true;
                break;
              }
              i = run.end - 1;
              continue;
            }
            const tk = r.target.kind;
            if (
              this.out.sink &&
              res === YES &&
              r.srcDyn.length === 0 &&
              (tk === 'drop' || tk === 'reject') &&
              !r.conditions?.length
            ) {
              // Dropping part of the classes needs no copy of the thread: write their outcome now.
              const mask = this.space!.ruleMask(r, t);
              const n = mask ? t.srcSet.andCount(mask) : t.srcSet.count;
              if (n === 0) continue;
              if (n < t.srcSet.count) {
                this.doneMasked(t, mask!, tk, ruleDecision(r));
                continue;
              }
            }
            const m = this.srcSplit(r, t, i + 1, todo, unknownOut);
            for (const u of unknownOut)
              this.onUnknown(u, r, why || 'a test on the source is unknown', depth, todo, i + 1);
            unknownOut.length = 0;
            if (m === 'gone') {
              finishedHere = true;
              break;
            }
            if (m === null) res = NO;
            else t = m;
          }
        }
        let assumed: string | undefined;
        if (res === YES && r.conditions?.length) {
          const cr = resolveConditions(r.conditions, t);
          if (cr.kind === 'no') {
            res = NO;
            assumed = `if ${cr.because}`;
          } else if (cr.kind === 'open') {
            const facts = cr.open.map((o) => o.yes).join(' and ');
            if (harmless(r)) {
              // Nothing to tell apart: the rule changes nothing a later rule sees (but its effects).
              if (t.path)
                t.path.push(this.step(r, depth, false, undefined, undefined, `may match: ${facts}`));
              this.effects(r, t, false);
              continue;
            }
            // Classes whose own facts (Thread.implicit) leave no room: unknown, as on a single walk.
            const crowded = this.overBound(t, cr.open.length);
            let over = tooMany(t, cr.open);
            if (crowded && crowded.count < t.srcSet!.count) {
              const u = t.fork(t.srcSet!.splitOff(crowded));
              const why = `more than ${MAX_CONDITIONS} conditions to take both ways`;
              this.out.done(u, 'unknown', ruleDecision(r), `rule ${r.chain} #${r.index}: ${why}`);
            } else if (crowded)
              over ??= [...(t.conds ?? []).map((a) => a.fact), ...cr.open.map((o) => o.yes)];
            if (over) {
              const why = `more than ${MAX_CONDITIONS} conditions to take both ways: ${over.join('; ')}`;
              if (t.path) t.path.push(this.step(r, depth, false, undefined, why));
              this.out.done(t, 'unknown', ruleDecision(r), `rule ${r.chain} #${r.index}: ${why}`);
              finishedHere = true;
              break;
            }
            // One branch per way the rule can miss (the first open condition false; the first true
            // and the second false; …), and `t` goes on with all of them true.
            const took: string[] = [];
            const first = cr.open[0]!;
            if (parent !== t && first.fresh && parent.srcSet && t.srcSet) {
              // `t` was split off `parent` (pending at the next rule) by this rule's source test:
              // its classes go back to `parent` with the fact taken false for them alone.
              const miss = assumedFact(first, !first.matchesWhen);
              const implicit = (parent.implicit ??= new Map<number, Assumed[]>());
              t.srcSet.forEach((c) => {
                parent.srcSet!.add(c);
                implicit.set(c, [...(t.implicit?.get(c) ?? []), miss]);
              });
              if (r.effects?.length) this.effects(r, parent, false);
              took.push(assume(t, first, first.matchesWhen));
            }
            for (const o of took.length > 0 ? cr.open.slice(1) : cr.open) {
              const miss = t.fork(t.srcSet ? t.srcSet.clone() : null);
              const text = assume(miss, o, !o.matchesWhen);
              this.effects(r, miss, false);
              if (miss.path) miss.path.push(this.step(r, depth, false, undefined, undefined, `if ${text}`));
              todo.push(miss, i + 1);
              took.push(assume(t, o, o.matchesWhen));
            }
            assumed = `if ${took.join(' and ')}`;
          }
        }
        if (res === NO) {
          if (r.effects?.length) this.effects(r, t, false);
          if (t.path) t.path.push(this.step(r, depth, false, undefined, undefined, assumed));
          continue;
        }
        if (res === UNK) {
          if (this.onUnknown(t, r, why, depth, null, 0)) continue;
          finishedHere = true;
          break;
        }
        if (r.effects?.length) this.effects(r, t, true);
        for (const a of r.assumptions) this.out.assumptions.add(a);
        const tg = r.target;
        switch (tg.kind) {
          case 'none':
            if (t.path) t.path.push(this.step(r, depth, true, undefined, undefined, assumed));
            continue;
          case 'continue': {
            const what = tg.apply ? tg.apply(t) : undefined;
            if (tg.note) this.out.assumptions.add(`${tg.name}: ${tg.note}`);
            if (t.path)
              t.path.push(
                this.step(r, depth, true, what ? `${tg.name} (${what})` : tg.name, undefined, assumed),
              );
            continue;
          }
          case 'accept':
            if (t.path) t.path.push(this.step(r, depth, true, 'ACCEPT', undefined, assumed));
            t.lastAccept = ruleDecision(r);
            if (r.table === 'filter' || r.filter) t.filterAccept = t.lastAccept;
            accepted.push(t);
            break;
          case 'drop':
            if (t.path) t.path.push(this.step(r, depth, true, 'DROP', undefined, assumed));
            this.out.done(t, 'drop', ruleDecision(r));
            break;
          case 'reject':
            if (t.path)
              t.path.push(
                this.step(r, depth, true, tg.with ? `REJECT (${tg.with})` : 'REJECT', undefined, assumed),
              );
            this.out.done(t, 'reject', ruleDecision(r));
            break;
          case 'return':
            if (t.path) t.path.push(this.step(r, depth, true, 'RETURN', undefined, assumed));
            returned.push(t);
            break;
          case 'chain': {
            const target = tg.chain;
            if (t.path)
              t.path.push(
                this.step(r, depth, true, `${tg.goto ? 'goto' : '->'} ${target.name}`, undefined, assumed),
              );
            if (stack.includes(target) || stack.length >= MAX_DEPTH) {
              this.out.done(
                t,
                'unknown',
                ruleDecision(r),
                `loop: chain ${target.name} is already being walked`,
              );
              break;
            }
            stack.push(target);
            const back = this.walk(target, t, stack, accepted);
            stack.pop();
            if (tg.goto) {
              // A goto leaves no return address: RETURN there goes back to our caller.
              for (const b of back) returned.push(b);
            } else {
              for (const b of back) todo.push(b, i + 1);
            }
            break;
          }
          case 'nat': {
            const res2 = tg.apply(t, r);
            if ('unknown' in res2) {
              if (t.path) t.path.push(this.step(r, depth, true, tg.name, res2.unknown, assumed));
              this.out.done(t, 'unknown', ruleDecision(r), res2.unknown);
              break;
            }
            if (t.path) t.path.push(this.step(r, depth, true, res2.action, undefined, assumed));
            accepted.push(t);
            break;
          }
          case 'unknown':
            if (t.path) t.path.push(this.step(r, depth, true, r.rule.target?.name, tg.reason, assumed));
            this.out.done(t, 'unknown', ruleDecision(r), tg.reason);
            break;
        }
        finishedHere = true;
        break;
      }
      if (!finishedHere) returned.push(t);
    }
    return returned;
  }

  /**
   * A rule whose match cannot be decided: harmless targets (LOG, counting) let the walk go on;
   * anything else makes the verdict unknown. Returns true when the thread goes on.
   */
  private onUnknown(
    t: Thread,
    r: CompiledRule,
    why: string,
    depth: number,
    todo: Array<Thread | number> | null,
    next: number,
  ): boolean {
    if (t.path) t.path.push(this.step(r, depth, false, undefined, why));
    if (harmless(r)) {
      if (r.effects?.length) this.effects(r, t, false);
      if (todo) todo.push(t, next);
      return true;
    }
    this.out.done(t, 'unknown', ruleDecision(r), `rule ${r.chain} #${r.index}: ${why}`);
    return false;
  }

  /** The classes of a source-class thread whose facts and `extra` more would pass the bound. */
  private overBound(t: Thread, extra: number): Bits | null {
    if (!t.implicit || !t.srcSet) return null;
    const room = MAX_CONDITIONS - (t.conds?.length ?? 0) - extra;
    let bad: Bits | null = null;
    const S = t.srcSet;
    const check = (c: number, a: readonly Assumed[]) => {
      if (a.length > room && S.has(c)) (bad ??= Bits.empty(S.words.length * 32)).add(c);
    };
    if (t.implicit.size <= S.count) for (const [c, a] of t.implicit) check(c, a);
    else
      S.forEach((c) => {
        const a = t.implicit!.get(c);
        if (a) check(c, a);
      });
    return bad;
  }

  /** A rule's changes for later rules (`recent --set`): `sure` when it matched, not when it only may have. */
  private effects(r: CompiledRule, t: Thread, sure: boolean): void {
    for (const e of r.effects ?? []) e(t, sure);
  }

  private step(
    r: CompiledRule,
    depth: number,
    matched: boolean,
    action?: string,
    unknown?: string,
    assumed?: string,
  ): Extract<PathStep, { kind: 'rule' }> {
    const s: Extract<PathStep, { kind: 'rule' }> = {
      kind: 'rule',
      table: r.table,
      chain: r.chain,
      index: r.index,
      rule: ruleText(r),
      depth,
      matched,
    };
    if (r.rule.pos) s.line = r.rule.pos.line;
    if (action !== undefined) s.action = action;
    if (unknown !== undefined) s.unknown = unknown;
    if (assumed !== undefined) s.assumed = assumed;
    return s;
  }
}
