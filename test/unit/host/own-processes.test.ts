import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OwnProcesses, procStartTime } from '../../../src/host/own-processes.js';

/** A fake /proc and clock: `procs` maps a pid to the start time of the process that has it now. */
function world() {
  const procs = new Map<number, string>();
  let now = 1_000_000;
  const own = new OwnProcesses({ startTimeOf: (pid) => procs.get(pid), now: () => now });
  return { procs, own, tick: (ms: number) => (now += ms) };
}

describe("watch's own processes are known by pid and start time", () => {
  it("a pid given to another process after dockwall's ended is not dockwall's", () => {
    const { procs, own, tick } = world();
    const child = new EventEmitter();
    procs.set(4242, '9001');
    own.add(4242, child);
    expect(own.has(4242)).toBe(true);
    // It ends; its pid is free, and another process (started later) gets it at once.
    child.emit('exit', 0, null);
    procs.set(4242, '9377');
    tick(10);
    expect(own.has(4242)).toBe(false);
    expect(own.has(4243)).toBe(false);
  });

  it("a pid with no process now: dockwall's shortly after its end (its events come milliseconds later), not after", () => {
    const { procs, own, tick } = world();
    const child = new EventEmitter();
    procs.set(7, '100');
    own.add(7, child);
    procs.delete(7);
    tick(30_000);
    // Its end was not seen yet (reaped, the exit event still to come): dockwall's for up to 60 s.
    expect(own.has(7)).toBe(true);
    child.emit('exit', 0, null);
    tick(4_000);
    expect(own.has(7)).toBe(true);
    tick(2_000);
    expect(own.has(7)).toBe(false);
  });

  it('the same pid started again by dockwall is its own again; old entries are forgotten', () => {
    const { procs, own, tick } = world();
    const first = new EventEmitter();
    procs.set(9, '1');
    own.add(9, first);
    first.emit('exit', 0, null);
    procs.set(9, '2');
    own.add(9, new EventEmitter());
    // The first one's end does not end the second.
    first.emit('exit', 0, null);
    expect(own.has(9)).toBe(true);
    tick(61_000);
    own.add(10);
    procs.delete(9);
    expect(own.has(9)).toBe(false);
  });

  it('reads the start time from /proc: the same for one process, another for the next with any pid', async () => {
    const child = spawn('sleep', ['5']);
    const t = procStartTime(child.pid!);
    expect(t).toMatch(/^\d+$/);
    expect(procStartTime(child.pid!)).toBe(t);
    const own = new OwnProcesses();
    own.add(child.pid!, child);
    expect(own.has(child.pid!)).toBe(true);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    expect(procStartTime(child.pid!)).toBeUndefined();
    expect(procStartTime(spawnSync('true').pid!)).toBeUndefined();
    expect(procStartTime(process.pid)).toMatch(/^\d+$/);
  });
});
