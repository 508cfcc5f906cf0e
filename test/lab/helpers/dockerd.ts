import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  commandEnv,
  createRunner,
  runChecked,
  type RunOptions,
  type RunResult,
} from '../../../src/host/runner.js';
import { unmountUnder } from './cleanup.js';
import type { LabHost } from './lab.js';
import { isAlive, killAllSync, listProcs, netnsInode, withDescendants } from './procs.js';

/**
 * A real dockerd (Debian's docker.io) inside a lab host's namespace, with its own containerd,
 * data root, exec root, socket and containerd namespace, so it shares nothing with a system
 * Docker. Docker's iptables management stays on: its rules are what dockwall works around.
 */

export interface DockerdOptions {
  /** More dockerd flags; later flags override the lab's defaults (e.g. `--ip6tables=true`). */
  extraArgs?: string[];
  /** How long to wait for `/_ping` (default 60 s). */
  startTimeoutMs?: number;
  /**
   * Directories put first on dockerd's PATH. dockerd runs whichever `iptables` it finds first, so a
   * directory whose `iptables*` point at the legacy tools makes it write to the legacy tables.
   */
  pathPrefix?: string[];
  /**
   * The Docker Engine to run: Debian's docker.io (20.10, the default) or Docker 29.7.2 from
   * `docker29Engine()`, whose binaries (dockerd, containerd, runc, docker-proxy) come first on PATH.
   */
  engine?: DockerEngine;
}

/** Which dockerd the lab starts: the binaries and the firewall backend. */
export interface DockerEngine {
  /** `20.10` (Debian's) or `29.7.2`. */
  version: string;
  /** Directory put first on PATH for dockerd and its containerd; undefined: the system's. */
  binDir?: string;
  /** Docker 29's `--firewall-backend`; undefined: the daemon's default (iptables). */
  firewallBackend?: 'iptables' | 'nftables';
}

/**
 * A directory for `pathPrefix` whose `iptables`, `ip6tables` and their `-save`/`-restore` are the
 * legacy tools: a dockerd that finds them first writes its rules to the legacy tables. Made once under
 * `dir` (e.g. the lab's directory); returns its path.
 */
export function legacyIptablesDir(dir: string): string {
  const bin = join(dir, 'legacy-bin');
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  for (const tool of [
    'iptables',
    'iptables-save',
    'iptables-restore',
    'ip6tables',
    'ip6tables-save',
    'ip6tables-restore',
  ]) {
    symlinkSync(`/usr/sbin/${tool.replace(/^(ip6?tables)/, '$1-legacy')}`, join(bin, tool));
  }
  return bin;
}

/** Debian's docker.io: dockerd 20.10 with containerd 1.6 from the system PATH. */
export const DEBIAN_DOCKER: DockerEngine = { version: '20.10' };

export interface Dockerd {
  host: LabHost;
  /** Directory holding everything of this daemon (roots, sockets, logs). */
  dir: string;
  socketPath: string;
  dataRoot: string;
  execRoot: string;
  /** Milliseconds the last start took, containerd included, until `/_ping` answered. */
  startupMs: number;
  /** The running dockerd's pid. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** The docker CLI against this daemon (`docker -H unix://… ARGS`). */
  docker(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Like docker(), but throws unless it exits 0; returns stdout. */
  dockerChecked(argv: readonly string[], opts?: RunOptions): Promise<string>;
  /** Stops dockerd (SIGTERM), its containerd and shims, and unmounts what they mounted. */
  stop(): Promise<void>;
  /** SIGKILL to dockerd alone, as in a crash (containerd and containers keep running). */
  kill(): Promise<void>;
  /** Stops dockerd if it runs (gracefully) and starts it again with the same roots. */
  restart(): Promise<void>;
  /** The end of dockerd's log, for failure messages. */
  logTail(lines?: number): string;
  /** The engine this daemon runs (version, binaries, firewall backend). */
  engine: DockerEngine;
}

/** Debian's CLI matches the daemon's version; a newer one elsewhere on PATH also works. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

interface Daemon {
  child: ChildProcess;
  exited: Promise<void>;
  alive: () => boolean;
}

function spawnDaemon(argv: string[], logPath: string, env: Record<string, string>): Daemon {
  const fd = openSync(logPath, 'a');
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.unref();
  let alive = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      alive = false;
      resolve();
    });
    child.once('error', () => {
      alive = false;
      resolve();
    });
  });
  return { child, exited, alive: () => alive };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function stopDaemon(d: Daemon | undefined, graceMs: number): Promise<void> {
  if (!d || !d.alive()) return;
  d.child.kill('SIGTERM');
  await Promise.race([d.exited, sleep(graceMs)]);
  if (d.alive()) {
    d.child.kill('SIGKILL');
    await d.exited;
  }
}

/** Whether a dockerd answers `GET /_ping` on its socket within `timeoutMs`. */
export function ping(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * `GET path` on a dockerd's Engine API, parsed as JSON. Debian's docker CLI (20.10) drops fields
 * it does not know (e.g. 29's `FirewallBackend` in `/info`); the API gives them all.
 */
export function engineApi(socketPath: string, path: string, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body.trim()}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
    req.end();
  });
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startDockerd(host: LabHost, opts: DockerdOptions = {}): Promise<Dockerd> {
  const lab = host.lab;
  const engine = opts.engine ?? DEBIAN_DOCKER;
  const dir = join(lab.dir, `dockerd-${host.name}`);
  if (existsSync(dir)) throw new Error(`a dockerd was already started for lab host ${host.name}`);
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const ctdSocket = join(dir, 'containerd.sock');
  const socketPath = join(dir, 'docker.sock');
  const dockerdLog = join(dir, 'dockerd.log');
  const containerdLog = join(dir, 'containerd.log');
  const ctdNamespace = `${lab.id}-${host.name}`;
  for (const d of [dataRoot, execRoot, join(dir, 'containerd', 'root'), join(dir, 'containerd', 'state')]) {
    mkdirSync(d, { recursive: true });
  }
  const ctdConfig = join(dir, 'containerd.toml');
  writeFileSync(
    ctdConfig,
    [
      'version = 2',
      `root = "${join(dir, 'containerd', 'root')}"`,
      `state = "${join(dir, 'containerd', 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${ctdSocket}"`,
      '[ttrpc]',
      `  address = "${ctdSocket}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '',
    ].join('\n'),
  );
  // Our own config file, so a system /etc/docker/daemon.json does not leak in; the (hidden)
  // deprecated-key-path keeps dockerd 20.10 from creating /etc/docker/key.json (29 has no key
  // file and refuses the option).
  const daemonJson = join(dir, 'daemon.json');
  const config = engine.binDir ? {} : { 'deprecated-key-path': join(dir, 'key.json') };
  writeFileSync(daemonJson, `${JSON.stringify(config)}\n`);
  const daemonEnv = engine.binDir
    ? commandEnv({ PATH: `${engine.binDir}:${commandEnv().PATH ?? ''}` })
    : commandEnv();
  if (engine.firewallBackend === 'nftables') {
    // Docker 29's nftables backend does not switch forwarding on itself (its README, and moby's).
    for (const key of ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']) {
      await runChecked(host.runner, ['sysctl', '-qw', `${key}=1`]);
    }
  }
  const cliConfig = join(dir, 'cli-config');
  mkdirSync(cliConfig, { recursive: true });
  const cli = createRunner({
    timeoutMs: 120_000,
    env: { DOCKER_CONFIG: cliConfig, DOCKER_HOST: '', DOCKER_CONTEXT: '' },
  });
  // nsenter keeps the root mount namespace: `ip netns exec` would remount /sys and hide cgroups.
  const nsenter = ['nsenter', `--net=/run/netns/${host.netns}`];

  let containerd: Daemon | undefined;
  let dockerd: Daemon | undefined;

  async function startContainerd(): Promise<void> {
    containerd = spawnDaemon([...nsenter, 'containerd', '--config', ctdConfig], containerdLog, daemonEnv);
    if (containerd.child.pid) lab.trackPid(containerd.child.pid);
    const deadline = Date.now() + 30_000;
    while (!existsSync(ctdSocket)) {
      if (!containerd.alive()) throw new Error(`containerd exited during start:\n${tail(containerdLog, 20)}`);
      if (Date.now() > deadline) throw new Error(`containerd did not create ${ctdSocket} in 30 s`);
      await sleep(25);
    }
  }

  async function startDockerdProcess(): Promise<void> {
    const path = [
      ...(opts.pathPrefix ?? []),
      daemonEnv.PATH ?? process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    ].join(':');
    const argv = [
      ...nsenter,
      ...(opts.pathPrefix ? ['env', `PATH=${path}`] : []),
      'dockerd',
      '--config-file',
      daemonJson,
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '-H',
      `unix://${socketPath}`,
      '--containerd',
      ctdSocket,
      '--containerd-namespace',
      ctdNamespace,
      '--containerd-plugins-namespace',
      `${ctdNamespace}-plugins`,
      // vfs: no overlay mounts, works on any filesystem; the busybox image is 2 MB.
      '--storage-driver',
      'vfs',
      '--exec-opt',
      'native.cgroupdriver=cgroupfs',
      '--ip6tables=false',
      '--shutdown-timeout',
      '2',
      ...(engine.firewallBackend ? ['--firewall-backend', engine.firewallBackend] : []),
      ...(opts.extraArgs ?? []),
    ];
    dockerd = spawnDaemon(argv, dockerdLog, daemonEnv);
    if (dockerd.child.pid) lab.trackPid(dockerd.child.pid);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    while (!(await ping(socketPath))) {
      if (!dockerd.alive()) throw new Error(`dockerd exited during start:\n${tail(dockerdLog, 30)}`);
      if (Date.now() > deadline) {
        throw new Error(`dockerd did not answer /_ping in time:\n${tail(dockerdLog, 30)}`);
      }
      await sleep(25);
    }
  }

  async function start(): Promise<void> {
    const t0 = performance.now();
    if (!containerd?.alive()) await startContainerd();
    await startDockerdProcess();
    handle.startupMs = Math.round(performance.now() - t0);
  }

  /** Shims and container processes left once containerd is gone, and orphaned docker-proxies. */
  function leftoverPids(): number[] {
    const procs = listProcs();
    const inode = netnsInode(host.netns);
    const roots = procs
      .filter(
        (p) =>
          p.state !== 'Z' &&
          (p.cmdline.includes(dir) ||
            (inode !== undefined && p.netns === inode && /docker-proxy/.test(p.cmdline))),
      )
      .map((p) => p.pid);
    return [...withDescendants(roots, procs)].filter((p) => p !== process.pid && isAlive(p));
  }

  const handle: Dockerd = {
    host,
    dir,
    socketPath,
    dataRoot,
    execRoot,
    startupMs: 0,
    get pid() {
      return dockerd?.alive() ? dockerd.child.pid : undefined;
    },
    isRunning: () => dockerd?.alive() ?? false,
    docker: (argv, runOpts) => cli.run([DOCKER_CLI, '-H', `unix://${socketPath}`, ...argv], runOpts),
    dockerChecked: async (argv, runOpts) =>
      (await runChecked(cli, [DOCKER_CLI, '-H', `unix://${socketPath}`, ...argv], runOpts)).stdout,
    async stop() {
      await stopDaemon(dockerd, 30_000);
      await stopDaemon(containerd, 10_000);
      const left = leftoverPids();
      if (left.length > 0) killAllSync(left);
      const mounts = unmountUnder(dir);
      if (mounts.length > 0) throw new Error(`could not unmount ${mounts.join(', ')}`);
    },
    async kill() {
      if (!dockerd?.alive()) return;
      const pid = dockerd.child.pid;
      const proxies = listProcs()
        .filter((p) => p.ppid === pid && /docker-proxy/.test(p.cmdline))
        .map((p) => p.pid);
      dockerd.child.kill('SIGKILL');
      await dockerd.exited;
      // Leftover proxies would keep the published ports bound across a restart.
      killAllSync(proxies.filter((p) => isAlive(p)));
    },
    async restart() {
      await stopDaemon(dockerd, 30_000);
      await start();
    },
    logTail: (lines = 30) => tail(dockerdLog, lines),
    engine,
  };

  lab.onDestroy(() => handle.stop());
  await start();
  return handle;
}
