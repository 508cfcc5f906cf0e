import { describe, expect, it } from 'vitest';
import { readNftTableJson } from '../../../src/backend/nftables/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import {
  canonicalJson,
  makeSavedPlan,
  parseSavedPlan,
  planChanges,
  savedPlanRefusal,
  stateDigest,
  type SavedPlan,
} from '../../../src/plan/index.js';
import { policyText } from '../../helpers/fixtures.js';

const POLICY = `dockwall: 1
ipv4:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport 22 -j ACCEPT
`;
const state = (dump: string): HostState => ({
  rulesets: { ipv4: parseIptablesSave(dump, { file: 'v4', family: 'ipv4' }).value! },
  sets: { sets: [] },
});
const EMPTY = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const host = state(EMPTY);
const plan = planChanges(host, compileDesired(policyText(POLICY)));
const save = (offline = false): SavedPlan =>
  makeSavedPlan({
    policyFile: '/etc/dockwall/policy.yaml',
    policyText: POLICY,
    state: host,
    plan,
    offline,
    dockwallVersion: '1.2.3',
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });

describe('saved plans (plan -o / apply FILE)', () => {
  it('records the policy file and digest, the host state digest, the version and the time', () => {
    const s = save();
    expect(s).toMatchObject({
      kind: 'dockwall-saved-plan',
      formatVersion: 1,
      dockwallVersion: '1.2.3',
      createdAt: '2026-01-02T03:04:05.000Z',
      policy: { file: '/etc/dockwall/policy.yaml', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      host: 'live',
      stateSha256: stateDigest(host),
    });
    expect(s.plan.operations.length).toBeGreaterThan(0);
  });

  it('reads back what it wrote through JSON, and the same policy and host give no refusal', () => {
    const back = parseSavedPlan(JSON.stringify(save(), null, 2), 'p.json');
    expect('error' in back).toBe(false);
    expect(savedPlanRefusal(back as SavedPlan, { policyText: POLICY, state: host, plan })).toBeUndefined();
  });

  it('the host state digest does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(stateDigest({ sets: host.sets, rulesets: host.rulesets })).toBe(stateDigest(host));
  });

  it('canonical JSON is exactly this text (digests kept in snapshots and saved plans depend on it)', () => {
    const value = {
      b: [1, undefined, null, 'x"y'],
      a: { packets: 7, z: { bytes: 9, used: 1 }, y: undefined },
      B: true,
      '10': 2,
      '9': { '': 0 },
    };
    expect(canonicalJson(value)).toBe(
      '{"10":2,"9":{"":0},"B":true,"a":{"packets":7,"z":{"bytes":9,"used":1}},"b":[1,null,null,"x\\"y"]}',
    );
    expect(canonicalJson(value, ['packets', 'bytes'])).toBe(
      '{"10":2,"9":{"":0},"B":true,"a":{"z":{"used":1}},"b":[1,null,null,"x\\"y"]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
  });

  it('traffic does not change the host state digest (counters are left out)', () => {
    const busy = state(EMPTY.replace(':INPUT ACCEPT [0:0]', ':INPUT ACCEPT [1234:99999]'));
    expect(stateDigest(busy)).toBe(stateDigest(host));
    const dropped = state(EMPTY.replace(':INPUT ACCEPT [0:0]', ':INPUT DROP [0:0]'));
    expect(stateDigest(dropped)).not.toBe(stateDigest(host));
  });

  it("traffic through dockwall's nftables table does not change the digest; an edited rule does", () => {
    const table = (packets: number, saddr: string) => {
      const expr = [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: saddr } },
        { counter: { packets, bytes: packets * 60 } },
        { drop: null },
      ];
      const json = {
        nftables: [
          { table: { family: 'ip', name: 'dockwall', handle: 1 } },
          { chain: { family: 'ip', table: 'dockwall', name: 'forward', handle: 1 } },
          { rule: { family: 'ip', table: 'dockwall', chain: 'forward', handle: 2, comment: 'c', expr } },
        ],
      };
      const read = readNftTableJson(JSON.stringify(json), 'ipv4', 'nft -j').value!;
      return { ...host, nft: { ipv4: read } };
    };
    expect(stateDigest(table(5, '10.0.0.1'))).toBe(stateDigest(table(0, '10.0.0.1')));
    expect(stateDigest(table(0, '10.0.0.2'))).not.toBe(stateDigest(table(0, '10.0.0.1')));
  });

  it('refuses when a rule on the host changed since the plan was made', () => {
    const changed = state(EMPTY.replace('COMMIT', '-A INPUT -p tcp --dport 80 -j ACCEPT\nCOMMIT'));
    expect(savedPlanRefusal(save(), { policyText: POLICY, state: changed, plan })).toMatch(
      /host's firewall changed since the plan was made/,
    );
  });

  it('refuses when the policy text changed since the plan was made', () => {
    expect(savedPlanRefusal(save(), { policyText: POLICY.replace('22', '2222'), state: host, plan })).toMatch(
      /policy file \/etc\/dockwall\/policy.yaml changed/,
    );
  });

  it('refuses when the same inputs now plan differently', () => {
    const other = planChanges(host, compileDesired(policyText(POLICY.replace('22', '23'))));
    expect(savedPlanRefusal(save(), { policyText: POLICY, state: host, plan: other })).toMatch(
      /now plan differently/,
    );
  });

  it('refuses a plan made against saved dumps whatever the host', () => {
    expect(savedPlanRefusal(save(true), { policyText: POLICY, state: host, plan })).toMatch(
      /planned against saved dumps, not made against this host/,
    );
  });

  it('rejects text that is not a saved plan, another format, or edited operations', () => {
    expect(parseSavedPlan('{', 'p.json')).toMatchObject({
      error: expect.stringMatching(/^p.json is not a saved plan/),
    });
    expect(parseSavedPlan('{"formatVersion":1}', 'p.json')).toMatchObject({
      error: expect.stringMatching(/not a saved plan/),
    });
    expect(parseSavedPlan(JSON.stringify({ ...save(), formatVersion: 2 }), 'p.json')).toMatchObject({
      error: expect.stringMatching(/format 2/),
    });
    expect(parseSavedPlan(JSON.stringify({ ...save(), policy: {} }), 'p.json')).toMatchObject({
      error: expect.stringMatching(/damaged/),
    });
    const edited = save();
    edited.plan = { ...edited.plan, operations: edited.plan.operations.slice(1) };
    expect(parseSavedPlan(JSON.stringify(edited), 'p.json')).toMatchObject({
      error: expect.stringMatching(/edited since it was saved/),
    });
  });
});
