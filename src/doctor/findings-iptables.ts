import { DOCKER_ACCEPT_MARK } from '../backend/nftables/for-nftables.js';
import { daemonConfig } from './daemon-json.js';
import type { DoctorFacts, Finding } from './facts.js';

/**
 * How Docker's packet filtering is set up: which iptables holds its chains, whether it writes any
 * rules at all, whether it uses nftables instead, and whether the kernel forwards.
 */

function toolName(v: 'legacy' | 'nf_tables'): string {
  return v === 'legacy' ? 'iptables-legacy' : 'iptables-nft';
}

/** Docker's nftables tables (backend `nftables`, Docker 29+). */
export function hasDockerNftTables(facts: DoctorFacts): boolean {
  return (facts.nftTables ?? []).some((t) => /^ip6? docker-bridges$/.test(t));
}

/** Docker is on this host: it answers, or its chains or tables are there. */
export function dockerPresent(facts: DoctorFacts): boolean {
  return (
    facts.docker.reachable ||
    (facts.iptables !== undefined && facts.iptables.docker !== 'none') ||
    hasDockerNftTables(facts)
  );
}

function usesNftables(facts: DoctorFacts): boolean {
  const config = daemonConfig(facts.daemonJson);
  return (
    (facts.docker.reachable && facts.docker.firewallBackend === 'nftables') ||
    hasDockerNftTables(facts) ||
    config['firewall-backend'] === 'nftables'
  );
}

export function variantFindings(facts: DoctorFacts): Finding[] {
  const v = facts.iptables;
  if (!v || v.docker === 'none') return [];
  if (v.mismatch) {
    const theirs = v.docker;
    return [
      {
        id: 'iptables-variant-mismatch',
        severity: 'error',
        category: 'iptables',
        title: `Docker's chains are in the ${theirs} tables, but \`iptables\` is ${v.command}`,
        detail:
          `The kernel runs both the legacy and the nf_tables iptables, but each tool sees only its own tables. ` +
          `Docker wrote its chains (DOCKER, DOCKER-USER, …) with ${toolName(theirs)}; \`iptables\`, and every ` +
          `script or tool that calls it, reads and writes the ${v.command} tables. Rules added there never see ` +
          `Docker's, \`iptables -L\` does not show them, and a DROP in one can still lose to an ACCEPT in the other.`,
        fix:
          `Make both use the same variant. Either point the alternatives at ${theirs} ` +
          `(\`update-alternatives --set iptables /usr/sbin/${toolName(theirs)}\` and the same for ip6tables), or ` +
          `keep ${v.command} and restart dockerd so it writes its chains there (it uses the \`iptables\` first on ` +
          `its PATH), then remove the stale copy (\`${toolName(theirs)}-save\` shows it). Until then, run dockwall ` +
          `and other tools with ${toolName(theirs)}.`,
      },
    ];
  }
  if (v.message) {
    const otherVariant = v.command === 'legacy' ? 'nf_tables' : 'legacy';
    return [
      {
        id: 'iptables-variant-leftovers',
        severity: 'warning',
        category: 'iptables',
        title: `Docker's chains exist in both the ${v.command} and the ${otherVariant} tables`,
        detail:
          `${v.message} Its rules (port forwards, DROPs, ACCEPTs for old container addresses) still apply to ` +
          `every packet, although no tool that uses \`iptables\` shows them.`,
        fix:
          `Once nothing else uses the ${otherVariant} tables, flush them: \`${toolName(otherVariant)}-save\` ` +
          `shows what is there; \`for t in filter nat mangle raw; do ${toolName(otherVariant)} -t $t -F; ` +
          `${toolName(otherVariant)} -t $t -X; done\` removes it (a reboot does too).`,
      },
    ];
  }
  return [];
}

/**
 * Docker's nftables backend: dockwall handles it (its own nftables tables before Docker's); what the
 * user must set is forwarding (dockerd does not switch it on with this backend) and, for rules that
 * accept forwarded packets, the mark Docker's own forward rules accept.
 */
function nftablesBackendFinding(facts: DoctorFacts, config: Record<string, unknown>): Finding {
  const mark = config['bridge-accept-fwmark'];
  const forwardingOff = facts.forwarding?.ipv4 === false || facts.forwarding?.ipv6 === false;
  const markMissing = mark !== DOCKER_ACCEPT_MARK;
  const todo: string[] = [];
  if (forwardingOff) {
    const which = [
      facts.forwarding?.ipv4 === false ? 'net.ipv4.ip_forward=1' : '',
      facts.forwarding?.ipv6 === false ? 'net.ipv6.conf.all.forwarding=1' : '',
    ].filter(Boolean);
    todo.push(
      `switch forwarding on, which dockerd does not do with this backend: \`sysctl -w ${which.join(' ')}\`, and the ` +
        'same in /etc/sysctl.d/99-docker.conf so it lasts',
    );
  }
  if (markMissing) {
    todo.push(
      `start dockerd with the mark dockwall sets on packets its rules accept: \`"bridge-accept-fwmark": ` +
        `"${DOCKER_ACCEPT_MARK}"\` in ${facts.daemonJson.path} (or --bridge-accept-fwmark=${DOCKER_ACCEPT_MARK}), ` +
        `then restart dockerd; ${mark === undefined ? 'it is not set there' : `it is ${JSON.stringify(mark)} there`}. ` +
        "Without it, an ACCEPT under DOCKER-USER lets a packet on to Docker's rules instead of past them " +
        '(DROP, REJECT and the shared filter work either way)',
    );
  }
  return {
    id: 'nftables-backend',
    severity: forwardingOff ? 'error' : markMissing ? 'warning' : 'info',
    category: 'iptables',
    title: "Docker uses its nftables backend: dockwall writes its own nftables tables before Docker's",
    detail:
      'With the nftables firewall backend, Docker keeps its rules in the nftables tables `ip docker-bridges` and ' +
      '`ip6 docker-bridges`, rebuilt from scratch at every start, and there is no DOCKER-USER chain: rules put ' +
      'there by other tools (ufw-docker, hand-written ones) do nothing. dockwall handles this backend: what a ' +
      'policy puts in DOCKER-USER (its own rules, the shared filter, containers:) goes into its own tables ' +
      '`ip dockwall` and `ip6 dockwall`, a base chain on the forward hook at priority filter - 10, before ' +
      "Docker's; INPUT rules stay iptables rules. " +
      (todo.length === 0 ? "Forwarding is on and dockerd accepts dockwall's mark: nothing to set." : ''),
    fix:
      todo.length > 0
        ? `${todo.map((t) => t[0]!.toUpperCase() + t.slice(1)).join('. ')}.`
        : 'Nothing: run `dockwall apply` (or `watch`) as on any other host.',
  };
}

/** What follows when Docker writes no iptables rules. */
const WITHOUT_DOCKER_RULES =
  'Two things follow. If nothing else adds NAT rules, nothing is NATed: containers reach nothing beyond the host (their ' +
  'private source addresses are not masqueraded), and published ports work only through docker-proxy, ' +
  'which makes every connection appear to come from the host. If you add your own MASQUERADE/DNAT rules ' +
  'instead, the forwarded traffic to containers passes FORWARD, not INPUT: every published port then ' +
  'bypasses the INPUT rules that guard the host (ufw, firewalld, your own), and there is no DOCKER-USER for ' +
  'dockwall or anyone else to filter in.';

export function dockerIptablesFindings(facts: DoctorFacts): Finding[] {
  const findings: Finding[] = [];
  const config = daemonConfig(facts.daemonJson);
  const nft = usesNftables(facts);
  if (config['iptables'] === false) {
    const stillThere =
      facts.iptables && facts.iptables.docker !== 'none'
        ? ` Docker's chains are still in the ${facts.iptables.docker} tables: dockerd has not been restarted since ` +
          `the setting was made, or they are left over from before it.`
        : '';
    findings.push({
      id: 'iptables-disabled',
      severity: 'warning',
      category: 'daemon',
      title: `${facts.daemonJson.path} sets "iptables": false`,
      detail:
        'With "iptables": false, dockerd writes no rules at all: no NAT, no filter, no DOCKER-USER. ' +
        WITHOUT_DOCKER_RULES +
        stillThere,
      fix:
        `Remove "iptables": false from ${facts.daemonJson.path} and restart dockerd, so Docker NATs and isolates ` +
        'its networks itself; filter published ports in DOCKER-USER instead (a dockwall policy with a shared ' +
        'filter or `containers:` rules does that), or bind ports to 127.0.0.1 when only the host should reach them.',
    });
  } else if (
    facts.docker.reachable &&
    !nft &&
    facts.iptables?.docker === 'none' &&
    facts.docker.networks.some((n) => n.driver === 'bridge')
  ) {
    findings.push({
      id: 'docker-chains-missing',
      severity: 'error',
      category: 'iptables',
      title: 'dockerd runs, but its chains are in neither iptables variant',
      detail:
        'Docker has bridge networks but no DOCKER chains exist in the legacy or the nf_tables tables: dockerd was ' +
        'started with --iptables=false, or its rules were flushed after it started (`iptables -F`, `nft flush ' +
        'ruleset`, a firewall reload). ' +
        WITHOUT_DOCKER_RULES,
      fix:
        'Restart dockerd (it recreates its chains on start) and remove --iptables=false from its command line or ' +
        'unit; do not flush the whole ruleset while Docker runs (`dockwall apply` never does).',
    });
  }
  if (nft) findings.push(nftablesBackendFinding(facts, config));
  const bridged = facts.docker.reachable && facts.docker.networks.some((n) => n.driver === 'bridge');
  if (facts.forwarding?.ipv4 === false && bridged && !nft) {
    findings.push({
      id: 'ip-forward-off',
      severity: 'error',
      category: 'daemon',
      title: 'IPv4 forwarding is off (net.ipv4.ip_forward = 0)',
      detail:
        'The kernel does not forward packets between interfaces: containers on bridge networks reach nothing ' +
        'beyond the host, and published ports are reachable only through docker-proxy. dockerd turns forwarding ' +
        'on when it starts, unless "ip-forward": false or "iptables": false is set; something reset it since.',
      fix:
        'Turn it on (`sysctl -w net.ipv4.ip_forward=1`) and keep it on across boots (`net.ipv4.ip_forward = 1` ' +
        'in /etc/sysctl.d/99-docker.conf); look for whatever turned it off (a hardening profile, a network manager).',
    });
  }
  return findings;
}
