import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandEnv, createRunner, runChecked, type RunResult } from '../../../src/host/runner.js';
import {
  createLab,
  DOCKWALL_BUNDLE,
  importBusyboxImage,
  runContainer,
  startDockerd,
  type Dockerd,
  type DockerEngine,
  type Lab,
  type LabHost,
  type NetworkAttachment,
  type RunContainerOptions,
} from '../helpers/index.js';
import { untilReady } from '../helpers/procs.js';
import { createSeedLab } from '../seed-scenario.js';

/**
 * The lab the differential test probes: the seed's docker host (192.168.122.190) with a real
 * dockerd, three outside hosts on its link (host2 .193, host3 .50, host4 .77) that route Docker's
 * subnets through it, and services whose listeners the test knows because it started them.
 */

export interface DiffContainer {
  name: string;
  pid: number;
  networks: Record<string, NetworkAttachment>;
  /** Ports a process in the container listens on. */
  tcp: number[];
  udp: number[];
}

/** A socket the test opened on the docker host itself (any address when `address` is absent). */
export interface HostListener {
  proto: 'tcp' | 'udp';
  port: number;
  address?: string;
}

export interface DiffContainerOptions extends RunContainerOptions {
  tcp?: number[];
  udp?: number[];
}

export interface DiffLab {
  lab: Lab;
  docker: LabHost;
  outside: LabHost[];
  dockerd: Dockerd;
  /** dockerd runs docker-proxy for published ports (false with --userland-proxy=false). */
  userlandProxy: boolean;
  containers: Map<string, DiffContainer>;
  hostListeners: HostListener[];
  addContainer(opts: DiffContainerOptions): Promise<DiffContainer>;
  removeContainer(name: string): Promise<void>;
  /**
   * Binds the UDP echo service (port {@link UDP_ECHO_PORT}) on every IPv4 address the docker host
   * has now, one socket per address, so each reply leaves from the address the client sent to.
   */
  bindUdpEcho(): Promise<void>;
  /** Writes a file into the lab directory and returns its path. */
  file(name: string, text: string): string;
  /** The built CLI in the docker host's namespace, talking to the lab's dockerd. */
  dockwall(args: string[]): Promise<RunResult>;
  /** Runs a command in the docker host's namespace and throws unless it exits 0. */
  onDocker(argv: string[], stdin?: string): Promise<string>;
}

export interface DiffLabOptions {
  /** Start from the seed scenario (test/lab/seed-scenario.ts): web on 8000, client, 22 and 3306 open. */
  seed?: boolean;
  dockerdArgs?: string[];
  /** The dockerd to run (default Debian's 20.10); see docker29Engine() for Docker 29.7.2. */
  engine?: () => Promise<DockerEngine>;
}

/** The docker host's UDP echo service. */
export const UDP_ECHO_PORT = 5300;

/** The outside hosts send to Docker's subnets through the docker host, as a router on the LAN. */
const DOCKER_SUBNETS = '172.16.0.0/12';

const LISTENERS = `
const net = require('node:net');
const dgram = require('node:dgram');
const specs = JSON.parse(process.argv[1]);
let pending = specs.length;
const ready = () => { if (--pending === 0) console.log('ready'); };
for (const s of specs) {
  if (s.proto === 'tcp') {
    const srv = net.createServer((c) => { c.on('error', () => {}); c.end(); });
    srv.on('error', (e) => { console.error(e.message); process.exit(1); });
    srv.listen(s.port, s.address || '0.0.0.0', ready);
  } else {
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send(m, r.port, r.address));
    u.on('error', (e) => { console.error(e.message); process.exit(1); });
    u.bind(s.port, s.address || '0.0.0.0', ready);
  }
}
`;

/** Starts TCP servers and UDP echo servers inside a namespace; resolves once all are bound. */
async function startListeners(lab: Lab, host: LabHost, specs: HostListener[]): Promise<void> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.netns,
      process.execPath,
      '-e',
      LISTENERS,
      JSON.stringify(specs),
      `${lab.id}-listen`,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: commandEnv() },
  );
  if (!child.pid) throw new Error('could not start the host listeners');
  lab.trackPid(child.pid);
  await untilReady(child, 'host listeners');
}

/**
 * ICMP errors are rate-limited per peer (1/s after a burst of 6) and by a budget for the whole
 * namespace (1000/s, burst 50): many REJECTs in a row would look like drops. Both are lifted.
 */
async function noIcmpRateLimit(argvPrefix: string[]): Promise<void> {
  await runChecked(createRunner(), [
    ...argvPrefix,
    'sysctl',
    '-qw',
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv4.icmp_msgs_per_sec=100000',
    'net.ipv4.icmp_msgs_burst=100000',
  ]);
}

export async function createDiffLab(opts: DiffLabOptions = {}): Promise<DiffLab> {
  let lab: Lab;
  let docker: LabHost;
  let dockerd: Dockerd;
  const outside: LabHost[] = [];
  const containers = new Map<string, DiffContainer>();
  const hostListeners: HostListener[] = [];
  if (opts.seed) {
    const s = await createSeedLab(opts.engine ? { engine: await opts.engine() } : {});
    ({ lab, docker, dockerd } = s);
    outside.push(s.host2, s.host3);
    // The seed's "ssh" (22) and "database" (3306): busybox httpd on every address.
    hostListeners.push({ proto: 'tcp', port: 22 }, { proto: 'tcp', port: 3306 });
  } else {
    lab = await createLab();
    docker = await lab.addHost('docker', { address: '192.168.122.190/24' });
    outside.push(await lab.addHost('host2', { address: '192.168.122.193/24' }));
    outside.push(await lab.addHost('host3', { address: '192.168.122.50/24' }));
    dockerd = await startDockerd(docker, {
      extraArgs: opts.dockerdArgs ?? [],
      ...(opts.engine ? { engine: await opts.engine() } : {}),
    });
    await importBusyboxImage(dockerd);
    const services: HostListener[] = [
      { proto: 'tcp', port: 22 },
      { proto: 'tcp', port: 3306 },
    ];
    await startListeners(lab, docker, services);
    hostListeners.push(...services);
  }
  outside.push(await lab.addHost('host4', { address: '192.168.122.77/24' }));
  for (const h of outside)
    await lab.execChecked(h, ['ip', 'route', 'add', DOCKER_SUBNETS, 'via', docker.address]);
  // A loopback-only service on the docker host; the UDP echo service is bound per scenario.
  const redis: HostListener = { proto: 'tcp', port: 6379, address: '127.0.0.1' };
  await startListeners(lab, docker, [redis]);
  hostListeners.push(redis, { proto: 'udp', port: UDP_ECHO_PORT });
  const echoBound = new Set<string>();
  await noIcmpRateLimit(['ip', 'netns', 'exec', docker.netns]);

  const inspect = async (name: string): Promise<DiffContainer> => {
    const out = await dockerd.dockerChecked(['inspect', name]);
    const [info] = JSON.parse(out) as Array<{
      State: { Pid: number };
      NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
    }>;
    if (!info) throw new Error(`no container ${name}`);
    const networks: Record<string, NetworkAttachment> = {};
    for (const [n, v] of Object.entries(info.NetworkSettings.Networks ?? {}))
      networks[n] = { ip: v.IPAddress, gateway: v.Gateway };
    return { name, pid: info.State.Pid, networks, tcp: [], udp: [] };
  };

  const d: DiffLab = {
    lab,
    docker,
    outside,
    dockerd,
    userlandProxy: !(opts.dockerdArgs ?? []).includes('--userland-proxy=false'),
    containers,
    hostListeners,
    async addContainer(o) {
      const existing = containers.get(o.name);
      if (existing) return existing;
      const running = (await dockerd.docker(['inspect', '-f', '{{.State.Running}}', o.name])).stdout.trim();
      if (running !== 'true') await runContainer(dockerd, o);
      const c = await inspect(o.name);
      c.tcp = o.tcp ?? (o.cmd ? [] : [80]);
      c.udp = o.udp ?? (o.udpEcho !== undefined ? [o.udpEcho] : []);
      await noIcmpRateLimit(['nsenter', `--net=/proc/${c.pid}/ns/net`]);
      containers.set(o.name, c);
      return c;
    },
    async removeContainer(name) {
      await dockerd.dockerChecked(['rm', '-f', name]);
      containers.delete(name);
    },
    async bindUdpEcho() {
      const out = await runChecked(docker.runner, ['ip', '-4', '-j', 'addr', 'show']);
      const addrs = (JSON.parse(out.stdout) as Array<{ addr_info?: Array<{ local: string }> }>)
        .flatMap((i) => (i.addr_info ?? []).map((a) => a.local))
        .filter((a) => !echoBound.has(a));
      if (addrs.length === 0) return;
      await startListeners(
        lab,
        docker,
        addrs.map((address) => ({ proto: 'udp', port: UDP_ECHO_PORT, address })),
      );
      addrs.forEach((a) => echoBound.add(a));
    },
    file(name, text) {
      const path = join(lab.dir, name);
      writeFileSync(path, text);
      return path;
    },
    dockwall(args) {
      const env = [`DOCKER_HOST=unix://${dockerd.socketPath}`, 'NO_COLOR=1'];
      return lab.exec(docker, ['env', ...env, process.execPath, DOCKWALL_BUNDLE, ...args], {
        timeoutMs: 120_000,
      });
    },
    async onDocker(argv, stdin) {
      return (await lab.execChecked(docker, argv, stdin === undefined ? {} : { stdin })).stdout;
    },
  };
  if (opts.seed) {
    // The seed's containers: web (httpd on 80, published on 8000) and client (sleep).
    await d.addContainer({ name: 'web', publish: ['8000:80'] });
    await d.addContainer({ name: 'client', cmd: ['sleep', '100000'] });
  }
  return d;
}
