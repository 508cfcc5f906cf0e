import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../../src/host/runner.js';
import {
  createLab,
  importBusyboxImage,
  INDEX_HTML,
  labGate,
  labLeftovers,
  networkGateway,
  probe,
  probeFromContainer,
  probeTcp,
  probeUdp,
  runContainer,
  startDockerd,
  type Container,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

/** The root namespace's rules without counters and timestamps, to prove the lab leaves them alone. */
async function rootFirewall(): Promise<string> {
  const runner = createRunner();
  const parts: string[] = [];
  for (const cmd of ['iptables-save', 'iptables-legacy-save']) {
    const r = await runner.run([cmd]);
    parts.push(
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/, '[]'))
        .join('\n'),
    );
  }
  return parts.join('\n---\n');
}

describe.skipIf(gate.skip)('lab smoke: seed topology with a real dockerd', () => {
  let lab: Lab;
  let dockerHost: LabHost;
  let dockerd: Dockerd;
  let client: Container;
  let udp: Container;
  let rootBefore: string;

  beforeAll(async () => {
    gate.assertAvailable();
    rootBefore = await rootFirewall();
    lab = await createLab();
    dockerHost = await lab.addHost('docker', { address: '192.168.122.190/24' });
    await lab.addHost('host2', { address: '192.168.122.193/24' });
    await lab.addHost('host3', { address: '192.168.122.50/24' });
    dockerd = await startDockerd(dockerHost);
    console.log(`dockerd (with its containerd) started in ${dockerd.startupMs} ms`);
    await importBusyboxImage(dockerd);
    await runContainer(dockerd, { name: 'web', publish: ['8000:80'], extraArgs: ['--restart', 'always'] });
    client = await runContainer(dockerd, { name: 'client', cmd: ['sleep', '3600'] });
    udp = await runContainer(dockerd, { name: 'udp', publish: ['5353:53/udp', '5356:54/udp'], udpEcho: 53 });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('host2 and host3 reach the published port 192.168.122.190:8000', async () => {
    expect(await probeTcp(lab, 'host2', '192.168.122.190', 8000)).toBe('open');
    expect(await probeTcp(lab, 'host3', '192.168.122.190', 8000)).toBe('open');
    const page = await lab.execChecked('host2', ['curl', '-sS', '-m', '5', 'http://192.168.122.190:8000/']);
    expect(page.stdout).toBe(INDEX_HTML);
  });

  it('an unpublished port is refused, a host that does not answer is a timeout', async () => {
    const refused = await probe(lab, 'host2', { proto: 'tcp', addr: '192.168.122.190', port: 8001 });
    expect(refused).toMatchObject({ result: 'refused', detail: 'ECONNREFUSED' });
    expect(await probeTcp(lab, 'host3', '192.168.122.77', 8000, 800)).toBe('timeout');
  });

  it('a dropped port is a timeout (rule inside the docker host namespace)', async () => {
    await lab.execChecked(dockerHost, [
      'iptables',
      '-w',
      '-I',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '8002',
      '-j',
      'DROP',
    ]);
    expect(await probeTcp(lab, 'host2', '192.168.122.190', 8002, 800)).toBe('timeout');
    await lab.execChecked(dockerHost, [
      'iptables',
      '-w',
      '-D',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '8002',
      '-j',
      'DROP',
    ]);
    expect(await probeTcp(lab, 'host2', '192.168.122.190', 8002, 800)).toBe('refused');
  });

  it('a container reaches the published port through the docker0 gateway', async () => {
    const gateway = await networkGateway(dockerd);
    expect(client.networks.bridge?.gateway).toBe(gateway);
    expect(await probeFromContainer(dockerd, client, gateway, 8000)).toBe('open');
    expect(await probeFromContainer(dockerd, client, gateway, 8001)).toBe('refused');
  });

  it("Docker's rules are in the docker host's namespace", async () => {
    const nat = await lab.execChecked(dockerHost, ['iptables', '-w', '-t', 'nat', '-S', 'DOCKER']);
    expect(nat.stdout).toMatch(/--dport 8000 -j DNAT --to-destination 172\.17\.0\.\d+:80/);
    const none = await lab.exec('host2', ['iptables', '-w', '-t', 'nat', '-S', 'DOCKER']);
    expect(none.code).not.toBe(0);
  });

  it('classifies UDP: echo is open, port unreachable is refused, silence is a timeout', async () => {
    expect(await probeUdp(lab, 'host2', '192.168.122.190', 5353)).toBe('open');
    // Published, but nothing listens in the container: its ICMP comes back through Docker's NAT.
    expect(await probeUdp(lab, 'host3', '192.168.122.190', 5356)).toBe('refused');
    // Not published: the docker host itself answers port unreachable.
    expect(await probeUdp(lab, 'host2', '192.168.122.190', 5354)).toBe('refused');
    await lab.execChecked(dockerHost, [
      'iptables',
      '-w',
      '-I',
      'INPUT',
      '-p',
      'udp',
      '--dport',
      '5355',
      '-j',
      'DROP',
    ]);
    expect(await probeUdp(lab, 'host2', '192.168.122.190', 5355, 800)).toBe('timeout');
    expect(await probeFromContainer(dockerd, client, udp.ip, 53, { proto: 'udp' })).toBe('open');
    expect(await probeFromContainer(dockerd, client, udp.ip, 55, { proto: 'udp' })).toBe('refused');
  });

  it('survives a dockerd crash and restart', async () => {
    await dockerd.kill();
    expect(dockerd.isRunning()).toBe(false);
    expect((await dockerd.docker(['version'], { timeoutMs: 10_000 })).code).not.toBe(0);
    // Docker's rules stay in place when it dies.
    const rules = await lab.execChecked(dockerHost, ['iptables', '-w', '-t', 'nat', '-S', 'DOCKER']);
    expect(rules.stdout).toContain('--dport 8000');
    await dockerd.restart();
    console.log(`dockerd restarted in ${dockerd.startupMs} ms`);
    expect(dockerd.isRunning()).toBe(true);
    // `--restart always` brings the web container back, with its port.
    await expect
      .poll(() => probeTcp(lab, 'host2', '192.168.122.190', 8000), { timeout: 20_000 })
      .toBe('open');
  });

  it('destroy removes namespaces, processes, mounts and directories, and leaves the root firewall alone', async () => {
    const id = lab.id;
    const dockerdDir = dockerd.dir;
    await lab.destroy();
    const netns = await createRunner().run(['ip', 'netns', 'list']);
    expect(netns.stdout).not.toContain(id);
    expect(labLeftovers(id)).toEqual({ namespaces: [], processes: [], mounts: [], dirExists: false });
    const ps = await createRunner().run(['ps', '-eo', 'args']);
    expect(ps.stdout).not.toContain(dockerdDir);
    expect(await rootFirewall()).toBe(rootBefore);
  });
});
