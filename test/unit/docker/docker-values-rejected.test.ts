import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { inventoryFromApi } from '../../../src/docker/index.js';
import {
  checkInventory,
  interfaceNameProblem,
  ipAddressProblem,
  type DockerInventory,
} from '../../../src/model/index.js';
import { formatRule } from '../../../src/parse/index.js';
import { policyText } from '../../helpers/fixtures.js';

/**
 * Issue 11 item 6: values from Docker reach rule text only after they are checked as what they
 * are. A bad one costs its network, container or port (listed in `rejected`), never the meaning of
 * a rule: a bridge named `+` must not become `-i +` (every interface), `q"x` must not break every
 * plan, a host address must not carry options into the rule.
 */
const network = (name: string, bridge: string | undefined, id = 'a'.repeat(64)) => ({
  Id: id,
  Name: name,
  Driver: 'bridge',
  IPAM: { Config: [{ Subnet: '172.30.0.0/16', Gateway: '172.30.0.1' }] },
  Options: bridge === undefined ? {} : { 'com.docker.network.bridge.name': bridge },
});

const container = (name: string, ports: Record<string, unknown>, id = name.padEnd(64, '0')) => ({
  Id: id,
  Name: `/${name}`,
  State: { Running: true },
  Config: { Labels: {} },
  NetworkSettings: {
    Ports: ports,
    Networks: { good: { IPAddress: '172.30.0.2', NetworkID: 'a'.repeat(64) } },
  },
});

describe('interface names from Docker are checked by the kernel rules and what iptables reads', () => {
  it('accepts the names Docker makes and refuses what the kernel or iptables would read differently', () => {
    for (const ok of ['docker0', 'br-0123456789ab', 'docker_gwbridge', 'my.bridge@1', 'a-b_c.d@e-fgh15'])
      expect(interfaceNameProblem(ok), ok).toBeUndefined();
    for (const [bad, why] of [
      ['+', /wildcard/],
      ['eth+', /wildcard/],
      ['q"x', /characters/],
      ["q'x", /characters/],
      ['a b', /white space/],
      ['a/b', /`\/`/],
      ['a:b', /`:`/],
      ['.', /`\.`/],
      ['..', /`\.`/],
      ['', /empty/],
      ['abcdefghijklmnop', /16 bytes/],
      ['ééééééééé', /18 bytes/],
      ['-x', /option/],
      ['!x', /option/],
      ['x\u001b', /characters/],
    ] as const)
      expect(interfaceNameProblem(bad), bad).toMatch(why);
  });

  it('takes only plain IPv4 and IPv6 addresses as host addresses', () => {
    for (const ok of ['0.0.0.0', '::', '192.0.2.7', '2001:db8::1', '::ffff:192.0.2.1'])
      expect(ipAddressProblem(ok), ok).toBeUndefined();
    for (const bad of [
      '9.9.9.9 ! --ctorigdst 9.9.9.9',
      '192.0.2.1/32',
      'fe80::1%eth0',
      '1.2.3',
      'localhost',
      '0x7f.1',
    ])
      expect(ipAddressProblem(bad), bad).toBeDefined();
  });
});

describe('a bad value from Docker costs its entry, never a changed rule', () => {
  const api = inventoryFromApi(
    [
      network('good', undefined),
      network('plus', '+', 'b'.repeat(64)),
      network('quote', 'q"x', 'c'.repeat(64)),
      network('long', 'abcdefghijklmnop', 'd'.repeat(64)),
    ],
    [
      container('web', {
        '80/tcp': [
          { HostIp: '0.0.0.0', HostPort: '8000' },
          { HostIp: '9.9.9.9 ! --ctorigdst 9.9.9.9', HostPort: '8001' },
        ],
        '81/tcp': [{ HostIp: '', HostPort: 'eighty' }],
        '82/xtp': [{ HostIp: '', HostPort: '8002' }],
        '83/tcp': null,
      }),
      container('db', { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '5432' }] }),
    ],
  );

  it('inventoryFromApi leaves out the networks with bad bridge names and the bad port bindings, and lists them', () => {
    expect(api.networks.map((n) => n.bridge)).toEqual(['br-aaaaaaaaaaaa']);
    expect(api.containers.find((c) => c.name === 'web')?.ports).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8000, containerPort: 80, proto: 'tcp' },
    ]);
    expect(api.containers.find((c) => c.name === 'db')?.ports).toHaveLength(1);
    const rejected = api.rejected ?? [];
    expect(rejected.map((r) => [r.kind, r.name])).toEqual(
      expect.arrayContaining([
        ['network', 'plus'],
        ['network', 'quote'],
        ['network', 'long'],
        ['port', expect.stringContaining('web "9.9.9.9 ! --ctorigdst 9.9.9.9"')],
        ['port', expect.stringContaining('web "81/tcp"')],
        ['port', expect.stringContaining('web "82/xtp"')],
      ]),
    );
    expect(rejected).toHaveLength(6);
    expect(rejected.find((r) => r.name === 'plus')?.reason).toMatch(/bridge name "\+" .*wildcard/);
  });

  const policy = policyText(`dockwall: 1
containers:
  - name: web-office
    container: web
    sources: [10.0.0.0/8]
`);

  /** What a crafted --docker-state (or any library caller) could hand the compiler directly. */
  const crafted: DockerInventory = {
    networks: [
      {
        id: 'a'.repeat(64),
        name: 'good',
        driver: 'bridge',
        bridge: 'br-aaaaaaaaaaaa',
        subnets: [],
        gateways: [],
        internal: false,
      },
      {
        id: 'b'.repeat(64),
        name: 'plus',
        driver: 'bridge',
        bridge: '+',
        subnets: [],
        gateways: [],
        internal: false,
      },
      {
        id: 'c'.repeat(64),
        name: 'quote',
        driver: 'bridge',
        bridge: 'q"x',
        subnets: [],
        gateways: [],
        internal: false,
      },
    ],
    containers: [
      {
        id: 'e'.repeat(64),
        name: 'web',
        labels: {},
        running: true,
        endpoints: [{ network: 'good', ipv4: '172.30.0.2' }],
        ports: [
          { hostIp: '0.0.0.0', hostPort: 8000, containerPort: 80, proto: 'tcp' },
          { hostIp: '9.9.9.9 ! --ctorigdst 9.9.9.9', hostPort: 8001, containerPort: 80, proto: 'tcp' },
        ],
      },
    ],
  };

  it('the compiler keeps every other rule, writes no `-i +` and no unconditional RETURN, and warns per entry', () => {
    const d = compileDesired(policy, { inventory: crafted });
    const rules = d.chains
      .find((c) => c.family === 'ipv4' && c.chain === 'DOCKWALL-CONTAINERS')!
      .rules.map((r) => formatRule(r.rule));
    expect(rules.filter((r) => r.startsWith('-i '))).toEqual([
      '-i br-aaaaaaaaaaaa -m comment --comment "dockwall:containers/from-br-aaaaaaaaaaaa" -j RETURN',
    ]);
    expect(rules.filter((r) => /^-m comment --comment "[^"]*" -j RETURN$/.test(r))).toEqual([]);
    expect(rules.join('\n')).not.toContain('9.9.9.9');
    expect(rules).toContain(
      '-s 10.0.0.0/8 -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8000 -m comment --comment "dockwall:containers/web-office" -j RETURN',
    );
    expect(rules.at(-1)).toMatch(/--ctstate DNAT .*deny-unlisted.* -j REJECT/);
    const warned = d.diagnostics.filter((x) => x.code === 'docker.rejected-value');
    expect(warned.map((x) => x.severity)).toEqual(['warning', 'warning', 'warning']);
    expect(warned.map((x) => x.message).join('\n')).toMatch(/network "plus" left out: its bridge name "\+"/);
    expect(warned.map((x) => x.message).join('\n')).toMatch(/network "quote" left out/);
    expect(warned.map((x) => x.message).join('\n')).toMatch(
      /port "web \\"9\.9\.9\.9 ! --ctorigdst 9\.9\.9\.9\\":8001->80\/tcp" left out/,
    );
  });

  it('checkInventory keeps a sound inventory as it is and reports rejections made earlier only once', () => {
    const once = checkInventory(crafted);
    expect(once.rejected).toHaveLength(3);
    const twice = checkInventory(once);
    expect(twice.rejected).toEqual(once.rejected);
    expect(twice.networks).toEqual(once.networks);
  });
});
