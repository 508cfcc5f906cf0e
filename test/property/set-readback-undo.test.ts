import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDesired,
  buildRestoreScripts,
  executePlan,
  planUndo,
  takeSnapshot,
  undoMemberChanges,
  type Journal,
} from '../../src/apply/index.js';
import { compileDesired } from '../../src/compile/index.js';
import type { HostState, IpSet } from '../../src/model/index.js';
import { memberElement } from '../../src/parse/index.js';
import { memberChanges, planChanges } from '../../src/plan/index.js';
import { fakeHost } from '../helpers/fake-host.js';
import { policyText } from '../helpers/fixtures.js';

/**
 * The two fast paths of an apply that changes a large set, held to the general ones:
 * - the read back by header and count gives what a whole read gives, and falls back to it whenever
 *   another program changed the number of members meanwhile;
 * - the undo record of a set changed in place (what was deleted and added) puts back what the whole
 *   record of its members puts back, wherever the change was stopped.
 */

// Plain members (keys) of a hash:net set, with some that are not (ranges): those sets go the general way.
const plain = fc.integer({ min: 0, max: 300 }).map((i) => `10.${i >> 8}.${i & 255}.0/24`);
const member = fc.oneof(
  { arbitrary: plain, weight: 20 },
  { arbitrary: fc.integer({ min: 0, max: 5 }).map((i) => `10.200.${i}.1-10.200.${i}.9`), weight: 1 },
);

function policyWith(list: string[]): string {
  return `dockwall: 1\nipsets:\n  block:\n    type: hash:net\n    members: [${list.join(', ')}]\n`;
}

function hostWith(list: string[]): HostState {
  const set: IpSet = { name: 'block', type: 'hash:net', family: 'inet', options: [], members: list };
  return { rulesets: {}, sets: { sets: [set] } };
}

const sortedSets = (s: HostState) =>
  s.sets.sets
    .map((x) => ({ name: x.name, members: [...x.members].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

type Meddling = 'none' | 'add-other' | 'delete-one';

async function applyWith(old: string[], want: string[], meddling: Meddling, headers: boolean) {
  const host = fakeHost(hostWith(old), {}, { headers });
  const restore = host.ports.restoreIpset;
  let once = false;
  host.ports.restoreIpset = async (script) => {
    await restore(script);
    if (once) return;
    once = true;
    host.meddle((s) => {
      const set = s.sets.sets.find((x) => x.name === 'block');
      if (!set) return;
      if (meddling === 'add-other' && !set.members.includes('192.0.2.0/24')) set.members.push('192.0.2.0/24');
      if (meddling === 'delete-one') set.members.shift();
    });
  };
  const r = await applyDesired(host.ports, compileDesired(policyText(policyWith(want))), { id: 'p1' }).catch(
    (e: Error) => e.message,
  );
  if (typeof r === 'string') return { error: r, kernel: sortedSets(host.state) };
  return {
    applied: r.applied,
    attempts: r.attempts,
    operations: r.operations.length,
    state: sortedSets(r.state),
    kernel: sortedSets(host.state),
  };
}

describe('the read back of a set by its header and count (property)', () => {
  it('gives what the whole read gives, with or without another program changing the set meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(member, { maxLength: 80 }),
        fc.uniqueArray(member, { maxLength: 80 }),
        fc.constantFrom<Meddling>('none', 'add-other', 'delete-one'),
        async (old, want, meddling) => {
          const fast = await applyWith(old, want, meddling, true);
          const whole = await applyWith(old, want, meddling, false);
          expect(fast).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('undoing a set changed in place by its recorded changes (property)', () => {
  it('puts back what the whole record puts back, wherever the del/add lines were stopped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(plain, { minLength: 1, maxLength: 80 }),
        fc.uniqueArray(plain, { maxLength: 80 }),
        fc.nat(200),
        async (old, want, stop) => {
          const desired = compileDesired(policyText(policyWith(want)));
          const plan = planChanges(hostWith(old), desired);
          const snap = takeSnapshot(hostWith(old), desired, plan, 'p', new Date(0));
          const whole = {
            ...snap,
            formatVersion: 1 as const,
            sets: [{ name: 'block', existed: true, set: hostWith(old).sets.sets[0]! }],
          };
          // The kernel when the change stopped after `stop` lines of its script.
          const host = fakeHost(hostWith(old));
          const script = buildRestoreScripts(plan, { applyId: 'p2' }).ipsetSwap;
          const lines = script
            .trim()
            .split('\n')
            .filter((l) => l !== '');
          if (lines.length > 0)
            await host.ports.restoreIpset(lines.slice(0, stop % (lines.length + 1)).join('\n') + '\n');
          const results = [];
          for (const s of [snap, whole]) {
            const h = fakeHost(host.state);
            const journal: Journal = {
              formatVersion: 2,
              id: 'p2',
              kind: 'apply',
              pid: 1,
              command: '',
              startedAt: '',
              policyFile: 'p',
              snapshot: s,
            };
            const undo = planUndo(
              h.state,
              journal,
              h.state.sets.sets.map((x) => x.name),
            );
            await executePlan(h.ports, s, undo, () => {}, {
              undo: false,
              applyId: 'p2',
              firstTempIndex: 2000,
            });
            results.push(sortedSets(h.state));
          }
          expect(results[0]).toEqual(results[1]);
          expect(results[0]).toEqual(sortedSets(hostWith(old)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('as ipset would: any prefix of the del/add lines, undone, leaves the members before (options included)', () => {
    const element = fc.integer({ min: 0, max: 40 }).map((i) => `10.0.${i}.0/24`);
    const withOptions = fc.tuple(element, fc.constantFrom('', ' nomatch')).map(([e, o]) => e + o);
    fc.assert(
      fc.property(
        fc.uniqueArray(withOptions, { maxLength: 40, selector: memberElement }),
        fc.uniqueArray(withOptions, { maxLength: 40, selector: memberElement }),
        fc.nat(100),
        (before, want, stop) => {
          const { add, remove } = memberChanges(want, before);
          // The kernel: one member per element; `del` then `add` lines as the restore script has them.
          const kernel = new Map(before.map((m) => [memberElement(m), m]));
          const lines: Array<['del' | 'add', string]> = [
            ...remove.map((m): ['del', string] => ['del', m]),
            ...add.map((m): ['add', string] => ['add', m]),
          ];
          for (const [what, m] of lines.slice(0, stop % (lines.length + 1))) {
            if (what === 'del') kernel.delete(memberElement(m));
            else if (!kernel.has(memberElement(m))) kernel.set(memberElement(m), m);
          }
          const undone = undoMemberChanges([...kernel.values()], [{ added: add, removed: remove }]);
          expect([...undone].sort()).toEqual([...before].sort());
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('restore scripts with the members joined at once (property)', () => {
  it('are the lines one by one: `create`, then `add NAME MEMBER` for each member, in order', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 200 }), fc.array(member, { maxLength: 200 }), (a, b) => {
        const sets: IpSet[] = [
          { name: 'a', type: 'hash:net', family: 'inet', options: [], members: a },
          { name: 'b', type: 'hash:net', family: 'inet', options: [['maxelem', '9000']], members: b },
        ];
        const plan = { operations: sets.map((set) => ({ op: 'create-set' as const, set })) };
        const lines = sets.flatMap((s) => [
          `create ${s.name} hash:net family inet${s.options.map(([k, v]) => ` ${k} ${String(v)}`).join('')}`,
          ...s.members.map((m) => `add ${s.name} ${m}`),
        ]);
        expect(buildRestoreScripts(plan as never).ipsetCreate).toBe(lines.join('\n') + '\n');
      }),
      { numRuns: 200 },
    );
  });
});
