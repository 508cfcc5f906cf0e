import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleCollector } from '../../../src/cli/idle-collector.js';

describe('idleCollector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once, after the last of a burst of work has been quiet for the given time', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const c = idleCollector(2_000, collect);
    c.poke();
    vi.advanceTimersByTime(1_500);
    c.poke();
    vi.advanceTimersByTime(1_999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('stop cancels a pending collection', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const c = idleCollector(100, collect);
    c.poke();
    c.stop();
    vi.advanceTimersByTime(1_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it("collects with V8's own gc (an unreachable object is gone), leaving no gc in the global scope", async () => {
    const c = idleCollector(1);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const ref = new WeakRef({ garbage: true });
    // A WeakRef keeps its target until the current job ends.
    await new Promise((r) => setTimeout(r, 1));
    c.poke();
    await new Promise((r) => setTimeout(r, 20));
    c.stop();
    expect(ref.deref()).toBeUndefined();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
