import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_IPV6_ARGS,
  labGate,
  probeTcp,
  REPO_ROOT,
  startHostServices,
  startWebHost,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

const EXAMPLE = readFileSync(join(REPO_ROOT, 'examples/firewalling-docker.yaml'), 'utf8');

/**
 * The bundled example, unchanged, applied on a dual-stack Docker host (Docker writing ip6tables
 * rules, port 8000 published in both families, "ssh" on 22 and a database on 3306 on the host).
 * The policy says nothing about IPv6: the shared filter must cover it all the same, and IPv6 must
 * keep working (neighbour discovery is not tracked by conntrack).
 */
describe.skipIf(gate.skip)(
  'the bundled example on a dual-stack lab host: IPv6 filtered as IPv4, and still working',
  () => {
    let lab: Lab;
    let docker: LabHost;
    let host2: LabHost;
    let host3: LabHost;

    const apply = async (policyText: string, name: string) => {
      const file = join(lab.dir, name);
      writeFileSync(file, policyText);
      const r = await lab.runDockwall(
        docker,
        ['apply', '-f', file, '--yes', '--state-dir', join(lab.dir, 'state')],
        {
          timeoutMs: 120_000,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    /** Forget every neighbour, so the next packet must resolve its neighbour anew. */
    const flushNeighbours = async () => {
      for (const h of [docker, host2, host3]) await lab.execChecked(h, ['ip', '-6', 'neigh', 'flush', 'all']);
    };
    const ping6 = async (from: LabHost, to: string) =>
      (await lab.exec(from, ['busybox', 'ping6', '-c', '1', '-W', '3', to], { timeoutMs: 10_000 })).code;
    const outcomes = async () => {
      const [v4h2web, v4h3web, v4ssh, v4db, v6h2web, v6h3web, v6ssh, v6db] = await Promise.all([
        probeTcp(lab, host2, '192.168.122.190', 8000),
        probeTcp(lab, host3, '192.168.122.190', 8000),
        probeTcp(lab, host3, '192.168.122.190', 22),
        probeTcp(lab, host3, '192.168.122.190', 3306),
        probeTcp(lab, host2, 'fd77::190', 8000),
        probeTcp(lab, host3, 'fd77::190', 8000),
        probeTcp(lab, host3, 'fd77::190', 22),
        probeTcp(lab, host3, 'fd77::190', 3306),
      ]);
      return { v4h2web, v4h3web, v4ssh, v4db, v6h2web, v6h3web, v6ssh, v6db };
    };

    beforeAll(async () => {
      gate.assertAvailable();
      ({ lab, docker, host2, host3 } = await startWebHost({
        ipv6: true,
        dockerd: { extraArgs: DOCKER_IPV6_ARGS },
      }));
      await startHostServices(lab, docker, [22, 3306]);
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    it('before: every port is open to every host, over IPv4 and IPv6', async () => {
      expect(await outcomes()).toEqual({
        v4h2web: 'open',
        v4h3web: 'open',
        v4ssh: 'open',
        v4db: 'open',
        v6h2web: 'open',
        v6h3web: 'open',
        v6ssh: 'open',
        v6db: 'open',
      });
    });

    it('after apply, IPv6 refuses what IPv4 refuses (web only from allowed_hosts, whose members are IPv4; no database), ssh stays open', async () => {
      await apply(EXAMPLE, 'example.yaml');
      await flushNeighbours();
      expect(await outcomes()).toEqual({
        v4h2web: 'open',
        v4h3web: 'refused',
        v4ssh: 'open',
        v4db: 'refused',
        v6h2web: 'refused',
        v6h3web: 'refused',
        v6ssh: 'open',
        v6db: 'refused',
      });
      expect((await lab.execChecked(docker, ['ip6tables', '-S', 'DOCKWALL-FILTER'])).stdout).toContain(
        'dockwall:filter/ipv6-neighbour-discovery',
      );
    });

    it('neighbour discovery and ping6 between lab hosts work with the filter in place', async () => {
      await flushNeighbours();
      // The docker host resolves host 2 (host 2's advertisement must come in) and gets its echo reply.
      expect(await ping6(docker, 'fd77::193')).toBe(0);
      const neigh = (await lab.execChecked(docker, ['ip', '-6', 'neigh', 'show', 'fd77::193'])).stdout;
      expect(neigh).toMatch(/lladdr [0-9a-f:]+ .*(REACHABLE|STALE|DELAY)/);
      // Host 3 resolves the docker host (its solicitation must come in) and reaches ssh.
      await flushNeighbours();
      expect(await probeTcp(lab, host3, 'fd77::190', 22)).toBe('open');
      // An echo request to the docker host is refused alike in both families (the example allows no ICMP).
      const ping4 = await lab.exec(host2, ['busybox', 'ping', '-c', '1', '-W', '2', '192.168.122.190']);
      expect(await ping6(host2, 'fd77::190')).toBe(ping4.code === 0 ? 0 : 1);
    });

    it('with ipv6_essentials: false, neighbour discovery to the docker host breaks (what the default keeps working)', async () => {
      await apply(
        EXAMPLE.replace('  otherwise: reject\n', '  otherwise: reject\n  ipv6_essentials: false\n'),
        'bare.yaml',
      );
      expect((await lab.execChecked(docker, ['ip6tables', '-S', 'DOCKWALL-FILTER'])).stdout).not.toContain(
        'ipv6-neighbour-discovery',
      );
      await flushNeighbours();
      expect(await probeTcp(lab, host3, 'fd77::190', 22)).not.toBe('open');
      expect(await ping6(docker, 'fd77::193')).not.toBe(0);
      // Back to the example: it works again.
      await apply(EXAMPLE, 'example.yaml');
      await flushNeighbours();
      expect(await probeTcp(lab, host3, 'fd77::190', 22)).toBe('open');
    });
  },
);
