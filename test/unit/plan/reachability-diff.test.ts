import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import {
  inCidrs,
  intersectRanges,
  reachabilityDiff,
  renderReachabilityDiff,
  subtractRanges,
  unionRanges,
} from '../../../src/plan/reachability-diff.js';
import { fixtureState, policyFrom, policyText, repoFile } from '../../helpers/fixtures.js';
import { dockerHost } from '../sim/hosts.js';

const SEED = 'docker-20.10';
const WISHES = 'examples/pyfw-wishes-firewalling-docker.yaml';
const applied = () =>
  fixtureState(
    `${SEED}/07-seed003-wishes-applied.iptables-save`,
    `${SEED}/07-seed003-wishes-applied.ipset-save`,
  );
const restarted = () =>
  fixtureState(
    `${SEED}/08-seed003-after-docker-restart.iptables-save`,
    `${SEED}/07-seed003-wishes-applied.ipset-save`,
  );

function planned(state: HostState, policy = policyFrom(WISHES)) {
  const plan = planChanges(state, compileDesired(policy));
  const after = applyPlanToState(state, plan);
  expect(after.diagnostics).toEqual([]);
  return { plan, after: after.state };
}

const port8000 = (d: ReturnType<typeof reachabilityDiff>) =>
  d.changes.filter((c) => c.port === 8000 && c.interface === 'eth0' && c.probe === 'address');

describe('reachability difference on the seed fixtures', () => {
  it('a dockerd restart (07 → 08) opens the hole: unlisted hosts gain access to the published port 8000', () => {
    const diff = reachabilityDiff({ before: applied(), after: restarted(), host: dockerHost });
    const [c, more] = port8000(diff);
    expect(more).toBeUndefined();
    expect(c!.proto).toBe('tcp');
    expect(c!.family).toBe('ipv4');
    expect(inCidrs('203.0.113.9', c!.gained, 'ipv4')).toBe(true);
    expect(inCidrs('192.168.122.50', c!.gained, 'ipv4')).toBe(true);
    // The listed host reached it before and still does.
    expect(inCidrs('192.168.122.193', c!.gained, 'ipv4')).toBe(false);
    expect(c!.lost).toEqual([]);
    expect(c!.depends).toEqual([]);
    // Fewest CIDR blocks: the two neighbours of .193 are blocks of their own, and the text says it short.
    expect(c!.gained).toContain('192.168.122.192/32');
    expect(c!.gained).toContain('192.168.122.194/31');
    expect(c!.gainedAllBut).toEqual(['192.168.122.193/32']);
    expect(renderReachabilityDiff(diff)).toContain(
      '    + gain access: every source but 192.168.122.193/32 (martian sources aside; 120 blocks in --json)',
    );
  });

  it("planning the seed's wishes against 08 closes it: the same unlisted hosts lose access, the listed one keeps it", () => {
    const before = restarted();
    const { plan, after } = planned(before);
    expect(plan.operations.length).toBeGreaterThan(0);
    const diff = reachabilityDiff({ before, after, host: dockerHost });
    expect(diff.unchanged).toBe(false);
    const [c, more] = port8000(diff);
    expect(more).toBeUndefined();
    expect(c!.gained).toEqual([]);
    expect(inCidrs('203.0.113.9', c!.lost, 'ipv4')).toBe(true);
    expect(inCidrs('192.168.122.193', c!.lost, 'ipv4')).toBe(false);
    // What was gained by the restart is exactly what the plan takes away.
    const opened = port8000(
      reachabilityDiff({ before: applied(), after: restarted(), host: dockerHost }),
    )[0]!;
    expect(c!.lost).toEqual(opened.gained);
    // And after applying, reachability equals the state before the restart.
    expect(
      reachabilityDiff({ before: applied(), after, host: dockerHost }).changes.filter((x) => x.port === 8000),
    ).toEqual([]);
    const text = renderReachabilityDiff(diff).join('\n');
    expect(text).toMatch(/8000\/tcp .* ipv4 in eth0 to 192\.168\.122\.190:\n {4}- lose access: /);
  });

  it('a plan that only renames rules shows no change in reachability', () => {
    const renamed = policyText(
      repoFile(WISHES)
        .replaceAll('allow_ssh', 'ssh_from_anywhere')
        .replaceAll('allowed_hosts_only', 'only_listed_hosts'),
      'renamed.yaml',
    );
    const before = applied();
    const { plan, after } = planned(before, renamed);
    expect(plan.operations.length).toBeGreaterThan(0);
    const diff = reachabilityDiff({ before, after, host: dockerHost });
    expect(diff.changes).toEqual([]);
    expect(diff.unchanged).toBe(true);
    expect(renderReachabilityDiff(diff)).toContainEqual(
      expect.stringMatching(/^ {2}no change in reachability \(\d+ ports? looked at\)$/),
    );
  });

  it('listening ports given as --listen are looked at: the INPUT policy change is reported on :80', () => {
    const before = applied();
    const open = policyText(
      repoFile(WISHES).replace('default_action: DROP', 'default_action: ACCEPT'),
      'open.yaml',
    );
    const { after } = planned(before, open);
    const diff = reachabilityDiff({
      before,
      after,
      host: dockerHost,
      listening: [{ port: 80, proto: 'tcp' }],
    });
    const c = diff.changes.find((x) => x.port === 80 && x.interface === 'eth0')!;
    expect(inCidrs('198.51.100.7', c.gained, 'ipv4')).toBe(true);
    expect(c.lost).toEqual([]);
  });
});

describe('cells the simulator cannot decide', () => {
  it('are reported as depends, never as gained or lost', () => {
    const before = applied();
    const { state: after } = applyPlanToState(before, {
      formatVersion: 1,
      operations: [
        {
          op: 'insert-rule',
          family: 'ipv4',
          table: 'filter',
          chain: 'DOCKER-USER',
          position: 1,
          rule: '-s 10.0.0.0/8 -j NFQUEUE --queue-num 1',
        },
      ],
      summary: { add: 1, change: 0, remove: 0 },
      diagnostics: [],
    });
    const diff = reachabilityDiff({ before, after, host: dockerHost });
    const [c, more] = port8000(diff);
    expect(more).toBeUndefined();
    expect(c!.depends).toEqual(['10.0.0.0/8']);
    expect(c!.gained).toEqual([]);
    expect(c!.lost).toEqual([]);
    expect(renderReachabilityDiff(diff).join('\n')).toContain(
      '? depends (the simulator cannot decide): 10.0.0.0/8',
    );
  });
});

describe('range arithmetic', () => {
  const r = (a: number, b: number): [bigint, bigint] => [BigInt(a), BigInt(b)];
  it('subtracts, unites and intersects sorted ranges', () => {
    expect(subtractRanges([r(0, 100)], [r(10, 20), r(50, 60)])).toEqual([r(0, 9), r(21, 49), r(61, 100)]);
    expect(subtractRanges([r(0, 10), r(20, 30)], [r(5, 25)])).toEqual([r(0, 4), r(26, 30)]);
    expect(subtractRanges([r(5, 6)], [r(0, 100)])).toEqual([]);
    expect(unionRanges([r(0, 4)], [r(5, 9), r(20, 21)])).toEqual([r(0, 9), r(20, 21)]);
    expect(intersectRanges([r(0, 10), r(20, 30)], [r(8, 22)])).toEqual([r(8, 10), r(20, 22)]);
  });
});
