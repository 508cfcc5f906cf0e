import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRunner,
  runChecked,
  type RunOptions,
  type RunResult,
  type Runner,
} from '../../../src/host/runner.js';
import {
  claimLab,
  cleanupLabSync,
  cleanupStaleLabs,
  labDir,
  newLabId,
  registerLiveLab,
  unregisterLiveLab,
  type Leftovers,
} from './cleanup.js';

/**
 * A lab: real hosts as network namespaces, each with one interface (`eth0` by default) plugged into
 * a bridge. The bridge lives in a namespace of its own (the "switch"), so nothing is added to the
 * root namespace; the root namespace's firewall is never touched.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DOCKWALL_BUNDLE = join(REPO_ROOT, 'dist', 'dockwall.cjs');
/** bin/dockwall.js as the build copies it beside the bundle: the bundle with a V8 code cache, as installed. */
export const DOCKWALL_LAUNCHER = join(REPO_ROOT, 'dist', 'dockwall-launch.cjs');

export interface HostOptions {
  /** Address with prefix length, e.g. `192.168.122.190/24`. */
  address: string;
  /** More addresses on the same interface (IPv4 or IPv6, with prefix length). */
  extraAddresses?: string[];
  /** Default gateway. */
  gateway?: string;
  /** Interface name inside the host (default `eth0`). */
  iface?: string;
}

export interface LabHost {
  /** The name given to addHost (`docker`, `host2`). */
  name: string;
  /** The network namespace, `<lab id>-<name>`. */
  netns: string;
  iface: string;
  /** The first address without prefix length. */
  address: string;
  /** The first address with prefix length. */
  cidr: string;
  /** Runs commands inside the host's namespace (`ip netns exec`). */
  runner: Runner;
  lab: Lab;
}

export interface Lab {
  /** `dwl` + 4 characters; every name the lab creates starts with it. */
  readonly id: string;
  /** The lab's own temporary directory. */
  readonly dir: string;
  readonly switchNetns: string;
  /** Runs commands in the root namespace (ip, docker CLI, tar); never used for the firewall. */
  readonly root: Runner;
  readonly hosts: ReadonlyMap<string, LabHost>;
  addHost(name: string, opts: HostOptions): Promise<LabHost>;
  host(name: string): LabHost;
  exec(host: LabHost | string, argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Like exec, but throws HostCommandError unless the command exits with status 0. */
  execChecked(host: LabHost | string, argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** `node <repo>/dist/dockwall-launch.cjs ARGS…` (the bundle, with a code cache) inside the host's namespace. */
  runDockwall(host: LabHost | string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Remembers a process the lab started, to end it on destroy. */
  trackPid(pid: number): void;
  /** Runs before the namespaces go (e.g. stopping a dockerd gracefully). */
  onDestroy(fn: () => Promise<void>): void;
  /** Removes everything the lab created; throws if something could not be removed. */
  destroy(): Promise<void>;
}

const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;

export async function createLab(): Promise<Lab> {
  cleanupStaleLabs();
  const id = newLabId();
  claimLab(id);
  const pids = registerLiveLab(id);
  const root = createRunner({ timeoutMs: 60_000 });
  const switchNetns = `${id}-sw`;
  const hosts = new Map<string, LabHost>();
  const destroyHooks: Array<() => Promise<void>> = [];
  let destroyed = false;
  let veths = 0;

  const ip = (args: string[], opts?: RunOptions) => runChecked(root, ['ip', ...args], opts);

  const lab: Lab = {
    id,
    dir: labDir(id),
    switchNetns,
    root,
    hosts,

    async addHost(name, opts) {
      if (destroyed) throw new Error('lab already destroyed');
      if (!HOST_NAME.test(name)) throw new Error(`lab host name must match ${HOST_NAME}: ${name}`);
      if (hosts.has(name) || name === 'sw') throw new Error(`lab host ${name} exists already`);
      const netns = `${id}-${name}`;
      const iface = opts.iface ?? 'eth0';
      const peer = `v${++veths}`;
      await ip(['netns', 'add', netns]);
      await ip([
        '-n',
        switchNetns,
        'link',
        'add',
        peer,
        'type',
        'veth',
        'peer',
        'name',
        iface,
        'netns',
        netns,
      ]);
      await ip(['-n', switchNetns, 'link', 'set', peer, 'master', 'br0', 'up']);
      const batch = ['link set lo up'];
      for (const a of [opts.address, ...(opts.extraAddresses ?? [])]) {
        batch.push(`addr add ${a} dev ${iface}${a.includes(':') ? ' nodad' : ''}`);
      }
      batch.push(`link set ${iface} up`);
      if (opts.gateway) batch.push(`route add default via ${opts.gateway}`);
      await ip(['-n', netns, '-batch', '-'], { stdin: `${batch.join('\n')}\n` });
      const host: LabHost = {
        name,
        netns,
        iface,
        address: opts.address.split('/')[0] ?? opts.address,
        cidr: opts.address,
        runner: createRunner({ wrap: ['ip', 'netns', 'exec', netns], timeoutMs: 60_000 }),
        lab,
      };
      hosts.set(name, host);
      return host;
    },

    host(name) {
      const h = hosts.get(name);
      if (!h) throw new Error(`no lab host named ${name}`);
      return h;
    },

    exec(host, argv, opts) {
      return resolveHost(host).runner.run(argv, opts);
    },

    execChecked(host, argv, opts) {
      return runChecked(resolveHost(host).runner, argv, opts);
    },

    runDockwall(host, args, opts) {
      for (const built of [DOCKWALL_BUNDLE, DOCKWALL_LAUNCHER])
        if (!existsSync(built))
          throw new Error(`${built} is missing: run \`npm run build\` before the lab tests that use it`);
      return lab.exec(host, [process.execPath, DOCKWALL_LAUNCHER, ...args], opts);
    },

    trackPid(pid) {
      pids.add(pid);
    },

    onDestroy(fn) {
      destroyHooks.push(fn);
    },

    async destroy() {
      if (destroyed) return;
      destroyed = true;
      const errors: string[] = [];
      for (const hook of destroyHooks.reverse()) {
        try {
          await hook();
        } catch (e) {
          errors.push(e instanceof Error ? e.message : String(e));
        }
      }
      const left = cleanupLabSync(id, [...pids]);
      unregisterLiveLab(id);
      const problems = describeLeftovers(left);
      if (problems) errors.push(problems);
      if (errors.length > 0) throw new Error(`lab ${id} cleanup: ${errors.join('; ')}`);
    },
  };

  function resolveHost(host: LabHost | string): LabHost {
    return typeof host === 'string' ? lab.host(host) : host;
  }

  try {
    await ip(['netns', 'add', switchNetns]);
    await ip(['-n', switchNetns, '-batch', '-'], {
      stdin: 'link set lo up\nlink add br0 type bridge\nlink set br0 up\n',
    });
    // A switch forwards frames; it does not run them through its (empty) iptables.
    await root.run([
      'ip',
      'netns',
      'exec',
      switchNetns,
      'sysctl',
      '-qw',
      'net.bridge.bridge-nf-call-iptables=0',
    ]);
  } catch (e) {
    await lab.destroy().catch(() => undefined);
    throw e;
  }
  return lab;
}

export function describeLeftovers(left: Leftovers): string {
  const parts: string[] = [];
  if (left.namespaces.length > 0) parts.push(`namespaces ${left.namespaces.join(', ')}`);
  if (left.processes.length > 0) parts.push(`processes ${left.processes.join(', ')}`);
  if (left.mounts.length > 0) parts.push(`mounts ${left.mounts.join(', ')}`);
  if (left.dirExists) parts.push('its directory');
  return parts.length > 0 ? `left behind ${parts.join('; ')}` : '';
}
