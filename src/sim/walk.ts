import type { ChainPolicy, TableName } from '../model/ruleset.js';
import { addrToBig, formatAddr } from './addr.js';
import { ChainWalker, type ClassSink, type WalkOutput } from './chain-walk.js';
import type { ClassSpace } from './classes.js';
import { chainOf } from './compile.js';
import { martianDestination, martianSourceReason, routeLookup, type HostIndex } from './routing.js';
import type { CompiledFamily, Hook, Thread } from './thread.js';
import type { DecidedBy } from './types.js';

export type { ClassSink };

/**
 * Walks packets through the netfilter hooks of one family's rule set, as the kernel does. A
 * thread whose `srcSet` holds several source classes is split whenever a rule treats its classes
 * differently, so one walk answers for all of them.
 */
export class Engine implements WalkOutput {
  private finished: Thread[] = [];
  sink: ClassSink | null = null;
  private readonly chains: ChainWalker;
  readonly assumptions = new Set<string>();
  private readonly policyDecisions = new Map<string, DecidedBy>();

  constructor(
    readonly fam: CompiledFamily,
    readonly host: HostIndex,
    readonly space: ClassSpace | null,
  ) {
    this.chains = new ChainWalker(space, this);
  }

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

  /** Ends a thread's walk (with a sink: writes the outcome at its classes). */
  done(t: Thread, verdict: 'accept' | 'drop' | 'reject' | 'unknown', by?: DecidedBy, why?: string): void {
    t.finish(verdict, by, why);
    if (this.sink && t.srcSet) t.srcSet.writeInto(this.sink.byClass, this.sink.outcome(t));
    else this.finished.push(t);
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
      this.event(
        x,
        `rerouting after NAT: ${rr.kind === 'local' ? 'local address, out lo' : `out ${rr.iface}`}`,
      );
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
    const natPre = chainOf(this.fam, 'nat', 'PREROUTING');
    for (const x of natPre ? back : [])
      x.path?.push({
        kind: 'hook',
        table: 'nat',
        chain: 'PREROUTING',
        note: 'not consulted: NAT already bound on the way out',
      });
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
          return this.done(t, 'drop', { kind: 'kernel', reason: 'martian source' });
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
      if (t.path)
        t.path.push(note ? { kind: 'hook', table, chain: name, note } : { kind: 'hook', table, chain: name });
      const ret = this.chains.walk(ch, t, [ch], out);
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
}
