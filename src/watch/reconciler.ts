import { EventEmitter } from 'node:events';
import type { Operation, Plan } from '../model/index.js';

/** Why a reconcile ran: a Docker event, the stream coming back, a periodic check, a signal. */
export type Trigger =
  | { kind: 'start' }
  | { kind: 'docker-event'; action: string; type: string; name?: string }
  | { kind: 'docker-reconnected' }
  /** Someone else changed what dockwall keeps in nf_tables (`nft monitor`): `process` committed it. */
  | { kind: 'nft-event'; process: string; pid: number }
  /** `nft monitor` started again after it died: changes meanwhile were not seen. */
  | { kind: 'nft-monitor-restarted' }
  | { kind: 'check'; full: boolean }
  | { kind: 'reload' };

export interface ReconcileOutcome {
  /** Operations carried out; empty when the host already matched. */
  applied: Operation[];
  plan: Plan;
}

export interface ReconcilerDeps {
  /** Reads the host, plans, applies when needed. Throws on failure (transient or not). */
  reconcile(trigger: Trigger, full: boolean): Promise<ReconcileOutcome>;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface ReconcilerOptions {
  /** Events arriving within this window are served by one reconcile. */
  debounceMs: number;
  /** First retry delay after a failed reconcile; doubles up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export interface ReconcilerEvents {
  reconciled: [{ trigger: Trigger; outcome: ReconcileOutcome; durationMs: number }];
  failed: [{ trigger: Trigger; error: Error; retryInMs: number }];
}

/**
 * Serialises reconciles: one runs at a time; triggers that arrive meanwhile (or within the debounce
 * window) are merged into the next run; a failure is retried with exponential back-off and never
 * escapes. A full comparison is requested by any merged trigger that asks for it.
 */
export class Reconciler extends EventEmitter<ReconcilerEvents> {
  private timer: unknown;
  /** When the scheduled run is due (deps.now() clock). */
  private dueAt = 0;
  private running = false;
  private pending: Trigger | undefined;
  private pendingFull = false;
  /** The shortest delay asked for by the triggers merged into the pending run. */
  private pendingDelayMs = Infinity;
  private failures = 0;
  /** The scheduled run is a retry after a failure: ordinary triggers do not bring it forward. */
  private retrying = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly opts: ReconcilerOptions,
  ) {
    super();
  }

  /**
   * Asks for a reconcile soon: after the debounce window, or `delayMs` (a shorter window for a
   * trigger that must be served quickly), or at once.
   */
  trigger(t: Trigger, opts: { full?: boolean; immediate?: boolean; delayMs?: number } = {}): void {
    if (this.stopped) return;
    const ms = opts.immediate ? 0 : (opts.delayMs ?? this.opts.debounceMs);
    this.pending = mergeTrigger(this.pending, t);
    this.pendingFull ||= !!opts.full;
    this.pendingDelayMs = Math.min(this.pendingDelayMs, ms);
    if (this.running) return;
    // Periodic checks would otherwise defeat the back-off; a reload or Docker's return still runs at once.
    if (this.retrying && !opts.immediate) return;
    // A run already due sooner serves this trigger too: a steady stream of events cannot postpone it.
    if (this.timer !== undefined && this.dueAt <= this.deps.now() + ms) return;
    this.schedule(ms);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clearTimeout(this.timer);
    this.timer = undefined;
    this.resolveIdle();
  }

  /** Resolves when no reconcile is running or pending (for clean shutdown and tests). */
  idle(): Promise<void> {
    if (!this.running && this.timer === undefined) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.deps.clearTimeout(this.timer);
    this.retrying = false;
    this.dueAt = this.deps.now() + ms;
    this.timer = this.deps.setTimeout(() => {
      this.timer = undefined;
      void this.runOnce();
    }, ms);
  }

  private async runOnce(): Promise<void> {
    if (this.stopped || this.running || !this.pending) return this.resolveIdle();
    const trigger = this.pending;
    const full = this.pendingFull;
    // A retry that runs is no longer waiting: later triggers schedule runs again.
    this.retrying = false;
    this.pending = undefined;
    this.pendingFull = false;
    this.pendingDelayMs = Infinity;
    this.running = true;
    const started = this.deps.now();
    try {
      const outcome = await this.deps.reconcile(trigger, full);
      this.failures = 0;
      this.emit('reconciled', { trigger, outcome, durationMs: this.deps.now() - started });
    } catch (e) {
      this.failures++;
      const retryInMs = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** (this.failures - 1));
      this.pending = mergeTrigger(this.pending, trigger);
      this.pendingFull ||= full;
      this.pendingDelayMs = Infinity;
      this.emit('failed', { trigger, error: e instanceof Error ? e : new Error(String(e)), retryInMs });
      this.running = false;
      if (this.stopped) return this.resolveIdle();
      this.schedule(retryInMs);
      this.retrying = true;
      return;
    }
    this.running = false;
    // What came in meanwhile waits no longer than it asked to.
    if (this.pending && !this.stopped) this.schedule(Math.min(this.pendingDelayMs, this.opts.debounceMs));
    else this.resolveIdle();
  }

  private resolveIdle(): void {
    if (this.running || this.timer !== undefined) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}

/** The more urgent trigger wins the description (a reconnect says more than a periodic check). */
function mergeTrigger(a: Trigger | undefined, b: Trigger): Trigger {
  if (!a) return b;
  const rank = (t: Trigger) =>
    ({
      'docker-reconnected': 4,
      reload: 3,
      'docker-event': 2,
      'nft-event': 2,
      'nft-monitor-restarted': 2,
      start: 2,
      check: 1,
    })[t.kind];
  return rank(b) > rank(a) ? b : a;
}
