import type { Family } from '../model/index.js';
import { MATCH_SPECS, matchName } from './match-specs.js';
import { TARGET_SPECS } from './target-specs.js';

/**
 * The match modules and targets iptables 1.8.9 ships (its libxt_*, libipt_* and libip6t_*
 * extensions), by family. dockwall knows the options of some (match-specs.ts, target-specs.ts);
 * the others are kept as written but are still names iptables loads. A `-m` or `-j` name outside
 * these lists is a typo or an extension from elsewhere (xtables-addons), which a policy lists
 * under `extensions:` and which is then checked on the live host.
 */

const BOTH_MATCHES = (
  'addrtype ah bpf cgroup cluster comment connbytes connlabel connlimit connmark conntrack cpu ' +
  'dccp devgroup dscp ecn esp hashlimit helper ipcomp iprange ipvs length limit mac mark ' +
  'multiport nfacct osf owner physdev pkttype policy quota rateest recent rpfilter sctp set ' +
  'socket state statistic string tcp tcpmss time tos u32 udp'
).split(' ');
const IPV4_MATCHES = ['icmp', 'realm', 'ttl'];
const IPV6_MATCHES = ['dst', 'eui64', 'frag', 'hbh', 'hl', 'icmp6', 'ipv6header', 'mh', 'rt', 'srh'];

/** ACCEPT, DROP, RETURN and QUEUE are iptables' own verdicts, not extensions. */
const BOTH_TARGETS = (
  'ACCEPT DROP RETURN QUEUE AUDIT CHECKSUM CLASSIFY CONNMARK CONNSECMARK CT DNAT DSCP HMARK ' +
  'IDLETIMER LED LOG MARK MASQUERADE NETMAP NFLOG NFQUEUE NOTRACK RATEEST REDIRECT REJECT ' +
  'SECMARK SET SNAT SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE'
).split(' ');
const IPV4_TARGETS = ['CLUSTERIP', 'ECN', 'TTL', 'ULOG'];
const IPV6_TARGETS = ['DNPT', 'HL', 'SNPT'];

function byFamily(
  both: string[],
  v4: string[],
  v6: string[],
  known: Iterable<string>,
): Record<Family, Set<string>> {
  const all = [...both, ...known];
  return { ipv4: new Set([...all, ...v4]), ipv6: new Set([...all, ...v6]) };
}

const MATCHES = byFamily(
  BOTH_MATCHES,
  IPV4_MATCHES,
  IPV6_MATCHES,
  [...MATCH_SPECS.values()].filter((s) => !s.family).map((s) => s.name),
);
const TARGETS = byFamily(
  BOTH_TARGETS,
  IPV4_TARGETS,
  IPV6_TARGETS,
  [...TARGET_SPECS.values()].filter((s) => !s.family).map((s) => s.name),
);

/** Whether iptables of `family` ships a match module of this name (`icmpv6` is `icmp6`). */
export function isKnownMatch(name: string, family: Family): boolean {
  return MATCHES[family].has(matchName(name));
}

/** Whether iptables of `family` ships a target of this name (ACCEPT, LOG, …; not a chain). */
export function isKnownTarget(name: string, family: Family): boolean {
  return TARGETS[family].has(name);
}

/** The known names, for "did you mean" hints. */
export function knownMatches(family: Family): readonly string[] {
  return [...MATCHES[family]];
}

export function knownTargets(family: Family): readonly string[] {
  return [...TARGETS[family]];
}
