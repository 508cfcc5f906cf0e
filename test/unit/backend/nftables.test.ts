import { describe, expect, it } from 'vitest';
import {
  firewallBackendOf,
  forNftablesBackend,
  nftTransaction,
  planNft,
  readNftTableJson,
} from '../../../src/backend/nftables/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { DockerInventory, NftLiveTable, NftTableSpec } from '../../../src/model/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { policyFrom, policyText } from '../../helpers/fixtures.js';
import { netnsUnavailable, suiteNetns } from '../export/netns.js';
import { asRead, dockwallTableJson } from './nft-table-fixtures.js';

const NATIVE = 'examples/firewalling-docker.yaml';
const PYFW = 'examples/pyfw-wishes-firewalling-docker.yaml';

describe("Docker's nftables backend: what goes where", () => {
  it('the native policy: DOCKER-USER becomes the forward chain of ip dockwall (priority -10); INPUT and the filter chain stay iptables', () => {
    const { desired, diagnostics } = forNftablesBackend(compileDesired(policyFrom(NATIVE)));
    expect(diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['plan.nft-backend']);
    // The shared filter covers both families of the host (IPv6 too, though the policy names none).
    expect(desired.chains.map((c) => `${c.family} ${c.chain}`)).toEqual([
      'ipv4 INPUT',
      'ipv4 DOCKWALL-FILTER',
      'ipv6 DOCKWALL-FILTER',
      'ipv6 INPUT',
    ]);
    const [table] = desired.nft!.tables;
    expect(table!.name).toBe('dockwall');
    expect(table!.chains.map((c) => [c.name, c.hook?.priority])).toEqual([
      ['forward', -10],
      ['DOCKWALL-FILTER', undefined],
    ]);
    expect(table!.chains[0]!.rules.map((r) => r.body)).toEqual([
      'iifname "eth0" counter jump DOCKWALL-FILTER',
    ]);
    expect(table!.chains[1]!.rules.map((r) => r.body)).toEqual([
      'ct state related,established counter return',
      'ip protocol tcp ct original proto-dst 22 counter return',
      'ip protocol tcp ip saddr @allowed_hosts ct original proto-dst 8000 counter return',
      'counter reject',
    ]);
    expect(table!.chains[1]!.rules[2]!.comment).toMatch(/^dockwall:filter\/web #[0-9a-f]{8}$/);
    expect(table!.sets).toEqual([
      {
        name: 'allowed_hosts',
        type: 'ipv4_addr',
        interval: false,
        elements: [{ element: '192.168.122.193' }],
      },
    ]);
  });

  it("the seed's pyfw wishes: the rule in Docker's DOCKER chain moves to the forward chain as import pyfw moves it; FORWARD's policy stays Docker's", () => {
    const { desired, diagnostics } = forNftablesBackend(compileDesired(policyFrom(PYFW)));
    expect(diagnostics.map((d) => [d.severity, d.code, d.pos?.line])).toEqual([
      ['info', 'plan.nft-docker-chain-moved', 22],
      ['info', 'plan.nft-iptables-forward', 19],
      ['warning', 'plan.forward-policy-docker', 16],
      ['info', 'plan.nft-backend', undefined],
    ]);
    expect(desired.chains.find((c) => c.chain === 'FORWARD')!.policy).toBeUndefined();
    expect(desired.chains.some((c) => c.chain === 'DOCKER')).toBe(false);
    const forward = desired.nft!.tables[0]!.chains[0]!;
    expect(forward.rules.map((r) => r.body)).toEqual([
      'iifname != "docker0" oifname "docker0" ct status dnat ip saddr != @allowed_hosts counter reject',
    ]);
  });

  it('an ACCEPT in DOCKER-USER sets the accept mark, so that Docker accepts the packet too', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    DOCKER-USER:',
        '      rules:',
        '        - trusted: -s 10.1.2.3 -j ACCEPT',
        '',
      ].join('\n'),
    );
    const { desired } = forNftablesBackend(compileDesired(p));
    expect(desired.nft!.tables[0]!.chains[0]!.rules[0]!.body).toBe(
      'ip saddr 10.1.2.3 counter meta mark set meta mark or 0x10000000 accept',
    );
    expect(desired.chains).toEqual([]);
  });

  it('containers: the chain entered only from DOCKER-USER is nftables only', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'containers:',
        '  - name: web',
        '    container: web',
        '    sources: [192.168.122.193]',
        '',
      ].join('\n'),
    );
    const inventory: DockerInventory = {
      networks: [
        {
          id: 'n',
          name: 'bridge',
          driver: 'bridge',
          bridge: 'docker0',
          subnets: ['172.17.0.0/16'],
          gateways: ['172.17.0.1'],
          internal: false,
        },
      ],
      containers: [
        {
          id: 'c',
          name: 'web',
          labels: {},
          running: true,
          endpoints: [{ network: 'bridge', ipv4: '172.17.0.2' }],
          ports: [{ proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8000, containerPort: 80 }],
        },
      ],
    };
    const { desired } = forNftablesBackend(compileDesired(p, { inventory }));
    expect(desired.chains.map((c) => c.chain)).toEqual([]);
    expect(desired.nft!.tables[0]!.chains.map((c) => c.name)).toEqual(['forward', 'DOCKWALL-CONTAINERS']);
    expect(desired.nft!.tables[0]!.chains[1]!.rules.map((r) => r.body)).toContain(
      'ip saddr 192.168.122.193 ip protocol tcp ct status dnat ct original proto-dst 8000 counter return',
    );
  });
});

describe('planning dockwall’s nftables tables', () => {
  const { desired } = forNftablesBackend(compileDesired(policyFrom(NATIVE)));
  const spec = desired.nft!.tables[0]!;

  it('a missing table is created whole; the read back of what was written plans nothing (a second plan is empty)', () => {
    const first = planNft({ ipv4: null }, desired.nft!);
    expect(first.map((o) => o.op)).toEqual([
      'nft-create-table',
      'nft-update-set',
      'nft-create-chain',
      'nft-add-rule',
      'nft-create-chain',
      'nft-add-rule',
      'nft-add-rule',
      'nft-add-rule',
      'nft-add-rule',
    ]);
    expect(nftTransaction(desired.nft!, first)).toMatch(
      /^table ip dockwall\ndelete table ip dockwall\ntable ip dockwall \{\n/,
    );
    expect(planNft({ ipv4: asRead(spec) }, desired.nft!)).toEqual([]);
  });

  it('drift in its own table: a flushed chain, a foreign rule, a changed verdict, a hook moved, a set changed', () => {
    const live = asRead(spec);
    live.chains[0]!.rules = [];
    live.chains[1]!.rules.splice(1, 0, { handle: 99, verdict: 'accept' });
    live.chains[1]!.rules[4]!.verdict = 'accept';
    live.chains[0]!.hook = { ...live.chains[0]!.hook!, priority: 10 };
    live.sets[0]!.elements = ['192.168.122.193', '10.0.0.0/8'];
    const ops = planNft({ ipv4: live }, desired.nft!);
    expect(ops.map((o) => o.op).sort()).toEqual(
      [
        'nft-update-set',
        'nft-change-chain',
        'nft-add-rule',
        'nft-delete-rule',
        'nft-delete-rule',
        'nft-add-rule',
      ].sort(),
    );
    expect(ops.find((o) => o.op === 'nft-update-set')).toMatchObject({ add: [], remove: ['10.0.0.0/8'] });
  });

  it('set elements compare by the addresses they cover (nft merges networks into ranges)', () => {
    const net: NftTableSpec = {
      family: 'ipv4',
      name: 'dockwall',
      chains: [],
      sets: [
        {
          name: 's',
          type: 'ipv4_addr',
          interval: true,
          elements: [{ element: '10.0.0.0/8' }, { element: '11.0.0.0/25' }, { element: '11.0.0.128/25' }],
        },
      ],
    };
    const want = { tables: [net], families: ['ipv4' as const] };
    const merged: NftLiveTable = {
      family: 'ipv4',
      name: 'dockwall',
      chains: [],
      sets: [{ name: 's', type: 'ipv4_addr', elements: ['10.0.0.0-11.0.0.255'] }],
    };
    expect(planNft({ ipv4: merged }, want)).toEqual([]);
  });

  it('a table the policy no longer wants is deleted; a family not read is not planned', () => {
    const none = { tables: [], families: ['ipv4' as const, 'ipv6' as const] };
    expect(planNft({ ipv4: asRead(spec) }, none)).toEqual([
      { op: 'nft-delete-table', nftFamily: 'ip', nftTable: 'dockwall' },
    ]);
  });

  it('the planner puts the nft operations in the same plan, after the iptables ones', () => {
    const plan = planChanges(
      { rulesets: { ipv4: { family: 'ipv4', tables: [] } }, sets: { sets: [] }, nft: { ipv4: null } },
      desired,
    );
    const kinds = plan.operations.map((o) => o.op);
    expect(kinds.indexOf('nft-create-table')).toBeGreaterThan(kinds.lastIndexOf('insert-rule'));
    expect(plan.summary.add).toBe(plan.operations.length - plan.summary.change - plan.summary.remove);
  });
});

describe('reading nft -j list table', () => {
  it('chains, hooks, comments, verdicts and elements; not JSON is an error, not a crash', () => {
    const json = dockwallTableJson({
      tableHandle: 4,
      set: {
        name: 'a',
        type: 'ipv4_addr',
        flags: ['interval'],
        elem: [
          { range: ['10.0.0.0', '11.0.0.255'] },
          '192.168.122.193',
          { prefix: { addr: '12.0.0.0', len: 8 } },
        ],
      },
      rule: {
        handle: 4,
        comment: 'dockwall:x #12345678',
        expr: [{ counter: { packets: 0, bytes: 0 } }, { jump: { target: 'DOCKWALL-FILTER' } }],
      },
    });
    const r = readNftTableJson(json, 'ipv4', 'nft -j');
    expect(r.diagnostics).toEqual([]);
    const { objects, ...read } = r.value!;
    expect(read).toEqual({
      family: 'ipv4',
      name: 'dockwall',
      sets: [
        { name: 'a', type: 'ipv4_addr', elements: ['10.0.0.0-11.0.0.255', '192.168.122.193', '12.0.0.0/8'] },
      ],
      chains: [
        {
          name: 'forward',
          hook: { type: 'filter', hook: 'forward', priority: -10, policy: 'accept' },
          rules: [
            {
              handle: 4,
              comment: 'dockwall:x #12345678',
              verdict: 'jump DOCKWALL-FILTER',
              expr: '[{"counter":{}},{"jump":{"target":"DOCKWALL-FILTER"}}]',
            },
          ],
        },
      ],
    });
    // What a snapshot restores: every object but the metainfo, without handles, rules last.
    expect(objects!.map((o) => Object.keys(o)[0])).toEqual(['table', 'set', 'chain', 'rule']);
    expect(JSON.stringify(objects)).not.toContain('handle');
    const bad = readNftTableJson('{"nftables": [', 'ipv4', 'saved.json');
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ severity: 'error', code: 'nft.json' });
  });
});

describe("which backend Docker uses, from nft's tables and chains", () => {
  it('docker-bridges means nftables; Docker chains in iptables-nft mean iptables; else dockwall’s own table decides', () => {
    expect(firewallBackendOf(new Map([['ip docker-bridges', ['filter-FORWARD']]]))).toBe('nftables');
    expect(firewallBackendOf(new Map([['ip filter', ['INPUT', 'DOCKER-USER']]]))).toBe('iptables');
    expect(firewallBackendOf(new Map([['ip dockwall', ['forward']]]))).toBe('nftables');
    expect(
      firewallBackendOf(
        new Map([
          ['ip dockwall', ['forward']],
          ['ip filter', ['DOCKER']],
        ]),
      ),
    ).toBe('iptables');
    expect(firewallBackendOf(new Map())).toBe('iptables');
  });
});

const skip = netnsUnavailable(['nft']);

describe.skipIf(skip)('the real nft: the writer’s transaction loads, and reads back as written', () => {
  const ns = suiteNetns();

  it('checked, loaded twice (replaced whole), read back with nft -j: a second plan is empty', () => {
    const { desired } = forNftablesBackend(compileDesired(policyFrom(PYFW)));
    const both = forNftablesBackend(compileDesired(policyFrom(NATIVE))).desired;
    for (const d of [desired, both]) {
      const script = nftTransaction(d.nft!, planNft({ ipv4: null }, d.nft!));
      ns.run(['nft', '-c', '-f', '-'], script);
      ns.run(['nft', '-f', '-'], script);
      ns.run(['nft', '-f', '-'], script);
      const read = readNftTableJson(
        ns.run(['nft', '-j', 'list', 'table', 'ip', 'dockwall']),
        'ipv4',
        'nft -j',
      );
      expect(read.diagnostics).toEqual([]);
      expect(planNft({ ipv4: read.value! }, d.nft!)).toEqual([]);
    }
    expect(ns.run(['nft', 'list', 'tables']).trim()).toBe('table ip dockwall');
  });
});
