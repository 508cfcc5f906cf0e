import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRestoreScripts } from '../../src/apply/index.js';
import { compileDesired } from '../../src/compile/index.js';
import type { HostState } from '../../src/model/index.js';
import { parseIpsetSave } from '../../src/parse/index.js';
import { planChanges } from '../../src/plan/planner.js';
import { loadPolicy } from '../../src/policy/index.js';
import { netnsUnavailable, suiteNetns } from '../unit/export/netns.js';

/**
 * Members with options, written in any spelling ipset takes (upper-case hex, leading zeros, a full
 * mask, options in any order, values ipset does not print), go through the real ipset and come back
 * as the same members: a second plan against what the kernel holds is empty.
 */

/** 0 often (ipset prints nothing for some zero values), else any value up to max. */
const num = (max: number) => fc.oneof(fc.constant(0), fc.constant(max), fc.integer({ min: 0, max }));

const hexOf = (n: number, pad: number, upper: boolean) => {
  const h = n.toString(16).padStart(pad, '0');
  return `0x${upper ? h.toUpperCase() : h}`;
};

const skbmark = fc
  .record({
    mark: num(0xffffffff),
    mask: fc.option(num(0xffffffff)),
    pad: fc.integer({ min: 0, max: 8 }),
    upper: fc.boolean(),
  })
  .map(
    ({ mark, mask, pad, upper }) =>
      `skbmark ${hexOf(mark, pad, upper)}${mask === null ? '' : `/${hexOf(mask, 0, upper)}`}`,
  );
const skbprio = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.boolean())
  .map(([a, b, upper]) => {
    const t = `${a.toString(16)}:${b.toString(16)}`;
    return `skbprio ${upper ? t.toUpperCase() : t}`;
  });
const skbqueue = num(65535).map((q) => `skbqueue ${q}`);
// ipset reads a comment that starts with `-` as an option (`-n` fails): the policy refuses those.
const comment = fc.stringMatching(/^([A-Za-z0-9 _.:][A-Za-z0-9 _.:-]{0,19})?$/).map((c) => `comment "${c}"`);

const member = (i: number) =>
  fc
    .record({
      prefix: fc.integer({ min: 16, max: 32 }),
      host: fc.integer({ min: 0, max: 255 }),
      opts: fc.shuffledSubarray([fc.constant('nomatch'), comment, skbmark, skbprio, skbqueue]),
    })
    .chain(({ prefix, host, opts }) =>
      fc.tuple(...opts).map((words) => [`10.${i}.${host}.${host}/${prefix}`, ...words].join(' ')),
    );

const members = fc
  .integer({ min: 1, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => member(i))));

function policyWith(list: string[]): string {
  const items = list.map((m) => `      - '${m}'`);
  return [
    'dockwall: 1',
    'ipsets:',
    '  probe:',
    '    type: hash:net',
    '    options: { comment: true, skbinfo: true }',
    '    members:',
    ...items,
    '',
  ].join('\n');
}

const skip = netnsUnavailable(['ipset']);

describe.skipIf(skip)('ipset members with options, through the real ipset', () => {
  const ns = suiteNetns();

  it('come back as the members the policy names (second plan empty)', () => {
    fc.assert(
      fc.property(members, (list) => {
        const loaded = loadPolicy(policyWith(list), 'p.yaml');
        expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const desired = compileDesired(loaded.value!);
        const empty: HostState = { rulesets: {}, sets: { sets: [] } };
        const scripts = buildRestoreScripts(planChanges(empty, desired));
        ns.run(['ipset', 'destroy']);
        ns.run(['ipset', '-exist', 'restore'], scripts.ipsetCreate);
        const saved = parseIpsetSave(ns.run(['ipset', 'save', 'probe']), { file: 'ipset save' });
        expect(saved.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
        const live = saved.value!.sets[0]!;
        expect([...live.members].sort()).toEqual([...desired.sets[0]!.members].sort());
        const again = planChanges({ rulesets: {}, sets: saved.value! }, desired);
        expect(again.operations).toEqual([]);
      }),
      {
        numRuns: 40,
        // Values ipset does not print, each alone.
        examples: [
          [['10.0.0.0/16 skbprio 0:0']],
          [['10.0.0.0/16 skbmark 0x0/0x0']],
          [['10.0.0.0/16 skbqueue 0']],
          [['10.0.0.0/16 comment ""']],
          [['10.0.0.0/16 comment "a -n" skbmark 0x0']],
        ],
      },
    );
  }, 60_000);
});
