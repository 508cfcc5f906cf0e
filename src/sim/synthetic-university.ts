import type { DockerContainer, DockerInventory } from '../model/docker.js';
import type { HostModel } from '../model/host.js';
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
 * A rule set shaped like a university's border firewall, for scale tests and benchmarks: every
 * packet from the internet (eth0) first meets `-m recent --update` (a blacklist of scanners, fed
 * by a telnet trap), then thousands of per-host `-m mac` anti-spoofing rules for the campus LAN
 * (eth1), then Docker's chains: some published ports open to everyone, some to the campus only.
 */
export interface UniversitySetup {
  ruleset: Ruleset;
  host: HostModel;
  docker: DockerInventory;
  facts: {
    /** Host ports published to every source (their answer from eth0 depends on the blacklist). */
    publicPorts: number[];
    /** Host ports DOCKER accepts only from eth1 (dropped from eth0 whatever the blacklist says). */
    campusPorts: number[];
    /** Internet sources dropped by a blocklist before the recent rule. */
    blockedSources: string[];
    /** Campus hosts with a registered MAC (one `-m mac` rule each). */
    registeredHosts: string[];
    /** A campus host with no registered MAC. */
    unregisteredHost: string;
    recentList: string;
  };
}

export function universityRuleset(
  opts: { rules?: number; seed?: number; published?: number } = {},
): UniversitySetup {
  const total = opts.rules ?? 5000;
  const rand = rng(opts.seed ?? 7);
  const published = opts.published ?? 4;
  const { filter, chain } = filterChains();
  const INPUT = chain('INPUT', 'ACCEPT');
  const FORWARD = chain('FORWARD', 'DROP');
  chain('OUTPUT', 'ACCEPT');
  const DOCKER = chain('DOCKER');
  const nat: Record<string, Chain> = {};
  for (const n of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'])
    nat[n] = { name: n, policy: 'ACCEPT', rules: [] };
  nat['DOCKER'] = { name: 'DOCKER', policy: null, rules: [] };
  nat['PREROUTING']!.rules.push(
    r([], [{ name: 'addrtype', options: [o('--dst-type', ['LOCAL'])] }], 'DOCKER'),
  );
  nat['POSTROUTING']!.rules.push(
    r([o('-s', ['172.17.0.0/16']), o('-o', ['docker0'], true)], [], 'MASQUERADE'),
  );
  nat['DOCKER']!.rules.push(r([o('-i', ['docker0'])], [], 'RETURN'));
  INPUT.rules.push(r([o('-i', ['lo'])], [], 'ACCEPT'));

  const containers: DockerContainer[] = [];
  const publicPorts: number[] = [];
  const campusPorts: number[] = [];
  for (let i = 0; i < published; i++) {
    const campus = i % 2 === 1;
    const hostPort = (campus ? 21000 : 20000) + i;
    (campus ? campusPorts : publicPorts).push(hostPort);
    const names = { id: `u${i}`, name: `svc${i}` };
    const { dnat, accept, container } = campus
      ? publishedContainer(i, hostPort, names, o('-i', ['eth1']))
      : publishedContainer(i, hostPort, names);
    nat['DOCKER']!.rules.push(dnat);
    DOCKER.rules.push(accept);
    containers.push(container);
  }

  const recentList = 'blacklist';
  FORWARD.rules.push(
    r([], [{ name: 'conntrack', options: [o('--ctstate', ['RELATED,ESTABLISHED'])] }], 'ACCEPT'),
  );
  const blockedSources: string[] = [];
  for (let i = 0; i < 50; i++) {
    const s = ip(((45 << 24) | (i << 8) | 9) >>> 0);
    blockedSources.push(s);
    FORWARD.rules.push(r([o('-i', ['eth0']), o('-s', [`${s}/32`])], [], 'DROP'));
  }
  const recent = (mode: string, extra: string[][] = []) => ({
    name: 'recent',
    options: [
      o(`--${mode}`),
      o('--name', [recentList]),
      o('--mask', ['255.255.255.255']),
      o('--rsource'),
      ...extra.map(([n, ...a]) => o(n!, a)),
    ],
  });
  FORWARD.rules.push(
    r([o('-i', ['eth0'])], [recent('update', [['--seconds', '3600']])], 'DROP'),
    r([o('-i', ['eth0']), o('-p', ['tcp'])], [tcpDport(23), recent('set')], 'DROP'),
  );
  const tail = 3;
  const registeredHosts: string[] = [];
  const count = () => countRules(Object.values(filter), Object.values(nat));
  for (let i = 0; count() < total - tail; i++) {
    const host = ip(((10 << 24) | (20 << 16) | ((1 + Math.floor(i / 250)) * 256 + 1 + (i % 250))) >>> 0);
    registeredHosts.push(host);
    const b = Array.from({ length: 3 }, () =>
      Math.floor(rand() * 256)
        .toString(16)
        .padStart(2, '0'),
    );
    FORWARD.rules.push(
      r(
        [o('-i', ['eth1']), o('-s', [`${host}/32`])],
        [{ name: 'mac', options: [o('--mac-source', [`02:00:5e:${b.join(':')}`], true)] }],
        'DROP',
      ),
    );
  }
  FORWARD.rules.push(
    r([o('-o', ['docker0'])], [], 'DOCKER'),
    r([o('-i', ['docker0']), o('-o', ['docker0'], true)], [], 'ACCEPT'),
    r([o('-i', ['docker0']), o('-o', ['docker0'])], [], 'ACCEPT'),
  );
  return {
    ruleset: {
      family: 'ipv4',
      tables: [
        { name: 'nat', chains: Object.values(nat) },
        { name: 'filter', chains: Object.values(filter) },
      ],
    },
    host: {
      interfaces: [
        { name: 'eth0', addresses: ['192.0.2.10/24'] },
        { name: 'eth1', addresses: ['10.20.0.1/16'] },
      ],
      routes: [
        { destination: 'default', device: 'eth0', via: '192.0.2.1' },
        { destination: '10.20.0.0/16', device: 'eth1' },
      ],
    },
    docker: {
      networks: [defaultBridge('u')],
      containers,
    },
    facts: {
      publicPorts,
      campusPorts,
      blockedSources,
      registeredHosts,
      unregisteredHost: '10.20.250.7',
      recentList,
    },
  };
}
