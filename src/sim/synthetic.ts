import type { DockerContainer, DockerInventory } from '../model/docker.js';
import type { HostModel } from '../model/host.js';
import type { IpSetState } from '../model/ipset.js';
import type { Chain, Ruleset } from '../model/ruleset.js';
import {
  countRules,
  defaultBridge,
  filterChains,
  ip,
  o,
  publishedContainer,
  r,
  rng,
  tcpDport,
} from './synthetic-build.js';

/**
 * A large, Docker-shaped rule set for benchmarks and scale tests: many published containers, a
 * long per-address blocklist and ipset matches in DOCKER-USER, and a long INPUT allow list.
 */
export interface SyntheticOptions {
  /** Roughly how many rules to produce (default 5000). */
  rules?: number;
  seed?: number;
}

export interface SyntheticSetup {
  ruleset: Ruleset;
  sets: IpSetState;
  host: HostModel;
  docker: DockerInventory;
  /** Facts about the generated set that tests can check the simulator against. */
  facts: {
    containers: number;
    /** Sources dropped by the DOCKER-USER blocklist. */
    blockedSources: string[];
    /** A /24 in the `blocked_nets` ipset. */
    blockedNet: string;
    /** Host ports published to the `office` ipset only (others are rejected). */
    officeOnlyPorts: number[];
    officeSource: string;
    /** Host ports open to every source not blocked. */
    openPorts: number[];
    /** INPUT allows ssh (22) only from these CIDRs. */
    adminNets: string[];
  };
}

export function syntheticRuleset(opts: SyntheticOptions = {}): SyntheticSetup {
  const total = opts.rules ?? 5000;
  const rand = rng(opts.seed ?? 1);
  const containers = Math.max(4, Math.floor(total * 0.02));
  const blocked = Math.max(4, Math.floor(total * 0.3));
  const officeOnly = Math.max(1, Math.floor(containers / 10));
  const adminCount = Math.max(2, Math.floor(total * 0.04));

  const { filter, chain } = filterChains();
  const INPUT = chain('INPUT', 'DROP');
  const FORWARD = chain('FORWARD', 'DROP');
  chain('OUTPUT', 'ACCEPT');
  const DOCKER = chain('DOCKER');
  const ISO1 = chain('DOCKER-ISOLATION-STAGE-1');
  const ISO2 = chain('DOCKER-ISOLATION-STAGE-2');
  const USER = chain('DOCKER-USER');
  const nat = {
    PREROUTING: { name: 'PREROUTING', policy: 'ACCEPT', rules: [] } as Chain,
    INPUT: { name: 'INPUT', policy: 'ACCEPT', rules: [] } as Chain,
    OUTPUT: { name: 'OUTPUT', policy: 'ACCEPT', rules: [] } as Chain,
    POSTROUTING: { name: 'POSTROUTING', policy: 'ACCEPT', rules: [] } as Chain,
    DOCKER: { name: 'DOCKER', policy: null, rules: [] } as Chain,
  };
  const mangle: Chain[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].map((name) => ({
    name,
    policy: 'ACCEPT',
    rules: [],
  }));
  mangle[0]!.rules.push(
    r([o('-i', ['eth0']), o('-p', ['tcp'])], [tcpDport(25)], 'MARK', [o('--set-xmark', ['0x1/0xffffffff'])]),
  );

  // Docker's own chains.
  FORWARD.rules.push(
    r([], [], 'DOCKER-USER'),
    r([], [], 'DOCKER-ISOLATION-STAGE-1'),
    r(
      [o('-o', ['docker0'])],
      [{ name: 'conntrack', options: [o('--ctstate', ['RELATED,ESTABLISHED'])] }],
      'ACCEPT',
    ),
    r([o('-o', ['docker0'])], [], 'DOCKER'),
    r([o('-i', ['docker0']), o('-o', ['docker0'], true)], [], 'ACCEPT'),
    r([o('-i', ['docker0']), o('-o', ['docker0'])], [], 'ACCEPT'),
  );
  ISO1.rules.push(
    r([o('-i', ['docker0']), o('-o', ['docker0'], true)], [], 'DOCKER-ISOLATION-STAGE-2'),
    r([], [], 'RETURN'),
  );
  ISO2.rules.push(r([o('-o', ['docker0'])], [], 'DROP'), r([], [], 'RETURN'));
  nat.PREROUTING.rules.push(r([], [{ name: 'addrtype', options: [o('--dst-type', ['LOCAL'])] }], 'DOCKER'));
  nat.OUTPUT.rules.push(
    r(
      [o('-d', ['127.0.0.0/8'], true)],
      [{ name: 'addrtype', options: [o('--dst-type', ['LOCAL'])] }],
      'DOCKER',
    ),
  );
  nat.POSTROUTING.rules.push(r([o('-s', ['172.17.0.0/16']), o('-o', ['docker0'], true)], [], 'MASQUERADE'));
  nat.DOCKER.rules.push(r([o('-i', ['docker0'])], [], 'RETURN'));

  const dockerContainers: DockerContainer[] = [];
  const openPorts: number[] = [];
  const officeOnlyPorts: number[] = [];
  for (let i = 0; i < containers; i++) {
    const hostPort = 20000 + i;
    const { addr, dnat, accept, container } = publishedContainer(i, hostPort, {
      id: `c${i}`,
      name: `app${i}`,
    });
    DOCKER.rules.push(accept);
    nat.DOCKER.rules.push(dnat);
    nat.POSTROUTING.rules.push(
      r([o('-s', [`${addr}/32`]), o('-d', [`${addr}/32`]), o('-p', ['tcp'])], [tcpDport(80)], 'MASQUERADE'),
    );
    dockerContainers.push(container);
    if (i < officeOnly) officeOnlyPorts.push(hostPort);
    else openPorts.push(hostPort);
  }

  // DOCKER-USER: per-address blocklist, an ipset of blocked networks, office-only ports.
  const seen = new Set<number>();
  const blockedSources: string[] = [];
  while (blockedSources.length < blocked) {
    const v = ((45 << 24) | Math.floor(rand() * 0xffffff)) >>> 0;
    if (seen.has(v)) continue;
    seen.add(v);
    blockedSources.push(ip(v));
    USER.rules.push(r([o('-s', [`${ip(v)}/32`]), o('-i', ['eth0'])], [], 'DROP'));
  }
  USER.rules.push(
    r([o('-i', ['eth0'])], [{ name: 'set', options: [o('--match-set', ['blocked_nets', 'src'])] }], 'DROP'),
  );
  for (const p of officeOnlyPorts) {
    USER.rules.push(
      r(
        [o('-i', ['eth0']), o('-p', ['tcp'])],
        [
          { name: 'conntrack', options: [o('--ctorigdstport', [String(p)]), o('--ctstate', ['NEW'])] },
          { name: 'set', options: [o('--match-set', ['office', 'src'], true)] },
        ],
        'REJECT',
        [o('--reject-with', ['icmp-port-unreachable'])],
      ),
    );
  }
  USER.rules.push(r([], [], 'RETURN'));

  const blockedNets: string[] = [];
  for (let i = 0; i < 300; i++) blockedNets.push(`${ip(((91 << 24) | (i << 8)) >>> 0)}/24`);

  // INPUT: established, lo, ssh from admin networks, then per-port allow rules up to the total.
  INPUT.rules.push(
    r([], [{ name: 'conntrack', options: [o('--ctstate', ['RELATED,ESTABLISHED'])] }], 'ACCEPT'),
    r([o('-i', ['lo'])], [], 'ACCEPT'),
    r([o('-p', ['icmp'])], [{ name: 'icmp', options: [o('--icmp-type', ['8'])] }], 'ACCEPT'),
  );
  const adminNets: string[] = [];
  for (let i = 0; i < adminCount; i++) {
    const net = `${ip(((10 << 24) | (i << 8)) >>> 0)}/24`;
    adminNets.push(net);
    INPUT.rules.push(
      r(
        [o('-s', [net]), o('-p', ['tcp'])],
        [tcpDport(22), { name: 'comment', options: [o('--comment', [`admin${i}`])] }],
        'ACCEPT',
      ),
    );
  }
  const count = () => countRules(Object.values(filter), Object.values(nat), mangle);
  for (let i = 0; count() < total - 2; i++) {
    const src = `${ip(((100 << 24) | (64 << 16) | (i << 4)) >>> 0)}/28`;
    INPUT.rules.push(
      r(
        [o('-s', [src]), o('-p', ['udp'])],
        [{ name: 'udp', options: [o('--dport', [String(30000 + (i % 1000))])] }],
        'ACCEPT',
      ),
    );
  }
  INPUT.rules.push(
    r([], [{ name: 'limit', options: [o('--limit', ['5/min'])] }], 'LOG', [
      o('--log-prefix', ['input-drop: ']),
    ]),
  );
  INPUT.rules.push(r([o('-p', ['tcp'])], [], 'REJECT', [o('--reject-with', ['tcp-reset'])]));

  const ruleset: Ruleset = {
    family: 'ipv4',
    tables: [
      { name: 'mangle', chains: mangle },
      { name: 'nat', chains: Object.values(nat) },
      { name: 'filter', chains: Object.values(filter) },
    ],
  };
  const sets: IpSetState = {
    sets: [
      { name: 'blocked_nets', type: 'hash:net', family: 'inet', options: [], members: blockedNets },
      {
        name: 'office',
        type: 'hash:net',
        family: 'inet',
        options: [],
        members: ['203.0.113.0/24', '198.51.100.0/25'],
      },
    ],
  };
  return {
    ruleset,
    sets,
    host: {
      interfaces: [{ name: 'eth0', addresses: ['192.0.2.10/24'] }],
      routes: [{ destination: 'default', device: 'eth0', via: '192.0.2.1' }],
    },
    docker: {
      networks: [defaultBridge('b')],
      containers: dockerContainers,
    },
    facts: {
      containers,
      blockedSources,
      blockedNet: blockedNets[7]!,
      officeOnlyPorts,
      officeSource: '203.0.113.9',
      openPorts,
      adminNets,
    },
  };
}
