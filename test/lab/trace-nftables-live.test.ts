import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLab,
  DOCKWALL_BUNDLE,
  docker29Engine,
  docker29Gate,
  importBusyboxImage,
  probeTcp,
  runContainer,
  startDockerd,
  type Dockerd,
  type Lab,
  type LabHost,
  type ProbeResult,
} from './helpers/index.js';

/**
 * `dockwall trace` on a live host whose Docker 29.7.2 runs its nftables backend: it reads
 * `nft -j list ruleset` and the Engine API, and its verdicts agree with real connections.
 */

const gate = await docker29Gate();

const TARGETS: Array<[string, number]> = [
  ['192.168.122.190', 8080],
  ['192.168.122.190', 80],
  ['192.168.122.190', 22],
  ['192.0.2.2', 80],
  ['192.0.2.2', 8080],
];

describe.skipIf(gate.skip)('trace on a live Docker 29 nftables host', () => {
  let lab: Lab;
  let docker: LabHost;
  let host2: LabHost;
  let dockerd: Dockerd;

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    docker = await lab.addHost('docker', { address: '192.168.122.190/24' });
    host2 = await lab.addHost('host2', { address: '192.168.122.193/24' });
    await lab.execChecked(host2, ['ip', 'route', 'add', '192.0.2.0/24', 'via', '192.168.122.190']);
    // ICMP errors are rate-limited per peer: probed fast, refused connects would look dropped.
    await lab.execChecked(docker, ['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    // startDockerd switches forwarding on itself for the nftables backend (dockerd does not).
    dockerd = await startDockerd(docker, { engine: await docker29Engine('nftables') });
    await importBusyboxImage(dockerd);
    await dockerd.dockerChecked([
      'network',
      'create',
      '-o',
      'com.docker.network.bridge.name=bridge1',
      '--subnet',
      '192.0.2.0/24',
      'bridge1',
    ]);
    await runContainer(dockerd, { name: 'c1', network: 'bridge1', publish: ['8080:80'] });
  }, 240_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 120_000);

  const trace = async (to: string, port: number) => {
    const env = [`DOCKER_HOST=unix://${dockerd.socketPath}`, 'NO_COLOR=1'];
    const argv = [
      'trace',
      '--from',
      '192.168.122.193',
      '--to',
      `${to}:${port}/tcp`,
      '--in',
      'eth0',
      '--json',
    ];
    const r = await lab.exec(docker, ['env', ...env, process.execPath, DOCKWALL_BUNDLE, ...argv], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as {
      verdict: string;
      delivered?: string;
      backend: { backend: string; source: string };
      path: Array<{ kind: string; table?: string }>;
    };
  };

  const agrees = (t: { verdict: string; delivered?: string }, real: ProbeResult) =>
    real === 'timeout'
      ? t.verdict === 'drop'
      : real === 'refused'
        ? t.verdict === 'reject' || (t.verdict === 'accept' && t.delivered === 'local')
        : t.verdict === 'accept';

  it('reads nft -j list ruleset and the backend from the Engine API; every verdict agrees with a real connect', async () => {
    for (const [to, port] of TARGETS) {
      const t = await trace(to, port);
      const real = await probeTcp(lab, host2, to, port, 1_000);
      expect(t.backend).toMatchObject({ backend: 'nftables', source: 'engine-api' });
      expect(t.path.some((s) => s.kind === 'hook' && s.table === 'ip docker-bridges')).toBe(true);
      expect(agrees(t, real), `${to}:${port}: real ${real}, trace ${t.verdict}`).toBe(true);
    }
  }, 120_000);
});
