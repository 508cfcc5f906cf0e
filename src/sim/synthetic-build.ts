import type { DockerContainer, DockerInventory } from '../model/docker.js';
import type { Chain, Rule, RuleOption } from '../model/ruleset.js';

/** Building blocks of the synthetic rule sets (synthetic.ts, synthetic-university.ts). */

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ip(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export const tok = (text: string) => ({ text, quoted: false });
export const o = (name: string, args: string[] = [], negated = false): RuleOption => ({
  name,
  negated,
  args: args.map(tok),
});

export function r(
  generic: RuleOption[],
  matches: Rule['matches'],
  target: string | null,
  targetOpts: RuleOption[] = [],
): Rule {
  return { generic, matches, target: target ? { kind: 'jump', name: target, options: targetOpts } : null };
}

export const tcpDport = (p: number): Rule['matches'][number] => ({
  name: 'tcp',
  options: [o('--dport', [String(p)])],
});

/** A filter table being built: its chains by name, and a function that adds one. */
export function filterChains(): {
  filter: Record<string, Chain>;
  chain: (name: string, policy?: Chain['policy']) => Chain;
} {
  const filter: Record<string, Chain> = {};
  const chain = (name: string, policy: Chain['policy'] = null): Chain =>
    (filter[name] = { name, policy, rules: [] });
  return { filter, chain };
}

/** The default bridge network `docker0` (172.17.0.0/16) as the inventory lists it. */
export function defaultBridge(idChar: string): DockerInventory['networks'][number] {
  return {
    id: idChar.repeat(64),
    name: 'bridge',
    driver: 'bridge',
    bridge: 'docker0',
    subnets: ['172.17.0.0/16'],
    gateways: ['172.17.0.1'],
    internal: false,
  };
}

/**
 * The `index`th container on the default bridge (172.17.0.2 on) publishing its tcp port 80 as
 * `hostPort`: the nat DOCKER rule that forwards to it, the filter DOCKER rule that accepts it from
 * `inIface` (Docker's own `! -i docker0` unless given), and its inventory record.
 */
export function publishedContainer(
  index: number,
  hostPort: number,
  names: { id: string; name: string },
  inIface: RuleOption = o('-i', ['docker0'], true),
): { addr: string; dnat: Rule; accept: Rule; container: DockerContainer } {
  const addr = ip(((172 << 24) | (17 << 16)) + 2 + index);
  return {
    addr,
    dnat: r([o('-i', ['docker0'], true), o('-p', ['tcp'])], [tcpDport(hostPort)], 'DNAT', [
      o('--to-destination', [`${addr}:80`]),
    ]),
    accept: r(
      [o('-d', [`${addr}/32`]), inIface, o('-o', ['docker0']), o('-p', ['tcp'])],
      [tcpDport(80)],
      'ACCEPT',
    ),
    container: {
      ...names,
      labels: {},
      running: true,
      endpoints: [{ network: 'bridge', ipv4: addr }],
      ports: [{ hostIp: '0.0.0.0', hostPort, containerPort: 80, proto: 'tcp' }],
    },
  };
}

/** How many rules the chains hold, over every table given. */
export function countRules(...tables: Chain[][]): number {
  return tables.reduce((n, chains) => chains.reduce((m, c) => m + c.rules.length, n), 0);
}
