import type { ChainPolicy, TableName } from '../model/ruleset.js';
import { addrToBig, formatAddr } from './addr.js';
import { Bits } from './bits.js';
import type { ClassSpace } from './classes.js';
import { chainOf, ruleDecision, ruleText } from './compile.js';
import { martianDestination, martianSourceReason, routeLookup, type HostIndex } from './routing.js';
import {
  type CompiledChain,
  type CompiledFamily,
  type CompiledRule,
  type Hook,
  type RuleRun,
  type Thread,
  type Tri,
} from './thread.js';
import type { DecidedBy, PathStep } from './types.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/** Deeper nesting than this is treated as a loop (the kernel's own limit is similar in spirit). */
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
}

/**
 * Walks packets through the netfilter hooks of one family's rule set, as the kernel does. A
 * thread whose `srcSet` holds several source classes is split whenever a rule treats its classes
 * differently, so one walk answers for all of them.
 */
export class Engine {
  private finished: Thread[] = [];
  private sink: ClassSink | null = null;
  readonly assumptions = new Set<string>();
  private readonly policyDecisions = new Map<string, DecidedBy>();

  constructor(
    readonly fam: CompiledFamily,
    readonly host: HostIndex,
    readonly space: ClassSpace | null,
  ) {}

  /**
   * Runs one thread to the end; returns it (or the parts it split into) with verdicts set. With a
   * sink (source-class threads only), outcomes go to the sink instead and nothing is returned.
   */
  run(t: Thread, sink?: ClassSink): Thread[] {
    this.finished = [];
    this.sink = sink ?? null;
    if (!this.fam.present)
      this.assumptions.add(`no ${this.fam.family} rule set was given: nothing filters ${this.fam.family}`);
    if (t.local) this.fromHost(t);
    else this.arrive(t);
    return this.finished;
  }

  private done(t: Thread, verdict: 'accept' | 'drop' | 'reject' | 'unknown', by?: DecidedBy, why?: string): void {
    t.finish(verdict, by, why);
    if (this.sink && t.srcSet) t.srcSet.writeInto(this.sink.byClass, this.sink.outcome(t));
    else this.finished.push(t);
  }

  /** Ends the walk for the classes of `t` in `mask` only; `t` goes on with the others. */
  private doneMasked(t: Thread, mask: Bits, verdict: 'drop' | 'reject', by: DecidedBy): void {
    const sink = this.sink!;
    t.finish(verdict, by);
    const id = sink.outcome(t);
    t.verdict = undefined;
    t.decidedBy = undefined;
    t.srcSet!.takeInto(mask, sink.byClass, id);
  }

  private event(t: Thread, note: string): void {
    t.path?.push({ kind: 'event', note });
  }

  private setHook(ts: Thread[], hook: Hook): void {
    for (const t of ts) {
      t.hook = hook;
      t.inIf = hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD' ? t.inDev : '';
      t.outIf = hook === 'FORWARD' || hook === 'OUTPUT' || hook === 'POSTROUTING' ? t.outDev : '';
    }
  }

  private arrive(t0: Thread): void {
    let ts = [t0];
    this.setHook(ts, 'PREROUTING');
    ts = this.runChain('raw', 'PREROUTING', ts);
    ts = this.runChain('mangle', 'PREROUTING', ts);
    ts = this.natHook('PREROUTING', ts);
    const local: Thread[] = [];
    const forward: Thread[] = [];
    for (const t of ts) this.routeArrived(t, local, forward);
    this.deliverLocal(local, true);
    this.setHook(forward, 'FORWARD');
    let fw = this.runChain('mangle', 'FORWARD', forward);
    fw = this.runChain('filter', 'FORWARD', fw);
    fw = this.runChain('security', 'FORWARD', fw);
    this.postrouting(fw);
  }

  private deliverLocal(ts: Thread[], nat: boolean): void {
    this.setHook(ts, 'INPUT');
    ts = this.runChain('mangle', 'INPUT', ts);
    ts = this.runChain('filter', 'INPUT', ts);
    ts = this.runChain('security', 'INPUT', ts);
    if (nat) ts = this.natHook('INPUT', ts);
    for (const t of ts) this.accept(t);
  }

  private postrouting(ts: Thread[]): Thread[] {
    this.setHook(ts, 'POSTROUTING');
    ts = this.runChain('mangle', 'POSTROUTING', ts);
    ts = this.natHook('POSTROUTING', ts);
    const loop: Thread[] = [];
    for (const t of ts) {
      if (t.local && t.delivered === 'local') loop.push(t);
      else this.accept(t);
    }
    return loop;
  }

  private accept(t: Thread): void {
    this.done(t, 'accept', t.filterAccept ?? t.lastAccept);
  }

  private fromHost(t: Thread): void {
    const r = routeLookup(this.host, t.family, t.dst);
    if (r.kind === 'unreachable') {
      this.event(t, `routing: no route to ${formatAddr(t.dst)}`);
      return this.done(t, 'drop', { kind: 'kernel', reason: `no route to ${formatAddr(t.dst)}` });
    }
    t.outDev = r.kind === 'local' ? 'lo' : r.iface;
    t.delivered = r.kind;
    this.event(t, `routing: ${r.kind === 'local' ? 'local address, out lo' : `out ${r.iface}`}`);
    let ts = [t];
    this.setHook(ts, 'OUTPUT');
    ts = this.runChain('raw', 'OUTPUT', ts);
    ts = this.runChain('mangle', 'OUTPUT', ts);
    ts = this.natHook('OUTPUT', ts);
    for (const x of ts) {
      if (!x.dnat) continue;
      const rr = routeLookup(this.host, x.family, x.dst);
      if (rr.kind === 'unreachable') {
        this.event(x, `rerouting: no route to ${formatAddr(x.dst)}`);
        this.done(x, 'drop', { kind: 'kernel', reason: `no route to ${formatAddr(x.dst)}` });
        continue;
      }
      x.outDev = rr.kind === 'local' ? 'lo' : rr.iface;
      x.delivered = rr.kind;
      this.event(x, `rerouting after NAT: ${rr.kind === 'local' ? 'local address, out lo' : `out ${rr.iface}`}`);
    }
    ts = ts.filter((x) => x.verdict === undefined);
    this.setHook(ts, 'OUTPUT');
    ts = this.runChain('filter', 'OUTPUT', ts);
    ts = this.runChain('security', 'OUTPUT', ts);
    const loop = this.postrouting(ts);
    // Back in through lo: conntrack already bound NAT, so the nat chains are not consulted again.
    for (const x of loop) {
      x.inDev = 'lo';
      this.event(x, 'loopback: the packet comes back in on lo');
    }
    let back = loop;
    this.setHook(back, 'PREROUTING');
    back = this.runChain('raw', 'PREROUTING', back);
    back = this.runChain('mangle', 'PREROUTING', back);
    for (const x of back) x.path?.push({ kind: 'hook', table: 'nat', chain: 'PREROUTING', note: 'not consulted: NAT already bound on the way out' });
    this.deliverLocal(back, false);
  }

  private routeArrived(t: Thread, local: Thread[], forward: Thread[]): void {
    if (t.inDev !== 'lo') {
      const dstWhy = martianDestination(t.family, t.dst);
      if (dstWhy) {
        this.event(t, `routing: ${dstWhy} arriving on ${t.inDev}`);
        return this.done(t, 'drop', { kind: 'kernel', reason: `${dstWhy} arriving on ${t.inDev}` });
      }
      if (t.srcSet === null) {
        const srcWhy = martianSourceReason(this.host, t.family, addrToBig(t.src));
        if (srcWhy) {
          this.event(t, `routing: martian source (${srcWhy})`);
          return this.done(t, 'drop', { kind: 'kernel', reason: `martian source: ${srcWhy}` });
        }
      } else if (this.space) {
        const mm = this.space.martianMask();
        const n = t.srcSet.andCount(mm);
        if (n > 0) {
          const bad = n === t.srcSet.count ? t : t.fork(t.srcSet.splitOff(mm));
          this.done(bad, 'drop', { kind: 'kernel', reason: 'martian source' });
          if (bad === t) return;
        }
      }
    }
    const r = routeLookup(this.host, t.family, t.dst);
    if (r.kind === 'unreachable') {
      this.event(t, `routing: no route to ${formatAddr(t.dst)}`);
      return this.done(t, 'drop', { kind: 'kernel', reason: `no route to ${formatAddr(t.dst)}` });
    }
    t.delivered = r.kind;
    if (r.kind === 'local') {
      this.event(t, `routing: local delivery (${formatAddr(t.dst)} is on ${r.iface})`);
      local.push(t);
    } else {
      t.outDev = r.iface;
      this.event(t, `routing: forward out ${r.iface}${r.via ? ` via ${r.via}` : ''}`);
      forward.push(t);
    }
  }

  private natHook(hook: Hook, ts: Thread[]): Thread[] {
    const out: Thread[] = [];
    for (const t of ts) {
      if (t.state === 'NEW') {
        for (const x of this.runChain('nat', hook, [t])) out.push(x);
      } else if (t.state === 'ESTABLISHED' || t.state === 'RELATED') {
        this.assumptions.add(
          `a ${t.state} packet gets the NAT binding the nat rules gave its connection's first packet`,
        );
        for (const x of this.runChain('nat', hook, [t], 'NAT binding of the connection')) out.push(x);
      } else {
        if (chainOf(this.fam, 'nat', hook))
          t.path?.push({ kind: 'hook', table: 'nat', chain: hook, note: `not consulted: ${t.state} packet` });
        out.push(t);
      }
    }
    return out;
  }

  private policyDecision(table: TableName, chain: string, action: ChainPolicy): DecidedBy {
    const key = `${table} ${chain}`;
    let d = this.policyDecisions.get(key);
    if (!d) {
      d = { kind: 'policy', family: this.fam.family, table, policy: chain, action };
      this.policyDecisions.set(key, d);
    }
    return d;
  }

  /** One table's built-in chain at a hook: returns the threads that go on to the next step. */
  private runChain(table: TableName, name: string, ts: Thread[], note?: string): Thread[] {
    const ch = chainOf(this.fam, table, name);
    if (!ch) return ts;
    const out: Thread[] = [];
    for (const t of ts) {
      if (t.path) t.path.push(note ? { kind: 'hook', table, chain: name, note } : { kind: 'hook', table, chain: name });
      const ret = this.walkChain(ch, t, [ch], out);
      const action: ChainPolicy = ch.policy ?? 'ACCEPT';
      for (const r of ret) {
        r.path?.push({ kind: 'policy', table, chain: name, action });
        const d = this.policyDecision(table, name, action);
        if (action === 'ACCEPT') {
          r.lastAccept = d;
          if (table === 'filter') r.filterAccept = d;
          out.push(r);
        } else this.done(r, 'drop', d);
      }
    }
    return out;
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
      const sink = this.sink!;
      t.finish(kind, decisions[0]);
      if (decisions.length > 1) t.decisions = decisions;
      const id = sink.outcome(t);
      t.verdict = undefined;
      t.decidedBy = undefined;
      t.decisions = null;
      S.takeInto(data.union, sink.byClass, id);
      return S.count === 0;
    }
    const m = n === S.count ? t : t.fork(S.splitOff(data.union));
    m.lastAccept = decisions[0];
    if (run.rules[0]!.table === 'filter') m.filterAccept = m.lastAccept;
    if (decisions.length > 1) m.decisions = decisions;
    accepted.push(m);
    return m === t;
  }

  /**
   * Walks one chain. Threads that reach RETURN or the end are returned; ACCEPTed ones (and NAT'd
   * ones in the nat table) go to `accepted`; dropped, rejected and unknown ones are finished.
   */
  private walkChain(ch: CompiledChain, t0: Thread, stack: CompiledChain[], accepted: Thread[]): Thread[] {
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
            if (run && this.sink && res === YES) {
              const gone = this.takeRun(run, t, accepted);
              if (gone) {
                finishedHere = true;
                break;
              }
              i = run.end - 1;
              continue;
            }
            const tk = r.target.kind;
            if (this.sink && res === YES && r.srcDyn.length === 0 && (tk === 'drop' || tk === 'reject')) {
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
            for (const u of unknownOut) this.onUnknown(u, r, why || 'a test on the source is unknown', depth, todo, i + 1);
            unknownOut.length = 0;
            if (m === 'gone') {
              finishedHere = true;
              break;
            }
            if (m === null) res = NO;
            else t = m;
          }
        }
        if (res === NO) {
          if (t.path) t.path.push(this.step(r, depth, false));
          continue;
        }
        if (res === UNK) {
          if (this.onUnknown(t, r, why, depth, null, 0)) continue;
          finishedHere = true;
          break;
        }
        for (const a of r.assumptions) this.assumptions.add(a);
        const tg = r.target;
        switch (tg.kind) {
          case 'none':
            if (t.path) t.path.push(this.step(r, depth, true));
            continue;
          case 'continue': {
            const what = tg.apply ? tg.apply(t) : undefined;
            if (tg.note) this.assumptions.add(`${tg.name}: ${tg.note}`);
            if (t.path) t.path.push(this.step(r, depth, true, what ? `${tg.name} (${what})` : tg.name));
            continue;
          }
          case 'accept':
            if (t.path) t.path.push(this.step(r, depth, true, 'ACCEPT'));
            t.lastAccept = ruleDecision(r);
            if (r.table === 'filter') t.filterAccept = t.lastAccept;
            accepted.push(t);
            break;
          case 'drop':
            if (t.path) t.path.push(this.step(r, depth, true, 'DROP'));
            this.done(t, 'drop', ruleDecision(r));
            break;
          case 'reject':
            if (t.path) t.path.push(this.step(r, depth, true, tg.with ? `REJECT (${tg.with})` : 'REJECT'));
            this.done(t, 'reject', ruleDecision(r));
            break;
          case 'return':
            if (t.path) t.path.push(this.step(r, depth, true, 'RETURN'));
            returned.push(t);
            break;
          case 'chain': {
            const target = tg.chain;
            if (t.path) t.path.push(this.step(r, depth, true, `${tg.goto ? 'goto' : '->'} ${target.name}`));
            if (stack.includes(target) || stack.length >= MAX_DEPTH) {
              this.done(t, 'unknown', ruleDecision(r), `loop: chain ${target.name} is already being walked`);
              break;
            }
            stack.push(target);
            const back = this.walkChain(target, t, stack, accepted);
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
              if (t.path) t.path.push(this.step(r, depth, true, tg.name, res2.unknown));
              this.done(t, 'unknown', ruleDecision(r), res2.unknown);
              break;
            }
            if (t.path) t.path.push(this.step(r, depth, true, res2.action));
            accepted.push(t);
            break;
          }
          case 'unknown':
            if (t.path) t.path.push(this.step(r, depth, true, r.rule.target?.name, tg.reason));
            this.done(t, 'unknown', ruleDecision(r), tg.reason);
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
      if (todo) todo.push(t, next);
      return true;
    }
    this.done(t, 'unknown', ruleDecision(r), `rule ${r.chain} #${r.index}: ${why}`);
    return false;
  }

  private step(
    r: CompiledRule,
    depth: number,
    matched: boolean,
    action?: string,
    unknown?: string,
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
    return s;
  }
}
