/**
 * Records test/fixtures/docker-29.7.2-nftables/: Docker Engine 29.7.2 with
 * `--firewall-backend=nftables` in lab namespaces, one scenario at a time, saving what `trace` and
 * `audit` read (`nft -j list ruleset`, iptables-save of both families, the host model, Docker's
 * inventory, whose firewallBackend comes from the Engine API's /info) and real probes from a host on the docker host's link.
 *
 *   ../shared/docker-29.7.2/install.sh /tmp/d29
 *   PATH=/tmp/d29/bin:$PATH npx tsx scripts/record-nft-fixtures.ts [OUTDIR]
 *
 * Root only. Every namespace and process is removed at the end (lab.destroy()).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerEngineClient, readInventory } from '../src/docker/index.js';
import { readHostModel } from '../src/host/index.js';
import {
  REPO_ROOT,
  createLab,
  importBusyboxImage,
  probeTcp,
  runContainer,
  startDockerd,
  type Lab,
  type LabHost,
  type Dockerd,
} from '../test/lab/helpers/index.js';

const out = process.argv[2] ?? join(REPO_ROOT, 'test/fixtures/docker-29.7.2-nftables');
mkdirSync(out, { recursive: true });

interface ProbeRecord {
  from: string;
  to: string;
  port: number;
  proto: 'tcp';
  result: string;
}

interface Scenario {
  name: string;
  daemonArgs: string[];
  ipv6?: boolean;
  /** Builds the scenario; returns the probes to make from the outside host (address, port). */
  setup(d: Dockerd): Promise<Array<[string, number]>>;
}

const DOCKER_ADDR = '192.168.122.190';
const OUTSIDE_ADDR = '192.168.122.193';

async function usernet(d: Dockerd, extra: string[] = []): Promise<void> {
  await d.dockerChecked([
    'network',
    'create',
    '-o',
    'com.docker.network.bridge.name=bridge1',
    '--subnet',
    '192.0.2.0/24',
    '--gateway',
    '192.0.2.1',
    ...extra,
    'bridge1',
  ]);
}

const SCENARIOS: Scenario[] = [
  { name: 'new-daemon', daemonArgs: [], setup: async () => [] },
  {
    name: 'usernet-portmap',
    daemonArgs: [],
    async setup(d) {
      await usernet(d);
      await runContainer(d, { name: 'c1', network: 'bridge1', publish: ['8080:80'] });
      return [
        [DOCKER_ADDR, 8080],
        [DOCKER_ADDR, 80],
        ['192.0.2.2', 80],
        ['192.0.2.2', 8080],
      ];
    },
  },
  {
    name: 'usernet-portmap-noicc',
    daemonArgs: ['--icc=false'],
    async setup(d) {
      await usernet(d, ['-o', 'com.docker.network.bridge.enable_icc=false']);
      await runContainer(d, { name: 'c1', network: 'bridge1', publish: ['8080:80'] });
      await runContainer(d, { name: 'web', publish: ['8000:80'] });
      return [
        [DOCKER_ADDR, 8080],
        [DOCKER_ADDR, 8000],
        ['192.0.2.2', 80],
      ];
    },
  },
  {
    name: 'usernet-portmap-noproxy',
    daemonArgs: ['--userland-proxy=false'],
    async setup(d) {
      await usernet(d);
      await runContainer(d, { name: 'c1', network: 'bridge1', publish: ['8080:80'] });
      return [
        [DOCKER_ADDR, 8080],
        ['192.0.2.2', 80],
      ];
    },
  },
  {
    name: 'usernet-internal',
    daemonArgs: [],
    async setup(d) {
      await d.dockerChecked(['network', 'create', '--internal', '--subnet', '198.51.100.0/24', 'inet1']);
      await runContainer(d, { name: 'c1', network: 'inet1' });
      return [['198.51.100.2', 80]];
    },
  },
  {
    name: 'usernet-portmap-lo',
    daemonArgs: [],
    async setup(d) {
      await usernet(d);
      await runContainer(d, { name: 'c1', network: 'bridge1', publish: ['127.0.0.1:8080:80'] });
      return [
        [DOCKER_ADDR, 8080],
        ['127.0.0.1', 8080],
      ];
    },
  },
  {
    name: 'ipv6-portmap',
    daemonArgs: ['--ipv6', '--fixed-cidr-v6', 'fd00:dead:beef::/64', '--ip6tables=true'],
    ipv6: true,
    async setup(d) {
      await runContainer(d, { name: 'web', publish: ['8000:80'] });
      return [
        [DOCKER_ADDR, 8000],
        ['fd00:1::190', 8000],
        [DOCKER_ADDR, 8001],
      ];
    },
  },
];

async function record(lab: Lab, s: Scenario, index: number, outside: LabHost): Promise<void> {
  const host = await lab.addHost(`d${index}`, {
    address: `${DOCKER_ADDR}/24`,
    extraAddresses: ['fd00:1::190/64'],
  });
  // The outside host reaches this docker host only: the others' links are down while it runs.
  for (const k of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.icmp_ratelimit=0'])
    await lab.execChecked(host, ['sysctl', '-qw', k]);
  const d = await startDockerd(host, { extraArgs: ['--firewall-backend=nftables', ...s.daemonArgs] });
  await importBusyboxImage(d);
  const targets = await s.setup(d);
  await new Promise((r) => setTimeout(r, 500));
  const dir = join(out, s.name);
  mkdirSync(dir, { recursive: true });
  const nft = await lab.execChecked(host, ['nft', '-j', 'list', 'ruleset']);
  writeFileSync(join(dir, 'ruleset.json'), `${JSON.stringify(JSON.parse(nft.stdout), null, 1)}\n`);
  writeFileSync(join(dir, 'ruleset.nft'), (await lab.execChecked(host, ['nft', 'list', 'ruleset'])).stdout);
  writeFileSync(join(dir, 'host.json'), `${JSON.stringify(await readHostModel(host.runner), null, 1)}\n`);
  const inv = await readInventory(new DockerEngineClient({ host: `unix://${d.socketPath}` }));
  writeFileSync(join(dir, 'docker.json'), `${JSON.stringify(inv, null, 1)}\n`);
  // The previous scenario's docker host had the same address: forget its link-layer address.
  await lab.execChecked(outside, ['ip', 'neigh', 'flush', 'all']);
  const probes: ProbeRecord[] = [];
  for (const [to, port] of targets) {
    const from = to === '127.0.0.1' ? host : outside;
    const result = await probeTcp(lab, from, to, port, 1_000);
    probes.push({ from: from === host ? DOCKER_ADDR : OUTSIDE_ADDR, to, port, proto: 'tcp', result });
  }
  writeFileSync(join(dir, 'probes.json'), `${JSON.stringify(probes, null, 1)}\n`);
  await d.stop();
  await lab.execChecked(host, ['ip', 'link', 'set', host.iface, 'down']);
  console.log(`${s.name}: ${probes.map((p) => `${p.to}:${p.port} ${p.result}`).join(', ')}`);
}

const lab = await createLab();
try {
  const outside = await lab.addHost('out', {
    address: `${OUTSIDE_ADDR}/24`,
    extraAddresses: ['fd00:1::193/64'],
  });
  for (const net of ['172.16.0.0/12', '192.0.2.0/24', '198.51.100.0/24'])
    await lab.execChecked(outside, ['ip', 'route', 'add', net, 'via', DOCKER_ADDR]);
  await lab.execChecked(outside, ['ip', '-6', 'route', 'add', 'fd00:dead:beef::/64', 'via', 'fd00:1::190']);
  for (const [i, s] of SCENARIOS.entries()) await record(lab, s, i, outside);
} finally {
  await lab.destroy();
}
