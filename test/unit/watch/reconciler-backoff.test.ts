import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Plan } from '../../../src/model/index.js';
import { Reconciler, type Trigger } from '../../../src/watch/reconciler.js';

const emptyPlan: Plan = {
  formatVersion: 1,
  operations: [],
  summary: { add: 0, change: 0, remove: 0 },
  diagnostics: [],
};

function setup(impl: (t: Trigger) => Promise<void>) {
  const calls: Array<{ t: Trigger; at: number }> = [];
  const r = new Reconciler(
    {
      reconcile: async (t) => {
        calls.push({ t, at: Date.now() });
        await impl(t);
        return { applied: [], plan: emptyPlan };
      },
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now(),
    },
    { debounceMs: 100, minBackoffMs: 1000, maxBackoffMs: 8000 },
  );
  return { r, calls };
}

const check: Trigger = { kind: 'check', full: false };

describe('Reconciler: back-off and shutdown', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('periodic checks do not cut a back-off short: a failing host is retried after 1 s, 2 s, 4 s, not at every check', async () => {
    const { r, calls } = setup(async () => {
      throw new Error('xtables lock busy');
    });
    const failures: number[] = [];
    r.on('failed', (f) => failures.push(f.retryInMs));
    r.trigger({ kind: 'start' }, { immediate: true });
    // A check every 250 ms, as watch's --interval would send them.
    for (let t = 0; t < 7_200; t += 250) {
      r.trigger(check);
      await vi.advanceTimersByTimeAsync(250);
    }
    expect(failures).toEqual([1000, 2000, 4000, 8000]);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 3000, 7000]);
    r.stop();
  });

  it('an immediate trigger (reload, Docker back) does not wait for the back-off', async () => {
    let fail = true;
    const { r, calls } = setup(async () => {
      if (fail) throw new Error('dockerd not reachable');
    });
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(1);
    fail = false;
    r.trigger({ kind: 'docker-reconnected' }, { immediate: true, full: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.t).toEqual({ kind: 'docker-reconnected' });
    // Succeeded: back to the debounce for ordinary triggers.
    r.trigger(check);
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toHaveLength(3);
  });

  it('idle() resolves when the reconcile running at stop() fails', async () => {
    let reject!: (e: Error) => void;
    const { r } = setup(() => new Promise<void>((_res, rej) => (reject = rej)));
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(1);
    r.stop();
    let idle = false;
    void r.idle().then(() => (idle = true));
    reject(new Error('killed'));
    await vi.advanceTimersByTimeAsync(1);
    expect(idle).toBe(true);
  });

  it('idle() resolves when the reconcile running at stop() succeeds, and nothing runs after it', async () => {
    let release!: () => void;
    const { r, calls } = setup(() => new Promise<void>((res) => (release = res)));
    r.trigger({ kind: 'start' }, { immediate: true });
    await vi.advanceTimersByTimeAsync(1);
    r.trigger(check);
    r.stop();
    let idle = false;
    void r.idle().then(() => (idle = true));
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(idle).toBe(true);
    expect(calls).toHaveLength(1);
  });
});

describe('Reconciler: debounce', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('a steady stream of events (one every 50 ms) cannot postpone the reconcile past the debounce window', async () => {
    const { r, calls } = setup(async () => {});
    for (let i = 0; i < 20; i++) {
      r.trigger({ kind: 'docker-event', type: 'container', action: 'start' });
      await vi.advanceTimersByTimeAsync(50);
    }
    // Runs at 100 ms, then at most once per window after that, never starved.
    expect(calls[0]!.at).toBe(100);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    r.stop();
  });

  it('an ordinary trigger does not delay an immediate one scheduled just before', async () => {
    const { r, calls } = setup(async () => {});
    r.trigger({ kind: 'docker-reconnected' }, { immediate: true, full: true });
    r.trigger({ kind: 'docker-event', type: 'container', action: 'start' });
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.t.kind).toBe('docker-reconnected');
  });
});
