import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bridgeNameOf,
  containerFromApi,
  inventoryFromApi,
  mapFirewallBackend,
  portsFromSummary,
} from '../../../src/docker/index.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'docker-20.10');
const load = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

/** `docker inspect` / `docker network inspect` of dockerd 20.10.24 with four containers on three networks. */
const inventory = inventoryFromApi(
  load('05-port-range.networks.json'),
  load('05-port-range.containers.json'),
  { ServerVersion: '20.10.24' },
  { Version: '20.10.24', ApiVersion: '1.41' },
);

describe('inventoryFromApi on real docker 20.10 inspect output', () => {
  it('names the bridges: docker0 from the option, br-<12 hex> for user networks', () => {
    expect(inventory.networks.map((n) => [n.name, n.driver, n.bridge, n.internal])).toEqual([
      ['bridge', 'bridge', 'docker0', false],
      ['esnet', 'bridge', 'br-b3bc30109fba', false],
      ['internalnet', 'bridge', 'br-73d5b6cb4d83', true],
    ]);
  });

  it('takes subnets and gateways from IPAM, and the default bridge gateway from its endpoints', () => {
    expect(inventory.networks.map((n) => [n.name, n.subnets, n.gateways, n.enableIPv6])).toEqual([
      ['bridge', ['172.17.0.0/16'], ['172.17.0.1'], false],
      ['esnet', ['172.18.0.0/16'], ['172.18.0.1'], false],
      ['internalnet', ['172.19.0.0/16'], ['172.19.0.1'], false],
    ]);
  });

  it('lists the containers by name without the leading slash, with their endpoints', () => {
    expect(inventory.containers.map((c) => [c.name, c.id.slice(0, 12), c.running, c.endpoints])).toEqual([
      ['es', 'f295e3d908e5', true, [{ network: 'esnet', ipv4: '172.18.0.2' }]],
      ['internal', '09911824a92b', true, [{ network: 'internalnet', ipv4: '172.19.0.2' }]],
      ['range', 'cdbcdef2ffae', true, [{ network: 'bridge', ipv4: '172.17.0.3' }]],
      ['web', '17c072626345', true, [{ network: 'bridge', ipv4: '172.17.0.2' }]],
    ]);
  });

  it('maps every published port, including the 7000-7002 range and the 127.0.0.1-bound one', () => {
    const ports = Object.fromEntries(
      inventory.containers.map((c) => [
        c.name,
        c.ports.map((p) => `${p.hostIp} ${p.hostPort}->${p.containerPort}/${p.proto}`),
      ]),
    );
    expect(ports).toEqual({
      es: [
        '0.0.0.0 5353->53/udp',
        ':: 5353->53/udp',
        '0.0.0.0 9200->80/tcp',
        ':: 9200->80/tcp',
        '127.0.0.1 9300->80/tcp',
      ],
      internal: [],
      range: [
        '0.0.0.0 7000->7000/tcp',
        ':: 7000->7000/tcp',
        '0.0.0.0 7001->7001/tcp',
        ':: 7001->7001/tcp',
        '0.0.0.0 7002->7002/tcp',
        ':: 7002->7002/tcp',
      ],
      web: ['0.0.0.0 8000->80/tcp', ':: 8000->80/tcp'],
    });
  });

  it('carries the versions, and no firewall backend before API 1.49', () => {
    expect(inventory.serverVersion).toBe('20.10.24');
    expect(inventory.apiVersion).toBe('1.41');
    expect(inventory).not.toHaveProperty('firewallBackend');
  });
});

describe('list shapes (GET /networks, GET /containers/json)', () => {
  const networks = [
    {
      Name: 'shop_default',
      Id: '0123456789abcdef0123',
      Driver: 'bridge',
      EnableIPv6: true,
      Internal: false,
      IPAM: {
        Config: [
          { Subnet: '172.20.0.0/16', Gateway: '172.20.0.1' },
          { Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' },
        ],
      },
      Options: {},
      Labels: { 'com.docker.compose.project': 'shop' },
    },
    {
      Name: 'lan',
      Id: 'ffff',
      Driver: 'bridge',
      IPAM: { Config: null },
      Options: { 'com.docker.network.bridge.name': 'br-lan' },
    },
    { Name: 'host', Id: 'h0', Driver: 'host', IPAM: { Config: [] } },
    { Name: 'broken' },
  ];
  const containers = [
    {
      Id: 'aaaa',
      Names: ['/shop-web-1'],
      State: 'running',
      Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
      NetworkSettings: {
        Networks: {
          shop_default: {
            NetworkID: '0123456789abcdef0123',
            IPAddress: '172.20.0.2',
            GlobalIPv6Address: 'fd00:1::2',
          },
        },
      },
    },
    {
      Id: 'bbbb',
      Names: ['/db'],
      State: 'exited',
      Labels: null,
      Ports: [],
      NetworkSettings: { Networks: {} },
    },
  ];

  it('maps networks with both families, an explicit bridge name, and skips broken entries', () => {
    const inv = inventoryFromApi(networks, containers);
    expect(inv.networks).toEqual([
      { id: 'h0', name: 'host', driver: 'host', subnets: [], gateways: [], internal: false },
      {
        id: 'ffff',
        name: 'lan',
        driver: 'bridge',
        bridge: 'br-lan',
        subnets: [],
        gateways: [],
        internal: false,
      },
      {
        id: '0123456789abcdef0123',
        name: 'shop_default',
        driver: 'bridge',
        bridge: 'br-0123456789ab',
        subnets: ['172.20.0.0/16', 'fd00:1::/64'],
        gateways: ['172.20.0.1', 'fd00:1::1'],
        internal: false,
        enableIPv6: true,
      },
    ]);
  });

  it('maps containers: compose labels, deduplicated published ports only, running from State', () => {
    const inv = inventoryFromApi(networks, containers);
    expect(inv.containers).toEqual([
      { id: 'bbbb', name: 'db', labels: {}, running: false, endpoints: [], ports: [] },
      {
        id: 'aaaa',
        name: 'shop-web-1',
        labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
        running: true,
        endpoints: [{ network: 'shop_default', ipv4: '172.20.0.2', ipv6: 'fd00:1::2' }],
        ports: [
          { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp' },
          { hostIp: '::', hostPort: 8080, containerPort: 80, proto: 'tcp' },
        ],
      },
    ]);
  });

  it('prefers the container own name over legacy link names', () => {
    expect(containerFromApi({ Id: 'x', Names: ['/app/db', '/db'], State: 'running' })?.name).toBe('db');
  });

  it('skips list ports without a public port or with an unknown protocol', () => {
    expect(
      portsFromSummary([
        { PrivatePort: 80, Type: 'tcp' },
        { IP: '', PrivatePort: 53, PublicPort: 53, Type: 'udp' },
        { PrivatePort: 1, PublicPort: 1, Type: 'quic' },
      ]),
    ).toEqual([{ hostIp: '0.0.0.0', hostPort: 53, containerPort: 53, proto: 'udp' }]);
  });
});

describe('bridge names and firewall backends', () => {
  it('names bridges only for the bridge driver', () => {
    const id = '8fd220ad70689eda6fff';
    expect(bridgeNameOf({ id, name: 'bridge', driver: 'bridge' }, null)).toBe('docker0');
    expect(bridgeNameOf({ id, name: 'mine', driver: 'bridge' }, {})).toBe('br-8fd220ad7068');
    expect(
      bridgeNameOf({ id, name: 'mine', driver: 'bridge' }, { 'com.docker.network.bridge.name': 'dw0' }),
    ).toBe('dw0');
    expect(bridgeNameOf({ id, name: 'ov', driver: 'overlay' }, {})).toBeUndefined();
  });

  it('reads FirewallBackend as object (API 1.49+) or string', () => {
    expect(mapFirewallBackend({ Driver: 'iptables', Info: [['ReloadedAt', 'x']] })).toBe('iptables');
    expect(mapFirewallBackend({ Driver: 'iptables+firewalld' })).toBe('iptables+firewalld');
    expect(mapFirewallBackend({ Driver: 'nftables' })).toBe('nftables');
    expect(mapFirewallBackend({ Driver: 'nftables+firewalld' })).toBe('nftables');
    expect(mapFirewallBackend('iptables')).toBe('iptables');
    expect(mapFirewallBackend({ Driver: 'ebpf' })).toBeUndefined();
    expect(mapFirewallBackend(undefined)).toBeUndefined();
    const inv = inventoryFromApi([], [], {
      ServerVersion: '29.0.0',
      FirewallBackend: { Driver: 'nftables' },
    });
    expect(inv).toEqual({
      serverVersion: '29.0.0',
      firewallBackend: 'nftables',
      networks: [],
      containers: [],
    });
  });
});
