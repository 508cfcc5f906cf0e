import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner, runChecked } from '../../src/host/runner.js';
import {
  DOCKER_CLI,
  createLab,
  findBinary,
  importBusyboxImage,
  labGate,
  legacyIptablesDir,
  probeTcp,
  REPO_ROOT,
  unavailable,
  type Dockerd,
  type Lab,
  type LabHost,
  startDockerd,
} from './helpers/index.js';
import { buildDockwallImage, imageStorageDriver } from './dockwall-image.js';
import { pollUntil } from './watch-process.js';

const gate = findBinary('debootstrap')
  ? await labGate()
  : unavailable('swarm lab tests', 'debootstrap not found (Debian: apt-get install debootstrap)');

const IMAGE = 'dockwall:lab';
const STACK = 'dw';
const SERVICE = `${STACK}_dockwall`;
const NODES = { n1: '10.88.17.11', n2: '10.88.17.12', n3: '10.88.17.13' } as const;
const CLIENTS = { c1: '10.88.17.21', c2: '10.88.17.22' } as const;

/** One policy for every node; `web` names the one client that may reach published port 8000. */
function policy(web: string): string {
  return `dockwall: 1
ipsets:
  swarm_nodes:
    type: hash:ip
    members: [${Object.values(NODES).join(', ')}]
  web_clients:
    type: hash:ip
    members: [${web}]
filter:
  interfaces: [eth0]
  families: [ipv4]
  otherwise: reject
  allow:
    - name: swarm_tcp
      ports: [2377, 7946]
      sets: [swarm_nodes]
    - name: swarm_udp
      proto: udp
      ports: [7946, 4789]
      sets: [swarm_nodes]
    - name: web
      ports: [8000]
      sets: [web_clients]
`;
}

/**
 * Issue 17, item 2: deploy/image and deploy/swarm/stack.yaml on a real swarm of three lab dockerds
 * (Debian's 20.10), the image built in the lab on a debootstrapped Debian base. n1 is the manager;
 * n3's dockerd writes the legacy iptables tables (the others nf_tables), so the image's entry point
 * must choose per node. The test's web server is a global service publishing port 8000 in host mode
 * (no ingress routing mesh: each node's port is its own). Clients c1 and c2 probe each node's port.
 *
 * The lab's nodes share one file system, so one socket path cannot name each node's dockerd: the
 * stack's DOCKWALL_DOCKER_SOCKET is a Swarm template, `…/{{.Node.ID}}.sock`, and a link per node ID
 * points at that node's socket.
 */
describe.skipIf(gate.skip)('dockwall as a Swarm global service (deploy/swarm/stack.yaml)', () => {
  let lab: Lab;
  const hosts: Record<string, LabHost> = {};
  const daemons: Record<string, Dockerd> = {};
  let manager: Dockerd;

  const reach = async (client: keyof typeof CLIENTS, node: keyof typeof NODES) =>
    probeTcp(lab, hosts[client]!, NODES[node], 8000);
  /** What each client gets from port 8000 on each node, e.g. `c1 n1 open`. */
  const outcomes = async (nodes: Array<keyof typeof NODES> = ['n1', 'n2', 'n3']) => {
    const lines: string[] = [];
    for (const n of nodes)
      for (const c of ['c1', 'c2'] as const) lines.push(`${c} ${n} ${await reach(c, n)}`);
    return lines;
  };
  const expected = (open: 'c1' | 'c2', nodes: Array<keyof typeof NODES> = ['n1', 'n2', 'n3']) =>
    nodes.flatMap((n) => [
      `c1 ${n} ${open === 'c1' ? 'open' : 'refused'}`,
      `c2 ${n} ${open === 'c2' ? 'open' : 'refused'}`,
    ]);
  const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);

  /** The running dockwall task's container on a node. */
  const taskContainer = async (node: keyof typeof NODES) =>
    (
      await daemons[node]!.dockerChecked([
        'ps',
        '-q',
        '--filter',
        `label=com.docker.swarm.service.name=${SERVICE}`,
      ])
    ).trim();
  const taskLog = async (node: keyof typeof NODES) => {
    const id = await taskContainer(node);
    if (!id) return '(no task running)';
    const r = await daemons[node]!.docker(['logs', id]);
    return `${r.stdout}${r.stderr}`;
  };
  const logs = async () => {
    const parts: string[] = [];
    for (const n of Object.keys(NODES) as Array<keyof typeof NODES>)
      parts.push(`--- ${n}\n${await taskLog(n)}`);
    return parts.join('\n');
  };
  /** The stack CLI as docs/deploy.md runs it, against the manager. */
  const stackCli = (env: Record<string, string>) =>
    createRunner({
      timeoutMs: 120_000,
      env: {
        DOCKER_HOST: `unix://${manager.socketPath}`,
        DOCKER_CONFIG: join(manager.dir, 'cli-config'),
        ...env,
      },
    });

  /** Replaces the service's policy config as docs/deploy.md says: --config-rm the old, --config-add the new. */
  const swapPolicy = (from: string, to: string) =>
    manager.dockerChecked(
      [
        'service',
        'update',
        '--detach',
        '--quiet',
        '--config-rm',
        from,
        '--config-add',
        `source=${to},target=/etc/dockwall/policy.yaml,mode=0444`,
        SERVICE,
      ],
      { timeoutMs: 120_000 },
    );

  /** The names of the configs the service's spec holds now. */
  const serviceConfigs = async () =>
    (
      JSON.parse(
        await manager.dockerChecked([
          'service',
          'inspect',
          '-f',
          '{{json .Spec.TaskTemplate.ContainerSpec.Configs}}',
          SERVICE,
        ]),
      ) as Array<{ ConfigName: string }>
    ).map((c) => c.ConfigName);

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    for (const [name, address] of [...Object.entries(NODES), ...Object.entries(CLIENTS)]) {
      hosts[name] = await lab.addHost(name, { address: `${address}/24` });
    }
    // n3's dockerd finds the legacy tools under the plain names first.
    const legacyBin = legacyIptablesDir(lab.dir);
    const extraArgs = ['--storage-driver', imageStorageDriver()];
    daemons.n1 = await startDockerd(hosts.n1!, { extraArgs });
    daemons.n2 = await startDockerd(hosts.n2!, { extraArgs });
    daemons.n3 = await startDockerd(hosts.n3!, { extraArgs, pathPrefix: [legacyBin] });
    manager = daemons.n1;

    // Built once on the manager, then carried to the others as `docker save` does it: no registry.
    await buildDockwallImage(manager, IMAGE);
    const saved = join(lab.dir, 'dockwall-image.tar');
    await manager.dockerChecked(['save', '-o', saved, IMAGE], { timeoutMs: 300_000 });
    for (const d of [daemons.n2, daemons.n3])
      await d.dockerChecked(['load', '-q', '-i', saved], { timeoutMs: 300_000 });
    for (const d of Object.values(daemons)) await importBusyboxImage(d);

    await manager.dockerChecked(['swarm', 'init', '--advertise-addr', NODES.n1]);
    const token = (await manager.dockerChecked(['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const n of ['n2', 'n3'] as const) {
      await daemons[n]!.dockerChecked([
        'swarm',
        'join',
        '--advertise-addr',
        NODES[n],
        '--token',
        token,
        `${NODES.n1}:2377`,
      ]);
    }
    const sockets = join(lab.dir, 'node-sockets');
    mkdirSync(sockets);
    for (const d of Object.values(daemons)) {
      const id = (await d.dockerChecked(['info', '-f', '{{.Swarm.NodeID}}'])).trim();
      symlinkSync(d.socketPath, join(sockets, `${id}.sock`));
    }
    // The web server on every node, its port published on the node itself.
    await manager.dockerChecked([
      'service',
      'create',
      '--detach',
      '--quiet',
      '--name',
      'web',
      '--mode',
      'global',
      '--init',
      '--no-resolve-image',
      '--publish',
      'mode=host,published=8000,target=80',
      'bb:latest',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    await pollUntil(
      'web on every node',
      async () =>
        same(await outcomes(), [
          'c1 n1 open',
          'c2 n1 open',
          'c1 n2 open',
          'c2 n2 open',
          'c1 n3 open',
          'c2 n3 open',
        ]),
      { timeoutMs: 60_000, everyMs: 500 },
    );
  }, 600_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 240_000);

  it('the image picks the iptables variant of the host it runs on, with only NET_ADMIN and NET_RAW', async () => {
    const run = (d: Dockerd, options: string[] = []) =>
      d.docker([
        'run',
        '--rm',
        ...options,
        '--network',
        'host',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'NET_ADMIN',
        '--cap-add',
        'NET_RAW',
        IMAGE,
        '--version',
      ]);
    const onNft = await run(daemons.n1!);
    expect(onNft.code, onNft.stderr).toBe(0);
    expect(onNft.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(onNft.stderr).toMatch(
      /iptables variant nft \(rules: legacy \d+, nft [1-9]\d*\) by update-alternatives; iptables v[\d.]+ \(nf_tables\)/,
    );
    const onLegacy = await run(daemons.n3!);
    expect(onLegacy.code, onLegacy.stderr).toBe(0);
    expect(onLegacy.stderr).toMatch(
      /iptables variant legacy \(rules: legacy [1-9]\d*, nft \d+\) by update-alternatives; iptables v[\d.]+ \(legacy\)/,
    );
    // A read-only root file system (the DaemonSet's): no update-alternatives, links first on PATH instead.
    const readOnly = await run(daemons.n3!, ['--read-only', '--tmpfs', '/tmp']);
    expect(readOnly.code, readOnly.stderr).toBe(0);
    expect(readOnly.stderr).toMatch(
      /iptables variant legacy .* links in \/tmp\/dockwall-iptables; iptables v[\d.]+ \(legacy\)/,
    );
  });

  it('stack deploy: one task per node, in the host network with only NET_ADMIN and NET_RAW; every node filters port 8000 as the policy says', async () => {
    const policyFile = join(lab.dir, 'policy-v1.yaml');
    writeFileSync(policyFile, policy(CLIENTS.c1));
    await runChecked(
      stackCli({
        DOCKWALL_IMAGE: IMAGE,
        DOCKWALL_POLICY: policyFile,
        DOCKWALL_DOCKER_SOCKET: join(lab.dir, 'node-sockets', '{{.Node.ID}}.sock'),
      }),
      [
        DOCKER_CLI,
        'stack',
        'deploy',
        '--resolve-image',
        'never',
        '-c',
        join(REPO_ROOT, 'deploy/swarm/stack.yaml'),
        STACK,
      ],
    );
    await pollUntil('the policy on every node', async () => same(await outcomes(), expected('c1')), {
      timeoutMs: 90_000,
      everyMs: 1_000,
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await outcomes()).join(', ')}\n${await logs()}`);
    });
    for (const n of Object.keys(NODES) as Array<keyof typeof NODES>) {
      const id = await taskContainer(n);
      expect(id, n).not.toBe('');
      const hostConfig = JSON.parse(
        await daemons[n]!.dockerChecked(['inspect', '-f', '{{json .HostConfig}}', id]),
      ) as { NetworkMode: string; CapAdd: string[] | null; CapDrop: string[] | null; Privileged: boolean };
      expect({ ...hostConfig, CapAdd: [...(hostConfig.CapAdd ?? [])].sort() }).toMatchObject({
        NetworkMode: 'host',
        CapAdd: ['CAP_NET_ADMIN', 'CAP_NET_RAW'],
        CapDrop: ['ALL'],
        Privileged: false,
      });
      const log = await taskLog(n);
      expect(log).toContain(`iptables variant ${n === 'n3' ? 'legacy' : 'nft'}`);
      expect(log).toContain('following Docker events');
    }
  });

  it('a dockerd restart on a node that lost its firewall (a reboot) is repaired there: the service comes back with the node and restores the policy', async () => {
    const n2 = daemons.n2!;
    await n2.stop();
    // What a reboot leaves: no rules and no sets in the node's namespace.
    await lab.execChecked(hosts.n2!, ['nft', 'flush', 'ruleset']);
    await lab.execChecked(hosts.n2!, ['ipset', 'destroy']);
    expect((await lab.exec(hosts.n2!, ['iptables', '-S', 'DOCKWALL-FILTER'])).code).not.toBe(0);
    await n2.restart();
    await pollUntil(
      'the policy on n2 again',
      async () => same(await outcomes(['n2']), expected('c1', ['n2'])),
      {
        timeoutMs: 120_000,
        everyMs: 1_000,
      },
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await outcomes(['n2'])).join(', ')}\n${await taskLog('n2')}`);
    });
    expect(await taskLog('n2')).toMatch(/restored the policy: [1-9]\d* change\(s\)","trigger":"start"/);
    expect((await lab.exec(hosts.n2!, ['iptables', '-S', 'DOCKWALL-FILTER'])).code).toBe(0);
    expect(await outcomes()).toEqual(expected('c1'));
  });

  it('a new config (service update --config-rm/--config-add) rolls the new policy out to every node', async () => {
    const policyFile = join(lab.dir, 'policy-v2.yaml');
    writeFileSync(policyFile, policy(CLIENTS.c2));
    await manager.dockerChecked(['config', 'create', `${STACK}_policy_v2`, policyFile]);
    await swapPolicy(`${STACK}_policy`, `${STACK}_policy_v2`);
    await pollUntil('the new policy on every node', async () => same(await outcomes(), expected('c2')), {
      timeoutMs: 120_000,
      everyMs: 1_000,
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await outcomes()).join(', ')}\n${await logs()}`);
    });
    expect(await serviceConfigs()).toEqual([`${STACK}_policy_v2`]);
  });

  it('a config with a policy that does not load fails on the first node and the update rolls back: every node keeps the last policy', async () => {
    const policyFile = join(lab.dir, 'policy-bad.yaml');
    writeFileSync(policyFile, policy(CLIENTS.c1).replace('otherwise: reject', 'otherwise: rejected'));
    await manager.dockerChecked(['config', 'create', `${STACK}_policy_bad`, policyFile]);
    await swapPolicy(`${STACK}_policy_v2`, `${STACK}_policy_bad`);
    const state = async () =>
      (await manager.dockerChecked(['service', 'inspect', '-f', '{{.UpdateStatus.State}}', SERVICE])).trim();
    await pollUntil('the update rolled back', async () => (await state()) === 'rollback_completed', {
      timeoutMs: 120_000,
      everyMs: 1_000,
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${await state()}\n${await logs()}`);
    });
    const failed = await manager.dockerChecked([
      'service',
      'ps',
      '--no-trunc',
      '--filter',
      'desired-state=shutdown',
      '--format',
      '{{.Error}}',
      SERVICE,
    ]);
    expect(failed).toMatch(/non-zero exit \(1\)/);
    expect(await serviceConfigs()).toEqual([`${STACK}_policy_v2`]);
    await pollUntil('the last policy on every node', async () => same(await outcomes(), expected('c2')), {
      timeoutMs: 60_000,
      everyMs: 1_000,
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await outcomes()).join(', ')}\n${await logs()}`);
    });
  });
});
