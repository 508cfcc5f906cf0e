import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLab,
  docker29Engine,
  docker29Gate,
  DOCKER29_VERSION,
  engineApi,
  importBusyboxImage,
  probeTcp,
  runContainer,
  startDockerd,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await docker29Gate();

describe.skipIf(gate.skip).each(['iptables', 'nftables'] as const)(
  `lab: Docker ${DOCKER29_VERSION} with the %s firewall backend`,
  (backend) => {
    let lab: Lab;
    let docker: LabHost;
    let dockerd: Dockerd;

    beforeAll(async () => {
      gate.assertAvailable();
      lab = await createLab();
      docker = await lab.addHost('docker', { address: '192.168.122.190/24' });
      await lab.addHost('host2', { address: '192.168.122.193/24' });
      dockerd = await startDockerd(docker, { engine: await docker29Engine(backend) });
      console.log(`Docker ${DOCKER29_VERSION} (${backend}) started in ${dockerd.startupMs} ms`);
      await importBusyboxImage(dockerd);
      await runContainer(dockerd, { name: 'web', publish: ['8000:80'], extraArgs: ['--restart', 'always'] });
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    it('runs the engine asked for, with that backend, and the published port answers another host', async () => {
      const info = (await engineApi(dockerd.socketPath, '/info')) as {
        ServerVersion: string;
        FirewallBackend?: { Driver?: string };
      };
      expect(info.ServerVersion).toBe(DOCKER29_VERSION);
      expect(info.FirewallBackend?.Driver).toBe(backend);
      expect(await probeTcp(lab, 'host2', docker.address, 8000)).toBe('open');
      expect(await probeTcp(lab, 'host2', docker.address, 8001)).toBe('refused');
    });

    it("keeps its rules where the backend says: nftables' docker-bridges tables or iptables' DOCKER-USER", async () => {
      const tables = (await lab.execChecked(docker, ['nft', 'list', 'tables'])).stdout;
      const userChain = await lab.exec(docker, ['iptables', '-w', '-S', 'DOCKER-USER']);
      if (backend === 'nftables') {
        expect(tables).toMatch(/^table ip docker-bridges$/m);
        expect(userChain.code).not.toBe(0);
      } else {
        expect(tables).not.toMatch(/docker-bridges/);
        expect(userChain.code).toBe(0);
      }
    });

    it('comes back after a restart with the container and its port', async () => {
      await dockerd.restart();
      for (let i = 0; i < 50 && (await probeTcp(lab, 'host2', docker.address, 8000, 500)) !== 'open'; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await probeTcp(lab, 'host2', docker.address, 8000)).toBe('open');
    });
  },
);
