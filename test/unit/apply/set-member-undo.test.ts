import { describe, expect, it } from 'vitest';
import {
  applyDesired,
  countableSet,
  executePlan,
  journalFormat,
  mergeSnapshots,
  planRollback,
  planUndo,
  takeSnapshot,
  undoMemberChanges,
  type Journal,
  type Snapshot,
} from '../../../src/apply/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState, IpSet } from '../../../src/model/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { fakeHost } from '../../helpers/fake-host.js';
import { policyText } from '../../helpers/fixtures.js';
import { runIpsetScript } from '../../helpers/restore-interpreter.js';

const member = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const members = (n: number, from = 0) => Array.from({ length: n }, (_, i) => member(from + i));
const OLD = members(1000);
/** 10 of the 1,000 members changed: made in place. */
const NEW = [...OLD.slice(10), ...members(10, 5000)];

function policyWith(list: string[]): string {
  return `dockwall: 1\nipsets:\n  block:\n    type: hash:net\n    members: [${list.join(', ')}]\n`;
}

function hostWith(list: string[]): HostState {
  const set: IpSet = { name: 'block', type: 'hash:net', family: 'inet', options: [], members: list };
  return { rulesets: {}, sets: { sets: [set] } };
}

const sorted = (s: HostState) => [...s.sets.sets.find((x) => x.name === 'block')!.members].sort();

class Killed extends Error {}

describe('the undo record of a set changed in place: what was deleted and added, not every member', () => {
  it('records the 10 deleted and 10 added members (format 2), and a swapped set whole (format 1)', () => {
    const plan = planChanges(hostWith(OLD), compileDesired(policyText(policyWith(NEW))));
    const snap = takeSnapshot(
      hostWith(OLD),
      compileDesired(policyText(policyWith(NEW))),
      plan,
      'p',
      new Date(0),
    );
    expect(snap.formatVersion).toBe(2);
    expect(snap.sets).toEqual([
      {
        name: 'block',
        existed: true,
        set: { name: 'block', type: 'hash:net', family: 'inet', options: [], members: [] },
        changes: [{ added: members(10, 5000), removed: OLD.slice(0, 10) }],
      },
    ]);
    expect(JSON.stringify(snap).length).toBeLessThan(1000);
    // Most members changed: a reload, and the set before it recorded whole.
    const other = members(1000, 3000);
    const swap = planChanges(hostWith(OLD), compileDesired(policyText(policyWith(other))));
    const whole = takeSnapshot(
      hostWith(OLD),
      compileDesired(policyText(policyWith(other))),
      swap,
      'p',
      new Date(0),
    );
    expect(whole.formatVersion).toBe(1);
    expect(whole.sets[0]!.set!.members).toEqual(OLD);
    expect(whole.sets[0]!.changes).toBeUndefined();
  });

  it('rollback puts the members back from the set as it is now', async () => {
    const host = fakeHost(hostWith(OLD));
    const res = await applyDesired(host.ports, compileDesired(policyText(policyWith(NEW))), { id: 'r1' });
    expect(sorted(host.state)).toEqual([...NEW].sort());
    const back = planRollback(host.state, res.snapshot!);
    expect(back.operations).toHaveLength(1);
    expect(back.operations[0]).toMatchObject({ op: 'update-set', name: 'block' });
    await executePlan(host.ports, res.snapshot!, back);
    expect(sorted(host.state)).toEqual([...OLD].sort());
    expect(planRollback(host.state, res.snapshot!).operations).toEqual([]);
  });

  it('killed part way through the del/add lines: the journal undoes it to exactly the old members', async () => {
    for (const after of [0, 1, 5, 10, 11, 15, 20]) {
      const host = fakeHost(hostWith(OLD));
      let journal: Journal | undefined;
      // ipset dies after `after` lines of the change: the lines before it stay in the kernel.
      const restore = host.ports.restoreIpset;
      host.ports.restoreIpset = async (script) => {
        const lines = script.trim().split('\n');
        await restore(lines.slice(0, after).join('\n') + '\n');
        if (after < lines.length) throw new Killed(`after ${after} lines`);
      };
      const err = await applyDesired(host.ports, compileDesired(policyText(policyWith(NEW))), {
        id: 'k1',
        saveSnapshot: async (snapshot) => {
          journal = {
            formatVersion: journalFormat(snapshot),
            id: 'k1',
            kind: 'apply',
            pid: 1,
            command: 'test',
            startedAt: '',
            policyFile: 'p',
            snapshot,
          };
        },
      }).catch((e) => e);
      if (after < 20) expect(err).toBeInstanceOf(Error);
      expect(journal!.formatVersion).toBe(2);
      // What the next command does: read the kernel, plan the undo from the journal, carry it out.
      const restarted = fakeHost(host.state);
      const undo = planUndo(restarted.state, journal!, ['block']);
      await executePlan(restarted.ports, journal!.snapshot, undo, () => {}, { undo: false, applyId: 'k1' });
      expect(sorted(restarted.state), `killed after ${after} lines`).toEqual([...OLD].sort());
      expect(planUndo(restarted.state, journal!, ['block']).operations).toEqual([]);
    }
  });

  it('a retry that changes the set again adds its change; undone, last first, gives the members before both', () => {
    const first: Snapshot = {
      formatVersion: 2,
      createdAt: '',
      policyFile: 'p',
      chains: [],
      sets: [
        {
          name: 'block',
          existed: true,
          set: hostWith([]).sets.sets[0],
          changes: [{ added: ['10.9.0.0/24'], removed: [OLD[0]!] }],
        },
      ],
    };
    const again: Snapshot = {
      ...first,
      sets: [{ ...first.sets[0]!, changes: [{ added: [OLD[0]!], removed: ['10.9.0.0/24', OLD[1]!] }] }],
    };
    const merged = mergeSnapshots(first, again);
    expect(merged.grew).toBe(true);
    expect(merged.snapshot.sets[0]!.changes).toHaveLength(2);
    // The kernel after both: OLD[0] back, OLD[1] and the first addition gone.
    const now = [OLD[0]!, ...OLD.slice(2)];
    expect(undoMemberChanges(now, merged.snapshot.sets[0]!.changes!).sort()).toEqual([...OLD].sort());
    // A retry that records the set whole (a reload): whole, with the first change undone.
    const whole: Snapshot = {
      ...first,
      formatVersion: 1,
      sets: [{ name: 'block', existed: true, set: hostWith(NEW).sets.sets[0] }],
    };
    const m2 = mergeSnapshots(first, whole).snapshot;
    expect(m2.formatVersion).toBe(1);
    expect(m2.sets[0]!.changes).toBeUndefined();
    expect([...m2.sets[0]!.set!.members].sort()).toEqual(
      [...NEW.filter((m) => m !== '10.9.0.0/24'), OLD[0]!].sort(),
    );
  });

  it('a set recorded by its changes that no longer exists cannot be put back, and the error says why', () => {
    const plan = planChanges(hostWith(OLD), compileDesired(policyText(policyWith(NEW))));
    const snap = takeSnapshot(
      hostWith(OLD),
      compileDesired(policyText(policyWith(NEW))),
      plan,
      'p',
      new Date(0),
    );
    expect(() => planRollback({ rulesets: {}, sets: { sets: [] } }, snap)).toThrow(
      /set block no longer exists: the apply changed only some of its members/,
    );
  });
});

describe('the read back of a set filled with plain members: its header and count', () => {
  it('reads the header only, and gives the same state as a whole read', async () => {
    const fast = fakeHost(hostWith(OLD), {}, { headers: true });
    const r = await applyDesired(fast.ports, compileDesired(policyText(policyWith(NEW))), { id: 'c1' });
    expect(fast.log.filter((l) => l.startsWith('read '))).toEqual(['read headers block']);
    const whole = fakeHost(hostWith(OLD));
    const w = await applyDesired(whole.ports, compileDesired(policyText(policyWith(NEW))), { id: 'c1' });
    expect(r.applied).toBe(true);
    expect(r.attempts).toBe(w.attempts);
    expect(sorted(r.state)).toEqual(sorted(w.state));
  });

  it('a count that differs (another program added a member meanwhile) is read whole, and the apply goes again', async () => {
    const host = fakeHost(hostWith(OLD), {}, { headers: true });
    const restore = host.ports.restoreIpset;
    let meddled = false;
    host.ports.restoreIpset = async (script) => {
      await restore(script);
      if (!meddled) host.meddle((s) => s.sets.sets[0]!.members.push('192.0.2.0/24'));
      meddled = true;
    };
    const r = await applyDesired(host.ports, compileDesired(policyText(policyWith(NEW))), { id: 'c2' });
    expect(host.log.filter((l) => l.startsWith('read '))).toEqual([
      'read headers block',
      'read sets block',
      'read headers block',
    ]);
    expect(r.attempts).toBe(2);
    expect(sorted(host.state)).toEqual([...NEW].sort());
  });

  it('a set whose members are not all plain (here a range) is read whole', async () => {
    const list = [...OLD.slice(1), '10.200.0.1-10.200.0.5'];
    const host = fakeHost(hostWith(OLD), {}, { headers: true });
    const r = await applyDesired(host.ports, compileDesired(policyText(policyWith(list))), { id: 'c3' });
    expect(r.attempts).toBe(1);
    expect(host.log.filter((l) => l.startsWith('read '))).toContain('read sets block');
    expect(host.log.filter((l) => l.startsWith('read headers'))).toEqual([]);
  });
});

describe('undoing changes of members', () => {
  it('deletes by element and adds a deleted member once, with its options', () => {
    expect(
      undoMemberChanges(
        ['10.0.0.0/8', '10.1.0.0/16', '10.3.0.0/16'],
        [{ added: ['10.0.0.0/8', '10.3.0.0/16'], removed: ['10.0.0.0/8 nomatch', '10.2.0.0/16'] }],
      ),
    ).toEqual(['10.1.0.0/16', '10.0.0.0/8 nomatch', '10.2.0.0/16']);
  });

  it('leaves the list it is given unchanged', () => {
    const list = ['10.0.0.1'];
    const out = undoMemberChanges(list, []);
    expect(out).toEqual(list);
    expect(out).not.toBe(list);
    expect(runIpsetScript(hostWith(list), '').sets.sets[0]!.members).toEqual(list);
  });
});

describe('which sets are read back by their count', () => {
  const set = (members: string[], more: Partial<IpSet> = {}): IpSet => ({
    name: 'b',
    type: 'hash:net',
    family: 'inet',
    options: [['maxelem', '9000']],
    members,
    ...more,
  });
  it('plain IPv4 members of an IPv4 hash:net set, or host addresses of a hash:ip set, each once', () => {
    expect(countableSet(set(['10.0.0.0/8', '10.1.2.3']))).toBe(true);
    expect(countableSet(set([]))).toBe(true);
    expect(countableSet(set(['10.1.2.3', '10.1.2.4'], { type: 'hash:ip' }))).toBe(true);
  });
  it('not a network in a hash:ip set, a member twice, an option that changes members, IPv6, a member with options', () => {
    expect(countableSet(set(['10.1.2.0/24'], { type: 'hash:ip' }))).toBe(false);
    expect(countableSet(set(['10.1.2.3', '10.1.2.3']))).toBe(false);
    expect(countableSet(set(['10.1.2.3'], { options: [['timeout', '60']] }))).toBe(false);
    expect(countableSet(set(['10.1.2.3'], { type: 'hash:ip', options: [['netmask', '24']] }))).toBe(false);
    expect(countableSet(set(['10.1.2.3/32']))).toBe(false);
    expect(countableSet(set(['0.0.0.0/0']))).toBe(false);
    expect(countableSet(set(['fe80::/64'], { family: 'inet6' }))).toBe(false);
    expect(countableSet(set(['10.0.0.0/8 nomatch']))).toBe(false);
    expect(countableSet(set(['10.0.0.1'], { type: 'hash:net,port' }))).toBe(false);
  });
});
