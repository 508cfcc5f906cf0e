import { describe, expect, it } from 'vitest';
import { applyDesired, buildRestoreScripts, type ApplyPorts } from '../../../src/apply/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState, IpSet } from '../../../src/model/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { policyText } from '../../helpers/fixtures.js';
import { runIpsetScript } from '../../helpers/restore-interpreter.js';

const member = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const members = (n: number, from = 0) => Array.from({ length: n }, (_, i) => member(from + i));

function policyWith(list: string[]): string {
  return `dockwall: 1\nipsets:\n  block:\n    type: hash:net\n    members: [${list.join(', ')}]\n`;
}

function hostWith(list: string[]): HostState {
  const set: IpSet = { name: 'block', type: 'hash:net', family: 'inet', options: [], members: list };
  return { rulesets: {}, sets: { sets: [set] } };
}

describe('changing members of an existing set', () => {
  it('10 members changed in a 1,000-member set: 10 lines of del/add, no reload and no temporary set', () => {
    const live = members(1000);
    const want = [...live.slice(5), ...members(5, 2000)];
    const plan = planChanges(hostWith(live), compileDesired(policyText(policyWith(want))));
    const s = buildRestoreScripts(plan);
    const lines = s.ipsetSwap.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 5)).toEqual(live.slice(0, 5).map((m) => `del block ${m}`));
    expect(lines.slice(5)).toEqual(members(5, 2000).map((m) => `add block ${m}`));
    expect(s.ipsetSwap).not.toMatch(/^swap /m);
    expect(s.tempSets).toEqual([]);
  });

  it('a member whose options change is deleted before it is added again', () => {
    const plan = planChanges(
      hostWith(['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16']),
      compileDesired(policyText(policyWith(['10.0.0.0/8 nomatch', '10.1.0.0/16', '10.2.0.0/16']))),
    );
    expect(buildRestoreScripts(plan).ipsetSwap).toBe('del block 10.0.0.0/8\nadd block 10.0.0.0/8 nomatch\n');
  });

  it('when most members change, the new contents are built aside and swapped in at once', () => {
    const plan = planChanges(hostWith(members(10)), compileDesired(policyText(policyWith(members(10, 100)))));
    const s = buildRestoreScripts(plan);
    expect(s.ipsetSwap).toMatch(/^swap dwtmp-\S+ block$/m);
    expect(s.tempSets).toHaveLength(1);
  });

  it('a member change ipset refuses part way is taken back: the set is as it was', async () => {
    const live = members(100);
    let state = hostWith(live);
    const ports: ApplyPorts = {
      readState: async () => structuredClone(state),
      testIptables: async () => {},
      restoreIptables: async () => {},
      restoreIpset: async (script) => {
        // Like ipset restore: the lines before the refused one stay applied.
        const lines = script.split('\n');
        const bad = lines.findIndex((l) => l === 'add block 10.0.202.0/24');
        if (bad >= 0) {
          state = runIpsetScript(state, lines.slice(0, bad).join('\n'));
          throw new Error(`Error in line ${bad + 1}: Hash is full, cannot add more elements`);
        }
        state = runIpsetScript(state, script);
      },
    };
    const want = [...live.slice(3), ...members(3, 200)];
    await expect(applyDesired(ports, compileDesired(policyText(policyWith(want))), {})).rejects.toThrow(
      /ipset refused the new set contents/,
    );
    expect([...state.sets.sets[0]!.members].sort()).toEqual([...live].sort());
  });
});

describe('restore scripts never carry a line break inside a line', () => {
  for (const bad of ['10.9.0.0/16\nflush block', '10.9.0.0/16\r', '10.9.0.0/16\0']) {
    it(`a member ${JSON.stringify(bad)} (which no policy makes) stops the script from being built`, () => {
      const set: IpSet = {
        name: 'b',
        type: 'hash:net',
        family: 'inet',
        options: [],
        members: ['10.0.0.0/8', bad],
      };
      const plan = {
        operations: [{ op: 'create-set' as const, set }],
        summary: { add: 1, change: 0, remove: 0 },
      };
      expect(() => buildRestoreScripts(plan as never)).toThrow(
        /internal error: a restore line contains a line break/,
      );
    });
  }
});

describe('the initial hash size of a set dockwall fills', () => {
  const created = (list: string[], extra = '') => {
    const plan = planChanges(
      { rulesets: {}, sets: { sets: [] } },
      compileDesired(policyText(policyWith(list).replace('type: hash:net\n', `type: hash:net\n${extra}`))),
    );
    return buildRestoreScripts(plan).ipsetCreate.split('\n')[0];
  };

  it('is sized for its members when the policy does not size it: no rehashing while they are added', () => {
    expect(created(members(40_000))).toBe('create block hash:net family inet hashsize 16384');
    expect(created(members(4_097))).toBe('create block hash:net family inet hashsize 2048');
  });

  it("is ipset's default for a set of up to 4,096 members, and the policy's own size when it gives one", () => {
    expect(created(members(4_096))).toBe('create block hash:net family inet');
    expect(created(members(40_000), '    options: { hashsize: 4096 }\n')).toBe(
      'create block hash:net family inet hashsize 4096',
    );
  });

  it('leaves a set that is the same apart from its size alone: the size is not compared', () => {
    const list = members(40_000);
    const live: HostState = {
      rulesets: {},
      sets: {
        sets: [
          {
            name: 'block',
            type: 'hash:net',
            family: 'inet',
            options: [['hashsize', '65536']],
            members: list,
          },
        ],
      },
    };
    expect(planChanges(live, compileDesired(policyText(policyWith(list)))).operations).toEqual([]);
  });
});
