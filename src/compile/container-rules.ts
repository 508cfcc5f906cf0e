import type { Diagnostic, DockerInventory, Family, Policy, PublishedPort } from '../model/index.js';
import { describeSelector, selectContainers } from './container-select.js';
import type { DesiredChains } from './desired-state.js';
import { desiredRule } from './desired-state.js';
import { coveredFamilies } from './families.js';
import { CONTAINERS_CHAIN, DOCKER_USER } from './ownership.js';
import { appliesToFamily, familyOfAddress, generatedRule, sourceFragments } from './rule-builder.js';
import { filterJumps } from './shared-filter.js';

/**
 * Container-aware rules, for every family the host has. Each allowed published port becomes a rule
 * in DOCKWALL-CONTAINERS (entered first from DOCKER-USER) that matches the connection's ORIGINAL
 * destination port, so it does not depend on the container's address and survives recreation.
 * Traffic from Docker's own bridges (containers reaching each other or the host's bridge address) is
 * left to Docker's rules.
 *
 * Precedence: a grant is more specific than the shared filter, so it decides first; what no grant
 * takes passes the shared filter next, then `deny_unlisted_published`:
 *
 *   DOCKER-USER:          -j DOCKWALL-CONTAINERS
 *   DOCKWALL-CONTAINERS:  established → RETURN ; from Docker's bridges → RETURN ;
 *                         each grant → RETURN (on to Docker's own rules) ;
 *                         -i IF -j DOCKWALL-FILTER ; (deny unlisted) DNAT → REJECT
 */
export function compileContainerRules(
  policy: Policy,
  chains: DesiredChains,
  inventory: DockerInventory | undefined,
  hostFamilies: readonly Family[],
  filterFamilies: readonly Family[],
  diagnostics: Diagnostic[],
): Family[] {
  const families = coveredFamilies(undefined, hostFamilies);
  const bridges = [
    ...new Set((inventory?.networks ?? []).map((n) => n.bridge).filter((b): b is string => !!b)),
  ].sort();
  if (!inventory && policy.containers.length > 0) diagnostics.push(noInventory(policy));
  for (const a of policy.containers) {
    if (inventory && selectContainers(inventory, a.selector).length === 0) {
      diagnostics.push({
        severity: 'info',
        code: 'compile.container-not-running',
        message: `container rule "${a.name}" (${describeSelector(a.selector)}) matches no container now; it applies as soon as one starts`,
        ...(a.pos ? { pos: a.pos } : {}),
      });
    }
  }

  for (const family of families) {
    const chain = chains.get(family, 'filter', CONTAINERS_CHAIN);
    const add = (name: string, text: string, pos = policy.containers[0]?.pos) =>
      chain.rules.push(desiredRule(family, name, generatedRule(text, family), 'tag', pos));

    add('containers/established', '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
    for (const br of bridges) add(`containers/from-${br}`, `-i ${br} -j RETURN`);

    for (const a of policy.containers) {
      if (!coveredFamilies(a.families, hostFamilies).includes(family)) continue;
      if (!appliesToFamily(family, a.sources, a.sets, policy.ipsets)) continue;
      const matched = inventory ? selectContainers(inventory, a.selector) : [];
      const srcs =
        a.sources.length + a.sets.length > 0
          ? sourceFragments(family, a.sources, a.sets, policy.ipsets)
          : [''];
      for (const p of grantedPorts(a, matched, family)) {
        if (isLoopback(p.hostIp)) {
          // Only a link neighbour sending to 127.0.0.1 (the loopback-DNAT hole) reaches DOCKER-USER
          // with this original destination: the host's own clients go through OUTPUT, not FORWARD.
          diagnostics.push({
            severity: 'info',
            code: 'compile.container-port-loopback',
            message: `container rule "${a.name}": ${p.hostIp}:${p.hostPort}/${p.proto} is bound to loopback, so only this host reaches it and DOCKER-USER never sees that traffic; no rule is made for it (a rule there would open the port to machines on the link that send to ${p.hostIp})`,
            ...(a.pos ? { pos: a.pos } : {}),
          });
          continue;
        }
        const dst = isWildcard(p.hostIp) ? '' : ` --ctorigdst ${p.hostIp}`;
        for (const s of srcs) {
          add(
            `containers/${a.name}`,
            `${s} -p ${p.proto} -m conntrack --ctstate DNAT --ctorigdstport ${p.hostPort}${dst} -j RETURN`,
            a.pos,
          );
        }
      }
    }
    if (filterFamilies.includes(family)) filterJumps(policy, chains, family, CONTAINERS_CHAIN);
    if (policy.denyUnlistedPublished)
      add('containers/deny-unlisted', '-m conntrack --ctstate DNAT -j REJECT');

    chains
      .get(family, 'filter', DOCKER_USER)
      .rules.push(
        desiredRule(
          family,
          'containers/jump',
          generatedRule(`-j ${CONTAINERS_CHAIN}`, family),
          'tag',
          policy.containers[0]?.pos,
        ),
      );
  }
  return families;
}

/** The published ports of the matched containers that an entry grants, in one family, sorted. */
export function grantedPorts(
  a: Policy['containers'][number],
  matched: ReturnType<typeof selectContainers>,
  family: Family,
): PublishedPort[] {
  const ports = new Map<string, PublishedPort>();
  for (const c of matched) {
    for (const p of c.ports) {
      if (a.ports.length > 0 && !a.ports.includes(p.containerPort)) continue;
      if (a.proto && p.proto !== a.proto) continue;
      if (!portInFamily(p, family)) continue;
      ports.set(`${p.proto}/${p.hostIp}/${p.hostPort}`, p);
    }
  }
  // The protocols compared by code point: localeCompare would give the same order for these
  // lowercase names, but loads ICU's collation data (2.6 MB resident in a long-running watch).
  return [...ports.values()].sort(
    (x, y) => x.hostPort - y.hostPort || (x.proto < y.proto ? -1 : x.proto > y.proto ? 1 : 0),
  );
}

/** Offline without `--docker-state`, no container is known: say what the compiled rules then mean. */
function noInventory(policy: Policy): Diagnostic {
  const n = policy.containers.length;
  const what = policy.denyUnlistedPublished
    ? 'every published port is refused (deny_unlisted_published), whatever the entries allow'
    : 'published ports are left to the shared filter and to Docker';
  return {
    severity: 'warning',
    code: 'compile.no-docker-inventory',
    message: `no Docker inventory was given, so the ${n} \`containers:\` ${n === 1 ? 'entry grants' : 'entries grant'} nothing: ${what}`,
    hint: 'plan with --docker-state FILE (the Docker inventory as JSON) to compile the grants, or against the live host',
    ...(policy.containers[0]?.pos ? { pos: policy.containers[0].pos } : {}),
  };
}

function isWildcard(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

export function portInFamily(p: PublishedPort, family: Family): boolean {
  if (p.hostIp === '') return true;
  if (p.hostIp === '0.0.0.0') return family === 'ipv4';
  if (p.hostIp === '::') return family === 'ipv6';
  return familyOfAddress(p.hostIp) === family;
}
