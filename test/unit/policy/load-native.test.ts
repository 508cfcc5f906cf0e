import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { yaml } from './helpers.js';

const EXAMPLE = 'examples/firewalling-docker.yaml';

describe('the bundled example', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const r = loadPolicy(text, EXAMPLE);
  const policy = r.value!;

  it('loads with no diagnostics and points editors at the schema', () => {
    expect(r.diagnostics).toEqual([]);
    expect(policy.format).toBe('dockwall');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/dockwall-policy.schema.json');
  });

  it('declares allowed_hosts and the shared filter on eth0', () => {
    expect(policy.ipsets.map((s) => [s.name, s.type, s.family, s.members])).toEqual([
      ['allowed_hosts', 'hash:ip', 'inet', ['192.168.122.193']],
    ]);
    const sf = policy.sharedFilter!;
    expect(sf.interfaces).toEqual(['eth0']);
    expect(sf.otherwise).toBe('reject');
    expect(sf.allow.map((a) => [a.name, a.proto, a.ports, a.sources, a.sets])).toEqual([
      ['ssh', 'tcp', ['22'], [], []],
      ['web', 'tcp', ['8000'], [], ['allowed_hosts']],
    ]);
  });

  it('sets INPUT to DROP with the three named rules, tagged by dockwall', () => {
    const input = policy.families
      .ipv4!.tables.find((t) => t.name === 'filter')!
      .chains.find((c) => c.name === 'INPUT')!;
    expect(input.policy).toBe('DROP');
    expect(input.rules.map((x) => [x.name, x.identity])).toEqual([
      ['allow_established', 'tag'],
      ['allow_loopback', 'tag'],
      ['allow_inter_docker', 'tag'],
    ]);
    expect(input.rules[2]!.text).toBe('-s 172.17.0.0/16 -i docker0 -j ACCEPT');
  });

  it('describes the host and the five expected outcomes', () => {
    expect(policy.host).toEqual({
      interfaces: [
        { name: 'eth0', addresses: ['192.168.122.190/24'] },
        { name: 'docker0', addresses: ['172.17.0.1/16'] },
      ],
    });
    expect(
      policy.expectations.map((e) => [e.from, e.to.address, e.to.port, e.to.proto, e.in, e.verdict]),
    ).toEqual([
      ['172.17.0.3', '172.17.0.1', 8000, 'tcp', 'docker0', 'accept'],
      ['192.168.122.193', '192.168.122.190', 8000, 'tcp', 'eth0', 'accept'],
      ['192.168.122.50', '192.168.122.190', 8000, 'tcp', 'eth0', 'reject'],
      ['192.168.122.50', '192.168.122.190', 22, 'tcp', 'eth0', 'accept'],
      ['192.168.122.50', '192.168.122.190', 3306, 'tcp', 'eth0', 'reject'],
    ]);
    for (const e of policy.expectations) expect(e.family).toBe('ipv4');
  });
});

describe('native defaults and forms', () => {
  it('fills defaults: family inet, otherwise drop, proto any without ports, deny_unlisted_published with containers', () => {
    const r = loadPolicy(
      yaml(
        'dockwall: 1',
        'ipsets:',
        '  nets: { type: hash:net, options: { hashsize: 1024, counters: true, comment: false } }',
        '  ports: { type: bitmap:port, options: { range: 1-1024 }, members: [80, 443] }',
        'filter:',
        '  interfaces: [eth0, "wg+"]',
        '  allow:',
        '    - name: from-lan',
        '      sources: [192.168.1.0/24, "fd00::/8"]',
        '    - name: dns',
        '      proto: udp',
        '      ports: [53, "8000-8010"]',
        'containers:',
        '  - name: web',
        '    compose: { project: shop, service: web }',
        '    labels: { tier: front }',
        '    ports: [80]',
        '    proto: tcp',
        'ipv6:',
        '  filter:',
        '    DOCKER-USER:',
        '      rules:',
        '        - name: drop-bad',
        '          rule: -s 2001:db8::/32 -j DROP',
        'expect:',
        '  - from: "fd00::2"',
        '    to: "[fd00::1]:443/tcp"',
        '    ct_state: NEW',
        '    verdict: drop',
        '  - from: 10.0.0.1',
        '    to: 10.0.0.2',
        '    verdict: accept',
      ),
      'p.yaml',
    );
    expect(r.diagnostics).toEqual([]);
    const p = r.value!;
    expect(p.ipsets[0]).toMatchObject({
      family: 'inet',
      options: [
        ['hashsize', '1024'],
        ['counters', true],
      ],
    });
    expect(p.ipsets[1]).toMatchObject({ options: [['range', '1-1024']], members: ['80', '443'] });
    expect(p.ipsets[1]!.family).toBeUndefined();
    expect(p.sharedFilter!.otherwise).toBe('drop');
    expect(p.sharedFilter!.allow.map((a) => [a.proto, a.ports])).toEqual([
      ['any', []],
      ['udp', ['53', '8000:8010']],
    ]);
    expect(p.containers).toEqual([
      {
        name: 'web',
        selector: { labels: { tier: 'front' }, composeProject: 'shop', composeService: 'web' },
        ports: [80],
        proto: 'tcp',
        sources: [],
        sets: [],
        pos: { file: 'p.yaml', line: 14, column: 5 },
      },
    ]);
    expect(p.denyUnlistedPublished).toBe(true);
    expect(p.families.ipv6!.tables[0]!.chains[0]!.rules[0]!.name).toBe('drop-bad');
    expect(p.expectations[0]).toMatchObject({
      family: 'ipv6',
      to: { address: 'fd00::1', port: 443, proto: 'tcp' },
      ctState: 'NEW',
    });
    expect(p.expectations[1]!.to).toEqual({ address: '10.0.0.2', proto: 'icmp' });
  });

  it('keeps deny_unlisted_published off without containers, and as written when given', () => {
    expect(loadPolicy('dockwall: 1\n', 'p.yaml').value!.denyUnlistedPublished).toBe(false);
    const r = loadPolicy(yaml('dockwall: 1', 'deny_unlisted_published: false', 'containers: []'), 'p.yaml');
    expect(r.value!.denyUnlistedPublished).toBe(false);
  });
});
