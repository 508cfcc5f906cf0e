import type {
  DockerFirewallBackend,
  DockerNetwork,
  Family,
  IptablesVariant,
  Severity,
} from '../model/index.js';

/**
 * What `dockwall doctor` knows about the host. Gathering (src/host/doctor-facts.ts) fills what it
 * can; every part may be missing, and what could not be read is said in `unread`. The findings are
 * a pure function of these facts.
 */

/** One route, from `ip -j route show table all` (and `ip -6 …`), the local table left out. */
export interface RouteFact {
  family: Family;
  /** Destination prefix with its length (`10.9.9.9/32`); the default route is `0.0.0.0/0` / `::/0`. */
  destination: string;
  /** Outgoing interface; absent for blackhole and similar routes. */
  device?: string;
  via?: string;
  /** Route type when not a plain unicast route: `blackhole`, `unreachable`, `prohibit`, `throw`. */
  type?: string;
  protocol?: string;
  metric?: number;
  /** The routing table, when not `main` (used when an `ip rule` selects it, as VPNs set up). */
  table?: string;
}

/** One `ip rule`: which packets it selects and the table it looks up (or what it does instead). */
export interface RuleFact {
  priority: number;
  /** The table looked up (`main`, `220`, a name from rt_tables); absent for other actions. */
  table?: string;
  /** `unreachable`, `blackhole`, `prohibit`, `goto`, `nop`: what the rule does when not a lookup. */
  action?: string;
  /** Selectors, as prefixes with their length (`10.9.0.0/16`); absent means any. */
  from?: string;
  to?: string;
  fwmark?: string;
  iif?: string;
  oif?: string;
  /** `not`: the rule selects the packets its selectors do not. */
  not?: boolean;
  /** Routes of this length or shorter found by the lookup are ignored (wg-quick's `suppress_prefixlength 0`). */
  suppressPrefixLength?: number;
  /** Selectors dockwall does not judge (`ipproto`, `dport`, `uidrange`, …): the rule selects some packets. */
  otherSelectors?: string[];
}

export type DockerFact =
  | {
      reachable: true;
      serverVersion?: string;
      firewallBackend?: DockerFirewallBackend;
      /** The backend driver name exactly as the daemon reported it. */
      firewallDriver?: string;
      networks: DockerNetwork[];
    }
  | { reachable: false; error: string };

export type DaemonJsonFact =
  | { path: string; state: 'missing' }
  | { path: string; state: 'ok'; config: Record<string, unknown> }
  /** Not valid JSON (or not an object): where the parser stopped, 1-based. */
  | { path: string; state: 'invalid'; error: string; line: number; column: number }
  | { path: string; state: 'unreadable'; error: string };

/** Which iptables the `iptables` command is and where Docker's chains are (see detectVariant). */
export interface VariantFact {
  command: IptablesVariant;
  version?: string;
  docker: IptablesVariant | 'none';
  mismatch: boolean;
  message?: string;
}

/** Whether a firewall manager (ufw, firewalld) is active, and what showed it. */
export interface ServiceFact {
  active: boolean;
  /** The evidence, e.g. `ufw status: active`, `ufw-before-input in iptables-save`. */
  evidence: string;
}

/** What ip6tables' filter table does on the forward path (see summarizeIp6Filter). */
export interface Ip6FilterFact {
  /** Docker's own chains (DOCKER, DOCKER-FORWARD) exist in ip6tables: Docker manages ip6tables. */
  dockerChains: boolean;
  /**
   * DOCKER-USER in ip6tables: absent, only `-j RETURN` (or nothing), holding rules, or holding rules
   * that nothing reaches (FORWARD never jumps there, as with Docker 20.10's ip6tables).
   */
  dockerUser: 'missing' | 'empty' | 'rules' | 'unreached';
  /** The FORWARD policy; absent when ip6tables has no filter table (the kernel then accepts). */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /** Rules in FORWARD that filter and are not Docker's (DROP/REJECT, or a jump to a non-Docker chain). */
  forwardFilters: number;
  /** Rules in FORWARD that accept without naming a Docker bridge (they may open the path wide). */
  forwardAccepts: number;
}

export interface ForwardingFact {
  /** net.ipv4.ip_forward */
  ipv4?: boolean;
  /** net.ipv6.conf.all.forwarding */
  ipv6?: boolean;
}

export interface DoctorFacts {
  /** Routes of both families; absent when `ip` could not be run. */
  routes?: RouteFact[];
  /** `ip rule` per family, in the kernel's order; a family is absent when its rules could not be read. */
  rules?: Partial<Record<Family, RuleFact[]>>;
  docker: DockerFact;
  daemonJson: DaemonJsonFact;
  iptables?: VariantFact;
  ufw?: ServiceFact;
  firewalld?: ServiceFact;
  ip6Filter?: Ip6FilterFact;
  /** nftables tables as `family name` (`ip docker-bridges`); absent when nft could not be run. */
  nftTables?: string[];
  forwarding?: ForwardingFact;
  /** What could not be read, in plain words (reported as notes, not findings). */
  unread: string[];
}

export type FindingCategory = 'routing' | 'iptables' | 'daemon' | 'firewall' | 'ipv6';

/** Something on the host that breaks (or silently weakens) Docker networking, with how to fix it. */
export interface Finding {
  /** Stable identifier, e.g. `subnet-overlap`, `iptables-variant-mismatch`. */
  id: string;
  severity: Severity;
  category: FindingCategory;
  /** What the finding is about when an id can occur more than once (a network name). */
  subject?: string;
  title: string;
  detail: string;
  fix: string;
}

export interface DoctorReport {
  findings: Finding[];
  /** Checks that could not run, and why. */
  notes: string[];
  /** Set when Docker did not answer: nothing found then does not mean nothing is wrong. */
  incomplete?: string;
}
