import { daemonConfig } from './daemon-json.js';
import type { DoctorFacts, Finding } from './facts.js';

/**
 * IPv6 for containers and what guards it. IPv4 rules (DOCKER-USER in iptables, ufw's IPv4 rules)
 * do nothing for IPv6: a host filtered carefully for IPv4 may be wide open over IPv6.
 */

/** Docker gives containers IPv6: a network has it enabled, or daemon.json turns it on. */
export function dockerIpv6Enabled(facts: DoctorFacts): { enabled: boolean; where: string[] } {
  const where: string[] = [];
  if (facts.docker.reachable) {
    for (const n of facts.docker.networks) if (n.enableIPv6) where.push(`network "${n.name}"`);
  }
  if (daemonConfig(facts.daemonJson)['ipv6'] === true) where.push(`"ipv6": true in ${facts.daemonJson.path}`);
  return { enabled: where.length > 0, where };
}

function v6Subnets(facts: DoctorFacts): string[] {
  if (!facts.docker.reachable) return [];
  return facts.docker.networks.flatMap((n) => (n.enableIPv6 ? n.subnets.filter((s) => s.includes(':')) : []));
}

const FILTER_FIX =
  'Filter forwarded IPv6 in ip6tables DOCKER-USER as you do for IPv4: a dockwall policy whose shared filter ' +
  'or `containers:` rules name IPv6 sources covers both families, or write the rules with ' +
  '`ip6tables -I DOCKER-USER …`. If containers need no IPv6, turn it off on the network instead.';

export function ipv6Findings(facts: DoctorFacts): Finding[] {
  const ipv6 = dockerIpv6Enabled(facts);
  const f = facts.ip6Filter;
  if (!ipv6.enabled || !f) return [];
  if (facts.forwarding?.ipv6 === false) return [];
  const protectedByUser = f.dockerUser === 'rules' || f.forwardFilters > 0;
  if (protectedByUser) return [];
  const subnets = v6Subnets(facts);
  const on = `${ipv6.where.join(', ')}${subnets.length > 0 ? ` (${subnets.join(', ')})` : ''}`;

  if (!f.dockerChains) {
    if (f.forwardPolicy === 'DROP') {
      if (f.forwardAccepts > 0) return [];
      return [
        {
          id: 'ipv6-forward-blocked',
          severity: 'warning',
          category: 'ipv6',
          title: 'Docker has IPv6, but ip6tables drops all forwarded IPv6',
          detail:
            `IPv6 is enabled on ${on}, Docker writes no ip6tables rules, and the ip6tables FORWARD policy is DROP ` +
            'with nothing accepting: containers have no IPv6 connectivity beyond the host, and published ports do ' +
            'not answer over IPv6.',
          fix:
            'Let Docker manage ip6tables (`"ip6tables": true` in daemon.json; on Docker before 27 also ' +
            '`"experimental": true`) and restart dockerd, or turn IPv6 off on the networks that do not need it.',
        },
      ];
    }
    return [
      {
        id: 'ipv6-unfiltered',
        severity: 'error',
        category: 'ipv6',
        title: 'Docker has IPv6, but nothing in ip6tables guards it',
        detail:
          `IPv6 is enabled on ${on}, but Docker writes no ip6tables rules (ip6tables management is off: ` +
          '`"ip6tables": false`, or a Docker before 27 without `--ip6tables`), the ip6tables FORWARD policy is ' +
          `${f.forwardPolicy ?? 'ACCEPT (no filter table)'} and no rule filters the forward path. Containers' IPv6 ` +
          'addresses are routed, not NATed: anyone who can route to the subnet reaches every port of every ' +
          'container, published or not. IPv4 rules in DOCKER-USER do not apply to IPv6.',
        fix:
          'Turn on Docker\'s ip6tables management (`"ip6tables": true` in daemon.json; before Docker 27 also ' +
          '`"experimental": true`) and restart dockerd, so only published ports are open. ' +
          FILTER_FIX,
      },
    ];
  }
  if (f.dockerUser === 'unreached') {
    return [
      {
        id: 'ipv6-no-docker-user',
        severity: 'warning',
        category: 'ipv6',
        title: 'ip6tables DOCKER-USER holds rules, but FORWARD never jumps to it',
        detail:
          `IPv6 is enabled on ${on} and Docker manages ip6tables, but no FORWARD rule jumps to DOCKER-USER ` +
          '(Docker before 23 writes none for IPv6): the rules there are skipped, and every published port is ' +
          'open over IPv6 to every source.',
        fix:
          '`dockwall apply` adds the jump (`-A FORWARD -j DOCKER-USER`, tagged dockwall:docker-user) when its ' +
          'policy filters IPv6 in DOCKER-USER, and `dockwall watch` keeps it on top when dockerd restarts; by ' +
          'hand: `ip6tables -I FORWARD -j DOCKER-USER`, again after every dockerd start. Docker 23 and later ' +
          'write the jump themselves.',
      },
    ];
  }
  const missing = f.dockerUser === 'missing';
  return [
    {
      id: 'ipv6-no-docker-user',
      severity: 'warning',
      category: 'ipv6',
      title: missing
        ? 'Docker has IPv6, but ip6tables has no DOCKER-USER chain to filter it'
        : 'Docker has IPv6, but ip6tables DOCKER-USER filters nothing',
      detail:
        `IPv6 is enabled on ${on} and Docker manages ip6tables, so every published port is open over IPv6 to ` +
        'every source. No rule in ip6tables DOCKER-USER or FORWARD restricts who may connect; rules in the ' +
        'IPv4 DOCKER-USER do not apply to IPv6.' +
        (missing ? ' This Docker creates no DOCKER-USER in ip6tables (it does from Docker 23).' : ''),
      fix: missing
        ? 'Upgrade Docker to 23 or later (it then creates ip6tables DOCKER-USER), or put the IPv6 filter in a ' +
          "chain that FORWARD jumps to before Docker's jumps (dockerd moves its jumps back on top at every " +
          'start: `dockwall watch` puts them back in order). ' +
          FILTER_FIX
        : FILTER_FIX,
    },
  ];
}
