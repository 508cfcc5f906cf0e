import type { DockerNetwork } from '../model/index.js';
import { planAddresses } from './address-pools.js';
import { contains, formatPrefix, overlaps, parsePrefix, type Prefix } from './cidr.js';
import { daemonConfig } from './daemon-json.js';
import type { DoctorFacts, Finding, RouteFact, RuleFact } from './facts.js';
import { blockingRules, describeRule, routeReach } from './rule-reach.js';

/**
 * Docker's bridge subnets against the host's other routes. A route that is not via a Docker bridge
 * and overlaps a Docker subnet means one side loses: a more specific (or equal) route takes the
 * containers' addresses away from the bridge; a wider one (a VPN that took 172.16.0.0/12) loses the
 * part Docker's subnet covers, so the hosts there are unreachable from the host and its containers.
 */

const LINK_LOCAL_V6 = parsePrefix('fe80::/10')!;
const MULTICAST_V6 = parsePrefix('ff00::/8')!;

interface Conflict {
  route: RouteFact;
  prefix: Prefix;
  /** The route wins for the addresses it covers: more specific, or in a table looked up first. */
  wins: boolean;
  /** The `ip rule` that has its table looked up before `main` (for every packet, or for some). */
  rule?: RuleFact;
  /** Only the packets `rule` selects are affected. */
  some?: boolean;
}

function describeRoute(r: RouteFact): string {
  const parts = [r.type ? `${r.type} ${r.destination}` : r.destination];
  if (r.via) parts.push(`via ${r.via}`);
  if (r.device) parts.push(`dev ${r.device}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  if (r.table !== undefined) parts.push(`table ${r.table}`);
  return parts.join(' ');
}

/** Routes that may compete with Docker's: not default, not via a Docker bridge, not link-local. */
function foreignRoutes(
  routes: readonly RouteFact[],
  bridges: ReadonlySet<string>,
): Array<[RouteFact, Prefix]> {
  const out: Array<[RouteFact, Prefix]> = [];
  // A route listed twice (an `ip` that printed both families in the IPv4 listing) is one route.
  const seen = new Set<string>();
  for (const r of routes) {
    if (r.type === 'throw') continue;
    if (r.device !== undefined && bridges.has(r.device)) continue;
    const p = parsePrefix(r.destination);
    if (!p || p.length === 0) continue;
    if (p.family === 'ipv6' && (contains(LINK_LOCAL_V6, p) || contains(MULTICAST_V6, p))) continue;
    const key = `${p.family} ${formatPrefix(p)} ${describeRoute(r)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([{ ...r, family: p.family }, p]);
  }
  return out;
}

/** Everything already in use: every route but the defaults, and every Docker subnet. */
function takenPrefixes(facts: DoctorFacts, networks: readonly DockerNetwork[]): Prefix[] {
  const taken: Prefix[] = [];
  for (const r of facts.routes ?? []) {
    const p = parsePrefix(r.destination);
    if (p && p.length > 0) taken.push(p);
  }
  for (const n of networks)
    for (const s of n.subnets) {
      const p = parsePrefix(s);
      if (p) taken.push(p);
    }
  return taken;
}

function conflictLine(c: Conflict, net: Prefix, network: DockerNetwork): string {
  const subnet = formatPrefix(net);
  const route = describeRoute(c.route);
  const exit = c.route.device ?? `the ${c.route.type ?? ''} route`;
  const bridge = network.bridge ?? 'the bridge';
  const part = contains(c.prefix, net) ? subnet : `${formatPrefix(c.prefix)} (part of ${subnet})`;
  if (c.rule && c.rule.table === undefined) {
    const outcome = c.rule.action === 'blackhole' ? 'dropped' : 'refused';
    return (
      `- \`ip rule ${describeRule(c.rule)}\` comes before main: ${c.some ? 'the packets it selects' : 'every packet'} ` +
      `to ${part} ${c.some ? 'are' : 'is'} ${outcome} instead of reaching ${bridge}` +
      (c.some
        ? '.'
        : ', so the containers there are unreachable from the host and published ports to them fail.')
    );
  }
  if (c.rule && c.some)
    return (
      `- ${route}: packets selected by \`ip rule ${describeRule(c.rule)}\` look up table ${c.rule.table} before main, ` +
      `so those of them to ${part} leave by ${exit} instead of ${bridge}.`
    );
  if (c.rule)
    return (
      `- ${route}: \`ip rule ${describeRule(c.rule)}\` has table ${c.rule.table} looked up before main, so every ` +
      `packet to ${part} leaves by ${exit} instead of ${bridge}, however specific Docker's route is: the ` +
      'containers there are unreachable from the host and published ports to them fail.'
    );
  return c.wins
    ? `- ${route} is as specific as ${subnet} or more: packets to those container ` +
        `addresses leave by ${exit} instead of ${bridge}` +
        (c.prefix.length === net.length ? ' (or by the bridge, whichever route has the lower metric)' : '') +
        ', so the containers are unreachable from the host and published ports to them fail.'
    : `- ${route} covers ${subnet}: Docker's more specific route takes that part of it, so ` +
        `the hosts of ${subnet} behind ${c.route.device ?? 'that route'} are unreachable from this host and its containers.`;
}

function isDefaultBridge(n: DockerNetwork): boolean {
  return n.name === 'bridge' || n.bridge === 'docker0';
}

export function subnetOverlapFindings(facts: DoctorFacts): Finding[] {
  if (!facts.docker.reachable || !facts.routes) return [];
  const networks = facts.docker.networks;
  const bridges = new Set(networks.map((n) => n.bridge).filter((b): b is string => b !== undefined));
  const foreign = foreignRoutes(facts.routes, bridges);
  const hits: Array<{ network: DockerNetwork; subnet: Prefix; conflicts: Conflict[] }> = [];
  for (const network of networks) {
    if (network.driver !== 'bridge') continue;
    for (const s of network.subnets) {
      const subnet = parsePrefix(s);
      if (!subnet) continue;
      const conflicts: Conflict[] = [];
      const rules = facts.rules?.[subnet.family];
      const sameFamily = facts.routes.filter((r) => r.family === subnet.family);
      for (const [route, prefix] of foreign) {
        if (!overlaps(prefix, subnet)) continue;
        // Without the rules, every table is judged like main.
        // The rules are judged for the part of the subnet the route is about.
        const part = contains(subnet, prefix) ? prefix : subnet;
        const reach = rules ? routeReach(rules, sameFamily, route, part) : ({ kind: 'main' } as const);
        if (reach.kind === 'unused') continue;
        if (reach.kind === 'before-main') conflicts.push({ route, prefix, wins: true, rule: reach.rule });
        else if (reach.kind === 'some')
          conflicts.push({ route, prefix, wins: false, rule: reach.rule, some: true });
        else if (contains(prefix, subnet) && prefix.length < subnet.length)
          conflicts.push({ route, prefix, wins: false });
        else conflicts.push({ route, prefix, wins: true });
      }
      for (const b of rules ? blockingRules(rules, sameFamily, subnet) : []) {
        const to = b.rule.to ?? formatPrefix(subnet);
        const route: RouteFact = { family: subnet.family, destination: to, type: b.rule.action! };
        conflicts.push({
          route,
          prefix: parsePrefix(to) ?? subnet,
          wins: !b.some,
          rule: b.rule,
          some: b.some,
        });
      }
      if (conflicts.length > 0) hits.push({ network, subnet, conflicts });
    }
  }
  if (hits.length === 0) return [];

  const need = { pool: false, bip: false, pool6: false, fixedCidrV6: false };
  for (const h of hits) {
    const v6 = h.subnet.family === 'ipv6';
    if (isDefaultBridge(h.network)) need[v6 ? 'fixedCidrV6' : 'bip'] = true;
    else need[v6 ? 'pool6' : 'pool'] = true;
  }
  const plan = planAddresses(takenPrefixes(facts, networks), need);
  const change: Record<string, unknown> = {};
  if (plan.bip) change['bip'] = plan.bip;
  if (plan.fixedCidrV6) change['fixed-cidr-v6'] = plan.fixedCidrV6;
  const pools = [plan.pool, plan.pool6].filter((p) => p !== undefined);
  if (pools.length > 0) change['default-address-pools'] = pools;
  const merged = { ...daemonConfig(facts.daemonJson), ...change };
  const path = facts.daemonJson.path;

  const byNetwork = new Map<DockerNetwork, typeof hits>();
  for (const h of hits) byNetwork.set(h.network, [...(byNetwork.get(h.network) ?? []), h]);
  const findings: Finding[] = [];
  for (const [network, list] of byNetwork) {
    const wins = list.some((h) => h.conflicts.some((c) => c.wins));
    const lines: string[] = [];
    for (const h of list) for (const c of h.conflicts) lines.push(conflictLine(c, h.subnet, network));
    const subnets = list.map((h) => formatPrefix(h.subnet)).join(', ');
    const keys = Object.keys(change)
      .map((k) => `"${k}"`)
      .join(' and ');
    const steps: string[] = [];
    if (keys) {
      steps.push(
        `Set ${keys} in ${path} to ranges nothing else routes (checked against every route of this host ` +
          `and every Docker network); the file would read:\n${JSON.stringify(merged, null, 2)}`,
      );
      steps.push('Then restart dockerd (`systemctl restart docker`).');
    } else {
      steps.push(`Pick ranges for ${path} that no route of this host covers, then restart dockerd.`);
    }
    if (!isDefaultBridge(network)) {
      steps.push(
        `An existing network keeps its subnet: recreate "${network.name}" after the restart (\`docker network rm ${network.name}\` ` +
          'once its containers are gone, or `docker compose down && docker compose up -d`), or give it a free subnet with `--subnet`.',
      );
    }
    findings.push({
      id: 'subnet-overlap',
      severity: wins ? 'error' : 'warning',
      category: 'routing',
      subject: network.name,
      title: `Docker network "${network.name}" (${subnets}${network.bridge ? ` on ${network.bridge}` : ''}) overlaps other routes`,
      detail: lines.join('\n'),
      fix: steps.join('\n'),
    });
  }
  return findings;
}
