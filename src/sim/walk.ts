import type { ChainPolicy, TableName } from '../model/ruleset.js';
import { addrToBig, formatAddr } from './addr.js';
import { ChainWalker, writeClasses, type ClassSink, type WalkOutput } from './chain-walk.js';
import type { ClassSpace } from './classes.js';
import { chainOf } from './compile.js';
import { martianDestination, martianSourceReason, routeLookup, type HostIndex } from './routing.js';
import type { CompiledChain, CompiledFamily, Hook, SimTable, Thread } from './thread.js';
import type { DecidedBy } from './types.js';
import { aState } from './packet.js';

export type { ClassSink };

/** iptables-nft registers its tables at these priorities (nat: -100 for dstnat, 100 for srcnat). */
const IPT_PRIO: Record<TableName, number> = { raw: -300, mangle: -150, nat: -100, filter: 0, security: 50 };
const NAT_DST_PRIO = -100;
const NAT_SRC_PRIO = 100;

interface HookStep {
  prio: number;
  table: SimTable;
  chain: CompiledChain;
  nat: boolean;
  /** An accept here is the filter decision. */
  filter: boolean;
  label: string;
  /** Shown with the hook in a trace (nftables: hook and priority). */
  note?: string;
}

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
  private readonly stepCache = new Map<string, HookStep[]>();
  /** Per hook: chains that share a priority (their order is the kernel's registration order). */
  private readonly tiedSteps = new Map<string, string[]>();

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
    t.assumed ??= this.assumptions;
    if (!this.fam.present && !this.fam.nft)
      this.assumptions.add(`no ${this.fam.family} rule set was given: nothing filters ${this.fam.family}`);
    for (const v of this.fam.nftNotes?.viaIptables ?? [])
      this.assumptions.add(`nftables table ${v} is iptables-nft's: walked from the iptables rules`);
    if (t.local) this.fromHost(t);
    else this.arrive(t);
    return this.finished;
  }

  /** Ends a thread's walk (with a sink: writes the outcome at its classes). */
  done(t: Thread, verdict: 'accept' | 'drop' | 'reject' | 'unknown', by?: DecidedBy, why?: string): void {
    t.finish(verdict, by, why);
    if (this.sink && t.srcSet) writeClasses(this.sink, t, null, this.sink.outcome(t));
    else this.finished.push(t);
  }

  private event(t: Thread, note: string): void {
    t.path?.push({ kind: 'event', note });
  }

  private setHook(ts: Thread[], hook: Hook): void {
    for (const t of ts) {
      t.hook = hook;
      // POSTROUTING too: the kernel passes the input device there (ip_output's `indev`), which
      // nftables' `iifname` reads (Docker 29's `iifname vmap @nat-postrouting-out-jumps`);
      // iptables refuses `-i` in POSTROUTING, so no iptables rule sees it. Locally sent: none.
      t.inIf =
        hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD' || hook === 'POSTROUTING'
          ? t.inDev
          : '';
      t.outIf = hook === 'FORWARD' || hook === 'OUTPUT' || hook === 'POSTROUTING' ? t.outDev : '';
    }
  }

  private arrive(t0: Thread): void {
    const other = this.fam.nftNotes?.unmodelled ?? [];
    if (other.length > 0) {
      this.event(t0, `nftables: ${other.join(', ')} not modelled`);
      return this.done(
        t0,
        'unknown',
        undefined,
        `nftables base chains the simulator does not model: ${other.join(', ')}`,
      );
    }
    let ts = [t0];
    this.setHook(ts, 'PREROUTING');
    ts = this.runHook('PREROUTING', ts, ['raw', 'mangle', 'nat']);
    const local: Thread[] = [];
    const forward: Thread[] = [];
    for (const t of ts) this.routeArrived(t, local, forward);
    this.deliverLocal(local, true);
    this.setHook(forward, 'FORWARD');
    const fw = this.runHook('FORWARD', forward, ['mangle', 'filter', 'security']);
    this.postrouting(fw);
  }

  private deliverLocal(ts: Thread[], nat: boolean): void {
    this.setHook(ts, 'INPUT');
    ts = this.runHook('INPUT', ts, ['mangle', 'filter', 'security', 'nat'], { nat });
    for (const t of ts) this.accept(t);
  }

  private postrouting(ts: Thread[]): Thread[] {
    this.setHook(ts, 'POSTROUTING');
    ts = this.runHook('POSTROUTING', ts, ['mangle', 'nat']);
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
    // Up to the nat chains (dstnat, -100), then rerouting when NAT changed the destination.
    ts = this.runHook('OUTPUT', ts, ['raw', 'mangle', 'nat'], { upTo: NAT_DST_PRIO });
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
    ts = this.runHook('OUTPUT', ts, ['filter', 'security'], { after: NAT_DST_PRIO });
    const loop = this.postrouting(ts);
    // Back in through lo: conntrack already bound NAT, so the nat chains are not consulted again.
    for (const x of loop) {
      x.inDev = 'lo';
      this.event(x, 'loopback: the packet comes back in on lo');
    }
    let back = loop;
    this.setHook(back, 'PREROUTING');
    back = this.runHook('PREROUTING', back, ['raw', 'mangle', 'nat'], {
      nat: false,
      natNote: 'not consulted: NAT already bound on the way out',
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
      if (t.ttl >= 0) {
        // ip_forward (ip6_forward) takes one off before the FORWARD hook, and drops at 1.
        if (t.ttl <= 1) {
          const what = t.family === 'ipv4' ? 'TTL' : 'hop limit';
          this.event(t, `routing: ${what} ${t.ttl} expires on forwarding`);
          return this.done(t, 'drop', { kind: 'kernel', reason: `${what} exceeded in transit` });
        }
        t.ttl--;
      }
      forward.push(t);
    }
  }

  /**
   * The chains registered at one hook, in priority order: the given iptables tables (at their fixed
   * priorities) and the nftables base chains. `accept` ends one chain and the packet goes on to
   * the next; a drop ends the walk. NAT chains see only a connection's first packet (the kernel
   * binds NAT then), and once one of them has set up NAT the later ones at that hook are skipped.
   */
  private runHook(
    hook: Hook,
    ts: Thread[],
    tables: TableName[],
    opts: { nat?: boolean; natNote?: string; upTo?: number; after?: number } = {},
  ): Thread[] {
    const steps = this.stepsAt(hook, tables).filter(
      (s) =>
        (opts.upTo === undefined || s.prio <= opts.upTo) && (opts.after === undefined || s.prio > opts.after),
    );
    for (const x of this.tiedSteps.get(`${hook} ${tables.join(',')}`) ?? []) this.assumptions.add(x);
    for (const s of steps) {
      if (ts.length === 0) break;
      if (!s.nat) ts = this.runStep(s, ts);
      else if (opts.nat === false) {
        const note = opts.natNote;
        if (note)
          for (const t of ts) t.path?.push({ kind: 'hook', table: s.table, chain: s.chain.name, note });
      } else ts = this.natStep(hook, s, ts);
    }
    return ts;
  }

  private stepsAt(hook: Hook, tables: TableName[]): HookStep[] {
    const key = `${hook} ${tables.join(',')}`;
    let steps = this.stepCache.get(key);
    if (steps) return steps;
    steps = [];
    for (const table of tables) {
      const chain = chainOf(this.fam, table, hook);
      if (!chain) continue;
      const prio =
        table === 'nat'
          ? hook === 'PREROUTING' || hook === 'OUTPUT'
            ? NAT_DST_PRIO
            : NAT_SRC_PRIO
          : IPT_PRIO[table];
      steps.push({ prio, table, chain, nat: table === 'nat', filter: table === 'filter', label: table });
    }
    for (const b of this.fam.nft?.get(hook) ?? []) {
      const nat = b.type === 'nat';
      if (nat && !tables.includes('nat')) continue;
      steps.push({
        prio: b.prio,
        table: b.table,
        chain: b.chain,
        nat,
        filter: b.type === 'filter' && hook !== 'PREROUTING' && hook !== 'POSTROUTING',
        label: `${b.table} ${b.chain.name}`,
        note: `hook ${hook.toLowerCase()} priority ${b.prio}`,
      });
    }
    // Stable: at equal priority iptables' tables (registered when iptables first ran) come first.
    steps.sort((a, b) => a.prio - b.prio);
    const ties: string[] = [];
    this.tiedSteps.set(key, ties);
    for (let i = 1; i < steps.length; i++) {
      const a = steps[i - 1]!;
      const b = steps[i]!;
      if (a.prio === b.prio && a.chain.rules.length > 0 && b.chain.rules.length > 0)
        ties.push(
          `${a.label} and ${b.label} share hook ${hook.toLowerCase()} at priority ${a.prio}: walked in that order`,
        );
    }
    this.stepCache.set(key, steps);
    return steps;
  }

  private natStep(hook: Hook, s: HookStep, ts: Thread[]): Thread[] {
    const dst = hook === 'PREROUTING' || hook === 'OUTPUT';
    const out: Thread[] = [];
    for (const t of ts) {
      if (t.state === 'NEW') {
        if (dst ? t.dnat : t.snat) {
          if (s.table !== 'nat')
            t.path?.push({
              kind: 'hook',
              table: s.table,
              chain: s.chain.name,
              note: 'not consulted: NAT already set up at this hook',
            });
          out.push(t);
        } else for (const x of this.runStep(s, [t])) out.push(x);
      } else if (t.state === 'ESTABLISHED' || t.state === 'RELATED') {
        this.assumptions.add(
          `${aState(t.state)} packet gets the NAT binding the nat rules gave its connection's first packet`,
        );
        for (const x of this.runStep(s, [t], 'NAT binding of the connection')) out.push(x);
      } else {
        t.path?.push({
          kind: 'hook',
          table: s.table,
          chain: s.chain.name,
          note: `not consulted: ${t.state} packet`,
        });
        out.push(t);
      }
    }
    return out;
  }

  private policyDecision(table: SimTable, chain: string, action: ChainPolicy): DecidedBy {
    const key = `${table} ${chain}`;
    let d = this.policyDecisions.get(key);
    if (!d) {
      d = { kind: 'policy', family: this.fam.family, table, policy: chain, action };
      this.policyDecisions.set(key, d);
    }
    return d;
  }

  /** One chain at a hook (an iptables built-in chain or an nftables base chain): the threads that go on. */
  private runStep(s: HookStep, ts: Thread[], note?: string): Thread[] {
    const ch = s.chain;
    const out: Thread[] = [];
    const hookNote = [s.note, note].filter((x) => x).join('; ');
    for (const t of ts) {
      if (t.path)
        t.path.push(
          hookNote
            ? { kind: 'hook', table: s.table, chain: ch.name, note: hookNote }
            : { kind: 'hook', table: s.table, chain: ch.name },
        );
      const ret = this.chains.walk(ch, t, [ch], out);
      const action: ChainPolicy = ch.policy ?? 'ACCEPT';
      for (const r of ret) {
        r.path?.push({ kind: 'policy', table: s.table, chain: ch.name, action });
        const d = this.policyDecision(s.table, ch.name, action);
        if (action === 'ACCEPT') {
          r.lastAccept = d;
          if (s.filter) r.filterAccept = d;
          out.push(r);
        } else this.done(r, 'drop', d);
      }
    }
    return out;
  }
}
