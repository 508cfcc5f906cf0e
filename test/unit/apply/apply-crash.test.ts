import { describe, expect, it } from 'vitest';
import {
  ApplyError,
  appliedMark,
  membersDigest,
  type AppliedMark,
  applyDesired,
  applyTempSetName,
  buildRestoreScripts,
  executePlan,
  isTempSetOf,
  markDifference,
  planUndo,
  type Journal,
  type Snapshot,
} from '../../../src/apply/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { formatRule, parseIpsetSave, parseIptablesSave } from '../../../src/parse/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { fakeHost } from '../../helpers/fake-host.js';
import { policyText } from '../../helpers/fixtures.js';

const table = (family: 'ipv4' | 'ipv6', rules: string[]) =>
  parseIptablesSave(
    [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ...rules,
      'COMMIT',
      '',
    ].join('\n'),
    { file: family, family },
  ).value!;

/** Both families, and a set `friends` (10.0.0.1) that the old policy made. */
function oldHost(): HostState {
  return {
    rulesets: {
      ipv4: table('ipv4', [
        '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT',
      ]),
      ipv6: table('ipv6', [
        '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT',
      ]),
    },
    sets: parseIpsetSave('create friends hash:ip family inet\nadd friends 10.0.0.1\n', { file: 'ipset' })
      .value!,
  };
}

/** New members for `friends`, a new set, other rules in both families: every kind of step. */
const NEW = `dockwall: 1
ipsets:
  friends: { type: hash:ip, members: [10.0.0.2, 10.0.0.3] }
  admins: { type: hash:net, members: [192.0.2.0/24] }
ipv4:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport 2222 -j ACCEPT
        - friends: -m set --match-set friends src -j ACCEPT
        - admins: -m set --match-set admins src -j ACCEPT
ipv6:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport 2222 -j ACCEPT
`;

/** A state as the tools would print it: chains with policies and rules, sets with sorted members. */
function view(state: HostState): string[] {
  const out: string[] = [];
  for (const [family, rs] of Object.entries(state.rulesets))
    for (const t of rs!.tables)
      for (const c of t.chains)
        out.push(
          `${family} ${t.name} ${c.name} ${c.policy ?? '-'}`,
          ...c.rules.map((r) => `  ${formatRule(r)}`),
        );
  for (const set of [...state.sets.sets].sort((a, b) => a.name.localeCompare(b.name)))
    out.push(`set ${set.name} ${set.type}`, ...[...set.members].sort().map((m) => `  ${m}`));
  return out;
}

const STEPS = [
  'journal-written',
  'ipset-create',
  'ipset-swap',
  'iptables-ipv4',
  'iptables-ipv6',
  'kernel-done',
];

class Killed extends Error {}

describe('an apply that dies at any step is undone whole by the next command', () => {
  it.each(STEPS)('killed at %s: the journal undoes it to exactly the old state', async (at) => {
    const host = fakeHost(oldHost());
    const desired = compileDesired(policyText(NEW));
    let journal: Journal | undefined;
    host.ports.checkpoint = async (step) => {
      if (step === at) throw new Killed(step);
    };
    const err = await applyDesired(host.ports, desired, {
      id: 'k1ll3d00',
      saveSnapshot: async (snapshot) => {
        journal = {
          formatVersion: 1,
          id: 'k1ll3d00',
          kind: 'apply',
          pid: 1,
          command: 'test',
          startedAt: '',
          policyFile: 'p',
          snapshot,
        };
        await host.ports.checkpoint!('journal-written');
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Killed);
    // The journal was written before anything changed.
    expect(journal).toBeDefined();
    delete host.ports.checkpoint;
    const undo = planUndo(
      host.state,
      journal!,
      host.state.sets.sets.map((s) => s.name),
    );
    await executePlan(host.ports, journal!.snapshot, undo, () => {}, {
      undo: false,
      applyId: 'k1ll3d00',
      firstTempIndex: 2000,
    });
    expect(view(host.state)).toEqual(view(oldHost()));
    // And undoing again changes nothing: rollback never reaches past the interrupted apply.
    expect(planUndo(host.state, journal!, ['friends']).operations).toEqual([]);
  });

  it('set swaps are undone when a family is refused after them, and the message says the firewall is as before', async () => {
    const host = fakeHost(oldHost(), { family: 'ipv6' });
    const err = await applyDesired(host.ports, compileDesired(policyText(NEW)), { id: 'abc' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.kernel).toBe('unchanged');
    expect(err.message).toMatch(/ipv6 rules were refused by the kernel.*put back, the firewall is as before/);
    expect(view(host.state)).toEqual(view(oldHost()));
  });

  it('says the firewall is partly changed when putting back fails too', async () => {
    const host = fakeHost(oldHost(), { family: 'ipv6' });
    const restore = host.ports.restoreIpset;
    let calls = 0;
    host.ports.restoreIpset = async (script) => {
      if (++calls > 2) throw new Error('ipset: kernel says no');
      return restore(script);
    };
    const err = await applyDesired(host.ports, compileDesired(policyText(NEW)), { id: 'abc' }).catch(
      (e) => e,
    );
    expect(err.kernel).toBe('mixed');
    expect(err.message).toMatch(/putting back the steps before it failed too.*partly changed/);
    expect(err.message).not.toMatch(/nothing was changed/);
  });
});

describe('temporary sets of a swap', () => {
  it('are named from the apply id, all created before the first swap, and found again by recovery', () => {
    const plan = planChanges(oldHost(), compileDesired(policyText(NEW)));
    const s = buildRestoreScripts(plan, { applyId: 'q1w2e3r4' });
    expect(s.tempSets).toEqual(['dwtmp-q1w2e3r4-0']);
    expect(s.ipsetSwap.split('\n')[0]).toBe('create dwtmp-q1w2e3r4-0 hash:ip family inet');
    expect(s.ipsetSwap.indexOf('swap ')).toBeGreaterThan(s.ipsetSwap.lastIndexOf('create '));
    expect(applyTempSetName('q1w2e3r4', 3).length).toBeLessThanOrEqual(31);
    expect(isTempSetOf('q1w2e3r4', 'dwtmp-q1w2e3r4-0')).toBe(true);
    expect(isTempSetOf('q1w2e3r4', 'dwtmp-q1w2e3r4-x')).toBe(false);
    expect(isTempSetOf('q1w2e3r4', 'dwtmp-other-0')).toBe(false);
  });

  it('refuses to use a temporary set name that someone else holds, changing nothing', async () => {
    const start = oldHost();
    start.sets.sets.push({
      name: 'dwtmp-taken-0',
      type: 'hash:ip',
      family: 'inet',
      options: [],
      members: ['1.2.3.4'],
    });
    const host = fakeHost(start);
    const err = await applyDesired(host.ports, compileDesired(policyText(NEW)), { id: 'taken' }).catch(
      (e) => e,
    );
    expect(err.message).toMatch(
      /a set named dwtmp-taken-0 exists that this apply did not create; nothing was changed/,
    );
    expect(view(host.state)).toEqual(view(start));
  });
});

describe("what an apply left (rollback's check that a snapshot belongs to what is in the kernel)", () => {
  it("matches after the apply, and names the first difference once someone changed dockwall's part", async () => {
    const host = fakeHost(oldHost());
    const res = await applyDesired(host.ports, compileDesired(policyText(NEW)), { id: 'm1' });
    const snap: Snapshot = res.snapshot!;
    const mark = appliedMark(res.state, snap);
    expect(markDifference(mark, appliedMark(host.state, snap))).toBeUndefined();
    // Another apply of another policy over it: its snapshot no longer describes the kernel.
    const other = fakeHost(host.state);
    await applyDesired(other.ports, compileDesired(policyText(NEW.replace('2222', '2022'))), { id: 'm2' });
    expect(markDifference(mark, appliedMark(other.state, snap))).toMatch(/ipv4 filter INPUT/);
    const sets = fakeHost(host.state);
    await applyDesired(sets.ports, compileDesired(policyText(NEW.replace('10.0.0.3', '10.0.0.9'))), {
      id: 'm3',
    });
    expect(markDifference(mark, appliedMark(sets.state, snap))).toBe('set friends holds other members');
  });
});

describe('the members of a set in what an apply left: a count and a digest, whatever their order', () => {
  it('the digest does not depend on the order ipset lists the members in, and changes with one member', () => {
    const members = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const shuffled = [...members].reverse();
    expect(membersDigest(shuffled)).toBe(membersDigest(members));
    expect(membersDigest([...members.slice(1), '10.9.9.9'])).not.toBe(membersDigest(members));
  });

  it('a mark written before (sorted members) is still compared with one of now', () => {
    const now: AppliedMark = {
      chains: [],
      sets: [{ name: 'friends', exists: true, count: 2, digest: membersDigest(['10.0.0.2', '10.0.0.1']) }],
    };
    const old: AppliedMark = {
      chains: [],
      sets: [{ name: 'friends', exists: true, members: ['10.0.0.1', '10.0.0.2'] }],
    };
    expect(markDifference(old, now)).toBeUndefined();
    const changed: AppliedMark = {
      chains: [],
      sets: [{ name: 'friends', exists: true, members: ['10.0.0.1'] }],
    };
    expect(markDifference(changed, now)).toBe('set friends holds other members');
  });
});
