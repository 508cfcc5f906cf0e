import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { canFollowNftChanges, followNftChanges } from '../../../src/cli/watch-nft-events.js';
import { OwnProcesses, type FollowedCommand, type RunResult, type Runner } from '../../../src/host/index.js';
import type { NftTransaction } from '../../../src/watch/nft-events.js';

const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '', durationMs: 1 });

/** A runner whose followed command prints what the test pushes, and ends when the test says. */
function fakeRunner() {
  let push: (line: string) => void = () => undefined;
  let end: () => void = () => undefined;
  let started = 0;
  const runner: Runner = {
    wrap: [],
    run: async () => ok('table ip filter {\n\tchain INPUT {\n\t}\n}\n'),
    follow: (_argv, onLine): FollowedCommand => {
      started++;
      push = onLine;
      const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>(
        (resolve) => (end = () => resolve({ code: null, signal: 'SIGKILL', stderr: '' })),
      );
      return { pid: 1000 + started, stop: () => end(), exited };
    },
  };
  return { runner, push: (l: string) => push(l), end: () => end(), started: () => started };
}

describe('watch following nf_tables change events', () => {
  it('only on iptables-nft, with a runner that can follow a command', async () => {
    const { runner } = fakeRunner();
    expect(await canFollowNftChanges(runner, 'nf_tables')).toBe(true);
    expect(await canFollowNftChanges(runner, 'legacy')).toBe(false);
    expect(await canFollowNftChanges({ wrap: [], run: runner.run }, 'nf_tables')).toBe(false);
  });

  it("hands on someone else's transaction in a kept chain; a dead monitor is started again and reported as a gap", async () => {
    const f = fakeRunner();
    const changes: NftTransaction[] = [];
    let gaps = 0;
    const logs: string[] = [];
    const follower = followNftChanges(f.runner, {
      onChange: (tx) => changes.push(tx),
      onGap: () => gaps++,
      log: (_level, msg) => logs.push(msg),
    });
    follower.setScope({ chains: new Set(['ip filter DOCKWALL-FILTER']), tables: new Set() });
    f.push('delete rule ip filter DOCKER handle 3');
    f.push('# new generation 5 by process 77 (dockerd)');
    f.push('delete rule ip filter DOCKWALL-FILTER handle 9');
    f.push('# new generation 6 by process 78 (iptables)');
    expect(changes.map((c) => c.generation.id)).toEqual([6]);
    f.end();
    await new Promise((r) => setTimeout(r, 250));
    expect(f.started()).toBe(2);
    expect(gaps).toBe(1);
    expect(logs).toEqual([
      'following nf_tables change events',
      'nft monitor ended: killed by SIGKILL',
      'nft monitor started again: checking at once',
    ]);
    follower.stop();
  });
});

describe("watch's own changes, by pid and start time", () => {
  it("a change committed by a process that got the pid of one of dockwall's finished commands is someone else's", async () => {
    const f = fakeRunner();
    const procs = new Map<number, string>();
    const own = new OwnProcesses({ startTimeOf: (pid) => procs.get(pid) });
    const changes: NftTransaction[] = [];
    const follower = followNftChanges(
      f.runner,
      { onChange: (tx) => changes.push(tx), onGap: () => undefined, log: () => undefined },
      own,
    );
    follower.setScope({ chains: new Set(['ip filter DOCKWALL-FILTER']), tables: new Set() });
    // dockwall's repair (pid 31000): its own change is not handed on.
    const repair = new EventEmitter();
    procs.set(31000, '500');
    own.add(31000, repair);
    f.push('add rule ip filter DOCKWALL-FILTER counter return');
    f.push('# new generation 7 by process 31000 (iptables-nft-re)');
    expect(changes).toEqual([]);
    // It ended; another program got pid 31000 and deleted dockwall's rule.
    repair.emit('exit', 0, null);
    procs.set(31000, '777');
    f.push('delete rule ip filter DOCKWALL-FILTER handle 4');
    f.push('# new generation 8 by process 31000 (iptables)');
    expect(changes.map((c) => c.generation.id)).toEqual([8]);
    follower.stop();
  });
});
