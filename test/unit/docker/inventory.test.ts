import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngineClient, readInventory } from '../../../src/docker/index.js';
import { FakeEngine, tempDir } from './fake-engine.js';

describe('readInventory', () => {
  let t: ReturnType<typeof tempDir>;
  let engine: FakeEngine;
  beforeAll(() => (t = tempDir()));
  afterAll(async () => {
    await engine.close();
    t.cleanup();
  });

  it('reads networks, all containers, info and version from the daemon', async () => {
    engine = new FakeEngine({
      apiVersion: '1.51',
      routes: {
        '/networks': {
          json: [
            {
              Name: 'bridge',
              Id: 'f'.repeat(64),
              Driver: 'bridge',
              IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] },
              Options: { 'com.docker.network.bridge.default_bridge': 'true' },
            },
          ],
        },
        '/containers/json': {
          json: [
            {
              Id: 'c'.repeat(64),
              Names: ['/web'],
              State: 'running',
              Labels: {},
              Ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8000, Type: 'tcp' }],
              NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
            },
          ],
        },
        '/info': {
          json: { ServerVersion: '28.5.2', FirewallBackend: { Driver: 'iptables+firewalld', Info: [] } },
        },
        '/version': { json: { Version: '28.5.2', ApiVersion: '1.51' } },
      },
    });
    const socket = join(t.dir, 'inv.sock');
    await engine.listen(socket);
    const inventory = await readInventory(new DockerEngineClient({ host: `unix://${socket}` }, {}));
    expect(inventory).toEqual({
      serverVersion: '28.5.2',
      apiVersion: '1.51',
      firewallBackend: 'iptables+firewalld',
      networks: [
        {
          id: 'f'.repeat(64),
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
          id: 'c'.repeat(64),
          name: 'web',
          labels: {},
          running: true,
          endpoints: [{ network: 'bridge', ipv4: '172.17.0.2' }],
          ports: [{ hostIp: '127.0.0.1', hostPort: 8000, containerPort: 80, proto: 'tcp' }],
        },
      ],
    });
    const containerCall = engine.requests.find((r) => r.path === '/containers/json')!;
    expect(containerCall.version).toBe('1.51');
    expect(containerCall.query.get('all')).toBe('1');
    expect(engine.requests.filter((r) => r.path === '/_ping')).toHaveLength(1);
  });
});
