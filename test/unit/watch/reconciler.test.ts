import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Plan } from '../../../src/model/index.js';
import { Reconciler, type Trigger } from '../../../src/watch/reconciler.js';

const emptyPlan: Plan = {
  formatVersion: 1,
  operations: [],
  summary: { add: 0, change: 0, remove: 0 },
  diagnostics: [],
};

function setup(impl: (t: Trigger, full: boolean) => Promise<void>) {
  const calls: Array<{ t: Trigger; full: boolean }> = [];
  const r = new Reconciler(
    {
      reconcile: async (t, full) => {
        calls.push({ t, full });
        await impl(t, full);
        return { applied: [], plan: emptyPlan };
      },
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now(),
    },
    { debounceMs: 100, minBackoffMs: 200, maxBackoffMs: 1000 },
  );
  return { r, calls };
}

describe('Reconciler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('serves a burst of events with one reconcile', async () => {
    const { r, calls } = setup(async () => {});
    for (let i = 0; i < 20; i++) r.trigger({ kind: 'docker-event', type: 'container', action: 'start' });
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toHaveLength(1);
  });

  it('a reconnect wins over a periodic check in the merged trigger, and full is kept', async () => {
    const { r, calls } = setup(async () => {});
    r.trigger({ kind: 'check', full: false });
    r.trigger({ kind: 'docker-reconnected' }, { full: true });
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toEqual([{ t: { kind: 'docker-reconnected' }, full: true }]);
  });

  it('never runs two reconciles at once; a trigger during a run causes exactly one more', async () => {
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const { r, calls } = setup(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      if (calls.length === 1) await new Promise<void>((res) => (release = res));
      active--;
    });
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(1);
    r.trigger({ kind: 'check', full: false });
    r.trigger({ kind: 'check', full: false });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(2);
    expect(maxActive).toBe(1);
  });

  it('retries failures with growing back-off and reports each failure', async () => {
    let fail = 3;
    const { r, calls } = setup(async () => {
      if (fail-- > 0) throw new Error('xtables lock busy');
    });
    const retries: number[] = [];
    r.on('failed', (f) => retries.push(f.retryInMs));
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(5000);
    expect(retries).toEqual([200, 400, 800]);
    expect(calls).toHaveLength(4);
  });

  it('after a failure and a successful retry, later triggers run again (watch does not go deaf)', async () => {
    let fail = 1;
    const { r, calls } = setup(async () => {
      if (fail-- > 0) throw new Error('a chain the host lacks');
    });
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    r.trigger({ kind: 'check', full: false });
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toHaveLength(3);
    r.trigger({ kind: 'nft-event', process: 'nft', pid: 4242 }, { delayMs: 10 });
    await vi.advanceTimersByTimeAsync(20);
    expect(calls).toHaveLength(4);
  });

  it('stop() cancels pending work and idle() resolves', async () => {
    const { r, calls } = setup(async () => {});
    r.trigger({ kind: 'start' });
    r.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await r.idle();
    expect(calls).toHaveLength(0);
  });
});

describe('Reconciler: triggers that ask for a shorter delay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a change event asking for 10 ms runs after 10 ms, not after the 100 ms debounce', async () => {
    const { r, calls } = setup(async () => {});
    r.trigger({ kind: 'nft-event', process: 'iptables', pid: 7 }, { delayMs: 10 });
    await vi.advanceTimersByTimeAsync(11);
    expect(calls).toEqual([{ t: { kind: 'nft-event', process: 'iptables', pid: 7 }, full: false }]);
  });

  it('a change event during a running reconcile is served 10 ms after it, not 100 ms', async () => {
    let release!: () => void;
    const { r, calls } = setup(async () => {
      if (calls.length === 1) await new Promise<void>((res) => (release = res));
    });
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(1);
    r.trigger({ kind: 'nft-event', process: 'iptables', pid: 8 }, { delayMs: 10 });
    release();
    await vi.advanceTimersByTimeAsync(11);
    expect(calls.map((c) => c.t.kind)).toEqual(['start', 'nft-event']);
  });
});
