import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, docker29Engine } from '../helpers/index.js';
import type { DiffLab, DiffLabOptions } from './diff-lab.js';

/**
 * The Docker layouts of test/fixtures/docker-20.10 made live in the lab, and the seed scenario
 * after `dockwall apply`. Scenarios of one group share a lab and a dockerd and run in order
 * (the Docker ones build on each other, as the fixtures do).
 */
export interface DiffScenario {
  name: string;
  /** What it makes live. */
  about: string;
  /** Seed of the random probe choice. */
  seed: number;
  setup(d: DiffLab): Promise<void>;
  /** Undoes what the next scenario of the group must not see. */
  teardown?(d: DiffLab): Promise<void>;
}

export interface ScenarioGroup {
  lab: DiffLabOptions;
  scenarios: DiffScenario[];
}

const web = (d: DiffLab) => d.addContainer({ name: 'web', publish: ['8000:80'] });
const client = (d: DiffLab) => d.addContainer({ name: 'client', cmd: ['sleep', '100000'] });

export const DOCKER_LAYOUTS: ScenarioGroup = {
  lab: {},
  scenarios: [
    {
      name: 'default-bridge',
      about: 'fixture 02: `docker run -p 8000:80` on the default bridge (and a client container)',
      seed: 2,
      async setup(d) {
        await web(d);
        await client(d);
      },
    },
    {
      name: 'user-network',
      about: 'fixture 03: + user network esnet, `-p 9200:80 -p 127.0.0.1:9300:80 -p 5353:53/udp`',
      seed: 3,
      async setup(d) {
        await d.dockerd.dockerChecked(['network', 'create', '--subnet', '172.18.0.0/16', 'esnet']);
        await d.addContainer({
          name: 'es',
          network: 'esnet',
          publish: ['9200:80', '127.0.0.1:9300:80', '5353:53/udp'],
          udpEcho: 53,
        });
      },
    },
    {
      name: 'internal-network',
      about: 'fixture 04: + `docker network create --internal` with two containers on it',
      seed: 4,
      async setup(d) {
        await d.dockerd.dockerChecked([
          'network',
          'create',
          '--internal',
          '--subnet',
          '172.19.0.0/16',
          'intnet',
        ]);
        await d.addContainer({ name: 'int1', network: 'intnet' });
        await d.addContainer({ name: 'int2', network: 'intnet' });
      },
    },
    {
      name: 'port-range',
      about: 'fixture 05: + `-p 7000-7002:7000-7002` (the container listens on 7000 and 7001)',
      seed: 5,
      async setup(d) {
        await d.addContainer({
          name: 'range',
          publish: ['7000-7002:7000-7002'],
          cmd: ['sh', '-c', 'httpd -p 7000 -h /www && exec httpd -f -p 7001 -h /www'],
          tcp: [7000, 7001],
        });
      },
    },
  ],
};

export const ICC_FALSE: ScenarioGroup = {
  lab: { dockerdArgs: ['--icc=false', '--userland-proxy=false'] },
  scenarios: [
    {
      name: 'icc-false-no-proxy',
      about: 'fixture 06: dockerd `--icc=false --userland-proxy=false`, `-p 8000:80` (and a client)',
      seed: 6,
      async setup(d) {
        await web(d);
        await client(d);
      },
    },
  ],
};

function example(name: string): string {
  return readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
}

/** Docker's own rules before any policy, to go back to between the two seed policies. */
let dockerOnly = '';

async function apply(d: DiffLab, file: string, extra: string[]): Promise<void> {
  const path = d.file(file, example(file));
  const stateDir = join(d.lab.dir, `state-${file}`);
  const r = await d.dockwall(['apply', '-f', path, '--yes', '--state-dir', stateDir, ...extra]);
  if (r.code !== 0) throw new Error(`dockwall apply ${file} exited ${r.code}:\n${r.stderr}${r.stdout}`);
}

/**
 * The seed on Docker 29.7.2 with its nftables backend: the same two policies, written by dockwall's
 * nftables writer (its tables ip dockwall) and iptables-nft (INPUT) beside Docker's docker-bridges.
 */
export const SEED_NFTABLES: ScenarioGroup = {
  lab: { seed: true, engine: () => docker29Engine('nftables') },
  scenarios: [
    {
      name: 'seed-pyfw-nftables',
      about: 'Docker 29 nftables backend: the seed after `dockwall apply` of the pyfw wishes',
      seed: 17,
      async setup(d) {
        await apply(d, 'pyfw-wishes-firewalling-docker.yaml', []);
      },
      async teardown(d) {
        // dockwall's tables only: Docker's docker-bridges stay as dockerd wrote them.
        await d.onDocker(['nft', 'delete', 'table', 'ip', 'dockwall']);
        await d.onDocker(['nft', 'delete', 'table', 'ip', 'filter']);
        await d.onDocker(['ipset', 'destroy']);
      },
    },
    {
      name: 'seed-native-nftables',
      about:
        'Docker 29 nftables backend: the seed after `dockwall apply -f examples/firewalling-docker.yaml`',
      seed: 18,
      async setup(d) {
        // Its expect: entries are checked first, on Docker's nftables tables and dockwall's planned ones.
        await apply(d, 'firewalling-docker.yaml', []);
      },
    },
  ],
};

export const SEED: ScenarioGroup = {
  lab: { seed: true },
  scenarios: [
    {
      name: 'seed-pyfw',
      about:
        'fixture 07 live: the seed after `dockwall apply -f examples/pyfw-wishes-firewalling-docker.yaml`',
      seed: 7,
      async setup(d) {
        dockerOnly = await d.onDocker(['iptables-save']);
        await apply(d, 'pyfw-wishes-firewalling-docker.yaml', []);
      },
      async teardown(d) {
        // Back to Docker's rules alone (iptables-restore replaces each table), then drop the set.
        await d.onDocker(['iptables-restore'], dockerOnly);
        await d.onDocker(['ipset', 'destroy']);
      },
    },
    {
      name: 'seed-native',
      about:
        'the seed after `dockwall apply -f examples/firewalling-docker.yaml` (shared filter, DOCKER-USER)',
      seed: 8,
      async setup(d) {
        await apply(d, 'firewalling-docker.yaml', []);
      },
    },
  ],
};

/**
 * A group on Docker 29.7.2 under one firewall backend: the same layouts and policies, named apart
 * and probed with other seeds (so other probes) than on Debian's 20.10.
 */
function onDocker29(group: ScenarioGroup, backend: 'iptables' | 'nftables', seed: number): ScenarioGroup {
  return {
    lab: { ...group.lab, engine: () => docker29Engine(backend) },
    scenarios: group.scenarios.map((sc, i) => ({
      ...sc,
      name: `${sc.name}-docker29-${backend}`,
      about: `Docker 29 ${backend} backend: ${sc.about}`,
      seed: seed + i,
    })),
  };
}

/** The seed on Docker 29.7.2 with its default iptables backend. */
export const SEED_DOCKER29_IPTABLES = onDocker29(SEED, 'iptables', 27);

/** The Docker layouts of fixtures 02-05 and 06 on Docker 29.7.2 with its nftables backend. */
export const DOCKER_LAYOUTS_NFTABLES = onDocker29(DOCKER_LAYOUTS, 'nftables', 32);
export const ICC_FALSE_NFTABLES = onDocker29(ICC_FALSE, 'nftables', 36);
