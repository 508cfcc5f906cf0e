import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandEnv, runChecked } from '../../../src/host/runner.js';
import type { Dockerd } from './dockerd.js';
import { untilReady } from './procs.js';
import { busyboxPath } from './requirements.js';

/** Images without a registry, containers, and a UDP echo service inside a container's network. */

export const BUSYBOX_IMAGE = 'bb:latest';
export const INDEX_HTML = 'dockwall lab\n';
export const HTTPD_CMD = ['httpd', '-f', '-p', '80', '-h', '/www'];

const tarballs = new Map<string, Promise<void>>();

async function makeBusyboxTarball(lab: Dockerd['host']['lab'], tarball: string): Promise<void> {
  const rootfs = join(lab.dir, 'busybox-rootfs');
  const busybox = busyboxPath();
  if (!busybox) throw new Error('busybox not found (Debian: apt-get install busybox-static)');
  for (const d of ['bin', 'www', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev'])
    mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  const list = await runChecked(lab.root, [busybox, '--list']);
  for (const applet of list.stdout.split('\n').map((l) => l.trim())) {
    if (!/^[\w.[\]-]+$/.test(applet) || applet === 'busybox') continue;
    const link = join(rootfs, 'bin', applet);
    if (!existsSync(link)) symlinkSync('busybox', link);
  }
  writeFileSync(join(rootfs, 'www', 'index.html'), INDEX_HTML);
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  await runChecked(lab.root, ['tar', '-C', rootfs, '-cf', tarball, '.']);
}

/**
 * Builds `bb:latest` from the host's static busybox: /bin/busybox, a link per applet (sh, httpd,
 * nc, wget, …), /www/index.html. `tar … | docker import`, no registry involved.
 */
export async function importBusyboxImage(dockerd: Dockerd, tag = BUSYBOX_IMAGE): Promise<string> {
  const lab = dockerd.host.lab;
  const tarball = join(lab.dir, 'busybox-rootfs.tar');
  // Several dockerds of one lab import it at once (Promise.all): the file is made once.
  let made = tarballs.get(tarball);
  if (!made) {
    made = existsSync(tarball) ? Promise.resolve() : makeBusyboxTarball(lab, tarball);
    tarballs.set(tarball, made);
  }
  await made;
  await dockerd.dockerChecked(['import', tarball, tag]);
  return tag;
}

export interface RunContainerOptions {
  name: string;
  /** `docker run -p` values: `8000:80`, `127.0.0.1:9300:80`, `5353:53/udp`. */
  publish?: string[];
  network?: string;
  labels?: Record<string, string>;
  image?: string;
  /** Default: busybox httpd serving /www on port 80. */
  cmd?: string[];
  /** Run tini as PID 1 so the container stops promptly on SIGTERM (default true). */
  init?: boolean;
  /** Also answer UDP on this container port: every datagram is sent back to its sender. */
  udpEcho?: number;
  extraArgs?: string[];
}

export interface NetworkAttachment {
  ip: string;
  gateway: string;
}

export interface Container {
  name: string;
  id: string;
  /** PID of the container's first process, in the host's PID namespace. */
  pid: number;
  /** Address and gateway per Docker network name. */
  networks: Record<string, NetworkAttachment>;
  /** The address on the first network. */
  ip: string;
}

export async function runContainer(dockerd: Dockerd, opts: RunContainerOptions): Promise<Container> {
  const argv = ['run', '-d', '--name', opts.name];
  if (opts.init ?? true) argv.push('--init');
  for (const p of opts.publish ?? []) argv.push('-p', p);
  if (opts.network) argv.push('--network', opts.network);
  for (const [k, v] of Object.entries(opts.labels ?? {})) argv.push('--label', `${k}=${v}`);
  argv.push(...(opts.extraArgs ?? []), opts.image ?? BUSYBOX_IMAGE, ...(opts.cmd ?? HTTPD_CMD));
  await dockerd.dockerChecked(argv);
  const container = await inspectContainer(dockerd, opts.name);
  if (opts.udpEcho !== undefined) await startUdpEcho(dockerd, container, opts.udpEcho);
  return container;
}

export async function inspectContainer(dockerd: Dockerd, name: string): Promise<Container> {
  const out = await dockerd.dockerChecked(['inspect', name]);
  const [info] = JSON.parse(out) as Array<{
    Id: string;
    State: { Pid: number };
    NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
  }>;
  if (!info) throw new Error(`docker inspect ${name}: no such container`);
  const networks: Record<string, NetworkAttachment> = {};
  for (const [net, n] of Object.entries(info.NetworkSettings.Networks ?? {})) {
    networks[net] = { ip: n.IPAddress, gateway: n.Gateway };
  }
  return {
    name,
    id: info.Id,
    pid: info.State.Pid,
    networks,
    ip: Object.values(networks)[0]?.ip ?? '',
  };
}

/**
 * The gateway (bridge) address of a Docker network. `docker network inspect` names it for user
 * networks; for the default bridge Docker 20.10 leaves IPAM.Config.Gateway out, so the address is
 * read from the bridge interface inside the docker host's namespace.
 */
export async function networkGateway(dockerd: Dockerd, network = 'bridge'): Promise<string> {
  const out = await dockerd.dockerChecked(['network', 'inspect', network]);
  const [info] = JSON.parse(out) as Array<{
    Id: string;
    IPAM: { Config: Array<{ Gateway?: string; Subnet?: string }> | null };
    Options?: Record<string, string> | null;
  }>;
  if (!info) throw new Error(`docker network ${network} not found`);
  const gw = (info.IPAM.Config ?? []).find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  if (gw) return gw;
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
  const r = await runChecked(dockerd.host.runner, ['ip', '-4', '-o', 'addr', 'show', 'dev', bridge]);
  const addr = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout)?.[1];
  if (!addr) throw new Error(`docker network ${network}: bridge ${bridge} has no IPv4 address`);
  return addr;
}

const UDP_ECHO = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const port = Number(process.argv[1]);
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.on('error', (e) => { console.error(e.message); process.exit(1); });
s.bind(port, () => console.log('ready'));
`;

/**
 * Starts a UDP echo server inside the container's network namespace. Debian's busybox nc has no
 * UDP mode, so the server is the lab's node, entered into the namespace with nsenter: the same
 * network stack, addresses and Docker rules as a process in the container. It lives as long as
 * the container's namespace (a container restarted by Docker needs a new one).
 */
export async function startUdpEcho(dockerd: Dockerd, container: Container, port: number): Promise<number> {
  const lab = dockerd.host.lab;
  const argv = [
    `--net=/proc/${container.pid}/ns/net`,
    process.execPath,
    '-e',
    UDP_ECHO,
    String(port),
    `${lab.id}-udpecho`,
  ];
  const child = spawn('nsenter', argv, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: commandEnv(),
  });
  if (!child.pid) throw new Error('could not start the UDP echo server (nsenter)');
  lab.trackPid(child.pid);
  const pid = child.pid;
  await untilReady(child, 'UDP echo server');
  return pid;
}
