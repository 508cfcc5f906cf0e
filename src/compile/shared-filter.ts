import type { Diagnostic, Family, Ipv6Essential, Policy } from '../model/index.js';
import type { DesiredChains } from './desired-state.js';
import { desiredRule } from './desired-state.js';
import { coveredFamilies } from './families.js';
import { DOCKER_USER, FILTER_CHAIN } from './ownership.js';
import { appliesToFamily, generatedRule, protoFragment, sourceFragments } from './rule-builder.js';

/**
 * The shared filter: one list of allowed sources and ports for everything that enters on the external
 * interfaces, whether it is for the host (INPUT) or for a published container port (DOCKER-USER).
 * Ports are matched on the connection's original destination (`--ctorigdstport`), which is the port the
 * client asked for in both cases, because Docker's DNAT has already rewritten the packet in FORWARD.
 * It covers every family the host has unless the policy's `families:` leaves one out.
 *
 *   INPUT:        -i IF -j DOCKWALL-FILTER ; -i IF -j ACCEPT
 *   DOCKER-USER:  -i IF -j DOCKWALL-FILTER   (from DOCKWALL-CONTAINERS when `containers:` is present)
 *   DOCKWALL-FILTER: established → RETURN ; (IPv6) what IPv6 needs → RETURN ;
 *                    each allowed entry → RETURN ; otherwise DROP/REJECT
 */
export function compileSharedFilter(
  policy: Policy,
  chains: DesiredChains,
  hostFamilies: readonly Family[],
  diagnostics: Diagnostic[],
): Family[] {
  const sf = policy.sharedFilter;
  if (!sf) return [];
  const families = coveredFamilies(sf.families, hostFamilies);
  for (const family of families) {
    const chain = chains.get(family, 'filter', FILTER_CHAIN);
    const add = (name: string, text: string) =>
      chain.rules.push(desiredRule(family, name, generatedRule(text, family), 'tag', sf.pos));

    add('filter/established', '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
    if (family === 'ipv6') {
      for (const e of sf.ipv6Essentials) {
        for (const text of IPV6_ESSENTIAL_RULES[e]) add(`filter/ipv6-${e}`, `${text} -j RETURN`);
      }
    }
    for (const a of sf.allow) {
      if (!appliesToFamily(family, a.sources, a.sets, policy.ipsets)) continue;
      const proto = protoFragment(family, a.proto);
      if (proto === undefined) continue;
      const srcs =
        a.sources.length + a.sets.length > 0
          ? sourceFragments(family, a.sources, a.sets, policy.ipsets)
          : [''];
      const ports = a.ports.length > 0 ? a.ports.map((p) => `-m conntrack --ctorigdstport ${p}`) : [''];
      for (const s of srcs) {
        for (const p of ports) {
          const r = desiredRule(
            family,
            `filter/${a.name}`,
            generatedRule(`${s} ${proto} ${p} -j RETURN`, family),
            'tag',
            a.pos,
          );
          chain.rules.push(r);
        }
      }
    }
    add('filter/otherwise', sf.otherwise === 'reject' ? '-j REJECT' : '-j DROP');

    const input = chains.get(family, 'filter', 'INPUT');
    for (const iface of sf.interfaces) {
      input.rules.push(
        desiredRule(
          family,
          `filter/input-${iface}`,
          generatedRule(`-i ${iface} -j ${FILTER_CHAIN}`, family),
          'tag',
          sf.pos,
        ),
      );
      input.rules.push(
        desiredRule(
          family,
          `filter/accept-${iface}`,
          generatedRule(`-i ${iface} -j ACCEPT`, family),
          'tag',
          sf.pos,
        ),
      );
    }
  }
  if (sf.interfaces.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'compile.filter-no-interfaces',
      message: 'the shared filter lists no interfaces, so no packet enters it',
      ...(sf.pos ? { pos: sf.pos } : {}),
    });
  }
  return families;
}

/**
 * The shared filter's jumps for forwarded traffic (published container ports), in the chain given:
 * DOCKER-USER, or DOCKWALL-CONTAINERS after the container grants, so a grant takes effect first.
 */
export function filterJumps(policy: Policy, chains: DesiredChains, family: Family, chain: string): void {
  const sf = policy.sharedFilter;
  if (!sf) return;
  const target = chains.get(family, 'filter', chain);
  const prefix = chain === DOCKER_USER ? 'filter/docker-user' : 'containers/filter';
  for (const iface of sf.interfaces) {
    target.rules.push(
      desiredRule(
        family,
        `${prefix}-${iface}`,
        generatedRule(`-i ${iface} -j ${FILTER_CHAIN}`, family),
        'tag',
        sf.pos,
      ),
    );
  }
}

/**
 * What IPv6 needs that conntrack does not pass as ESTABLISHED/RELATED (as ufw's before6.rules and
 * RFC 4890 allow it). Neighbour and router discovery carry hop limit 255, which only a sender on the
 * same link can produce; MLD comes from link-local addresses; a DHCPv6 server answers a client's
 * multicast solicit from its link-local address, which conntrack cannot relate to the request.
 * ICMPv6 errors of known flows (destination unreachable, packet too big, time exceeded, parameter
 * problem) are RELATED and pass the established rule before these.
 */
const IPV6_ESSENTIAL_RULES: Record<Ipv6Essential, string[]> = {
  'router-discovery': [133, 134].map((t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255`),
  'neighbour-discovery': [135, 136, 137].map(
    (t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255`,
  ),
  'multicast-listener': [130, 131, 132, 143].map(
    (t) => `-s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type ${t}`,
  ),
  'dhcpv6-client': ['-s fe80::/10 -d fe80::/10 -p udp -m udp --sport 547 --dport 546'],
};
