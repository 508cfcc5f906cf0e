import type { MatchModule, Rule, RuleOption, TableName } from '../model/index.js';

export type DockerRuleConversion = { rule: Rule; explanation: string } | { leftOut: string };

const KEPT_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'LOG', 'NFLOG']);

function option(name: string, value: string): RuleOption {
  return { name, negated: false, args: [{ text: value, quoted: false }] };
}

/**
 * A rule pyfw put in Docker's filter DOCKER chain, rewritten for DOCKER-USER.
 *
 * Docker's FORWARD sends a packet to DOCKER only when it is leaving through a Docker bridge and is
 * not part of an established connection (Docker accepts those first). DOCKER-USER comes before all
 * of that and sees every forwarded packet, including the replies to connections containers opened
 * themselves. The rewritten rule adds `-m conntrack --ctstate DNAT`: it then matches only
 * connections Docker's DNAT rewrote, i.e. traffic to published ports, which is what rules in
 * DOCKER are about. A rule without its own `-o` also gets `--ctdir ORIGINAL`, so that the
 * container's answers (which are DNAT connections too) are not matched.
 *
 * A rule meant for the top of filter FORWARD (where pyfw and `dockwall apply` put theirs) is
 * handled too, for a file that cannot write FORWARD (ferm preserves it): see `forwardRuleToUser`.
 */
export function dockerRuleToUser(table: TableName, chain: string, rule: Rule): DockerRuleConversion {
  if (table === 'filter' && chain === 'FORWARD') return forwardRuleToUser(rule);
  if (table !== 'filter' || chain !== 'DOCKER') {
    return {
      leftOut:
        table === 'nat'
          ? `rules in Docker's nat ${chain} chain (its port mappings) have no place in DOCKER-USER; publish the port with Docker or describe access under \`containers:\``
          : `${table} ${chain} is Docker's chain; a rule there cannot be moved to DOCKER-USER with the same meaning`,
    };
  }
  const t = rule.target;
  if (t && (t.kind === 'goto' || !KEPT_TARGETS.has(t.name))) {
    return {
      leftOut: `the rule ends in ${t.kind === 'goto' ? '-g' : '-j'} ${t.name}, which means something else in DOCKER-USER than in DOCKER (DOCKER-USER returns to Docker's rules)`,
    };
  }
  const towardsBridge = rule.generic.some((o) => o.name === '-o' && !o.negated);
  const ct: MatchModule = { name: 'conntrack', options: [option('--ctstate', 'DNAT')] };
  if (!towardsBridge) ct.options.push(option('--ctdir', 'ORIGINAL'));
  const converted: Rule = {
    generic: rule.generic,
    matches: [ct, ...rule.matches.filter((m) => m.name !== 'comment')],
    target: rule.target,
  };
  const parts = [
    'Moved from DOCKER, which dockerd flushes whenever it restarts, to DOCKER-USER.',
    'In DOCKER the rule saw only new packets forwarded out through a Docker bridge (Docker accepts established traffic first);',
    'DOCKER-USER sees every forwarded packet, so `-m conntrack --ctstate DNAT` limits the rule to connections',
    "Docker's DNAT rewrote: packets to published container ports.",
  ];
  if (!towardsBridge)
    parts.push(
      "The rule has no `-o`, so `--ctdir ORIGINAL` keeps it to packets from the client, not the container's answers.",
    );
  parts.push(
    'Packets routed straight to a container address, without DNAT, were matched in DOCKER and are not now.',
  );
  if (t?.name === 'ACCEPT') parts.push("ACCEPT in DOCKER-USER also skips Docker's isolation rules.");
  return { rule: converted, explanation: parts.join(' ') };
}

/**
 * A rule meant for the top of filter FORWARD, rewritten for DOCKER-USER. Docker's FORWARD jumps to
 * DOCKER-USER first (and puts that jump back on top whenever dockerd restarts), so the unchanged rule
 * sees the same packets there, still before Docker's rules. Only its ending can differ: RETURN (and
 * the end of a chain reached by -g) means FORWARD's policy at the top of FORWARD, but Docker's
 * rules in DOCKER-USER.
 */
function forwardRuleToUser(rule: Rule): DockerRuleConversion {
  const t = rule.target;
  if (t && (t.kind === 'goto' || t.name === 'RETURN')) {
    return {
      leftOut: `the rule ends in ${t.kind === 'goto' ? '-g' : '-j'} ${t.name}, which in FORWARD falls to FORWARD's policy but in DOCKER-USER hands the packet to Docker's rules`,
    };
  }
  return {
    rule: { ...rule, matches: rule.matches.filter((m) => m.name !== 'comment') },
    explanation:
      "Moved from the top of FORWARD to DOCKER-USER, which Docker's FORWARD enters first: the rule sees the same packets, still before Docker's rules, and stays first when dockerd restarts and puts its own jumps back on top of FORWARD.",
  };
}
