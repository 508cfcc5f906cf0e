import type { Diagnostic, Family, Policy } from '../model/index.js';
import { FAMILIES } from '../model/index.js';
import type { DesiredChains } from './desired-state.js';
import { desiredRule } from './desired-state.js';
import { DOCKER_USER, FILTER_CHAIN } from './ownership.js';
import { appliesToFamily, generatedRule, protoFragment, sourceFragments } from './rule-builder.js';

/**
 * The shared filter: one list of allowed sources and ports for everything that enters on the external
 * interfaces, whether it is for the host (INPUT) or for a published container port (DOCKER-USER).
 * Ports are matched on the connection's original destination (`--ctorigdstport`), which is the port the
 * client asked for in both cases, because Docker's DNAT has already rewritten the packet in FORWARD.
 *
 *   INPUT:        -i IF -j DOCKWALL-FILTER ; -i IF -j ACCEPT
 *   DOCKER-USER:  -i IF -j DOCKWALL-FILTER
 *   DOCKWALL-FILTER: established → RETURN ; each allowed entry → RETURN ; otherwise DROP/REJECT
 */
export function compileSharedFilter(
  policy: Policy,
  chains: DesiredChains,
  diagnostics: Diagnostic[],
): Family[] {
  const sf = policy.sharedFilter;
  if (!sf) return [];
  const families = FAMILIES.filter(
    (f) =>
      f === 'ipv4' ||
      policy.families[f] !== undefined ||
      sf.allow.some(
        (a) =>
          a.sources.length + a.sets.length > 0 &&
          sourceFragments(f, a.sources, a.sets, policy.ipsets).length > 0,
      ),
  );
  for (const family of families) {
    const chain = chains.get(family, 'filter', FILTER_CHAIN);
    const add = (name: string, text: string) =>
      chain.rules.push(desiredRule(family, name, generatedRule(text, family), 'tag', sf.pos));

    add('filter/established', '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
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
    const dockerUser = chains.get(family, 'filter', DOCKER_USER);
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
      dockerUser.rules.push(
        desiredRule(
          family,
          `filter/docker-user-${iface}`,
          generatedRule(`-i ${iface} -j ${FILTER_CHAIN}`, family),
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
