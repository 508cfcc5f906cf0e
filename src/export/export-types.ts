import type { ChainPolicy, Diagnostic, Family, IpSet, Rule, SourcePos, TableName } from '../model/index.js';

/** One rule to export, in canonical form (what iptables-save would print). */
export interface ExportRule {
  rule: Rule;
  /** How diagnostics name the rule: the policy's rule name, or `#N` (its position) for a dump. */
  label: string;
  pos?: SourcePos;
}

export interface ExportChain {
  table: TableName;
  name: string;
  builtin: boolean;
  /** The default policy to set (built-in chains); absent: the source does not say. */
  policy?: ChainPolicy;
  rules: ExportRule[];
  pos?: SourcePos;
}

export interface ExportFamily {
  family: Family;
  /** Chains by table (raw, mangle, nat, filter, security), each table in declaration order. */
  chains: ExportChain[];
}

/**
 * What an exporter translates: either the rules a policy compiles to (dockwall's chains and rules
 * only) or a whole saved rule set (every chain, Docker's included).
 */
export interface ExportSource {
  origin: 'policy' | 'dump';
  /** The file the source was read from, named in the output's header. */
  file: string;
  families: ExportFamily[];
  sets: IpSet[];
}

/** One file of an export: where it is meant to be installed, and its text. */
export interface ExportPart {
  path: string;
  text: string;
  /** One line saying what the file is and how it is used. */
  description: string;
}

export interface ExportResult {
  /** Absent when an error made the export unusable. */
  parts?: ExportPart[];
  diagnostics: Diagnostic[];
}

/** Where the exported files are meant to live; the boot units name these paths. */
export const INSTALL_PATHS = {
  restoreV4: '/etc/dockwall/iptables.rules',
  restoreV6: '/etc/dockwall/ip6tables.rules',
  ipsets: '/etc/dockwall/ipsets.save',
  restoreUnit: '/etc/systemd/system/dockwall-restore.service',
  ferm: '/etc/ferm/ferm.conf',
  nft: '/etc/dockwall/dockwall.nft',
  pf: '/etc/pf.anchors/dockwall',
  plist: '/Library/LaunchDaemons/org.dockwall.pfctl.plist',
} as const;

export function familyLabel(family: Family): string {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

/** `ipv4 filter INPUT rule "allow_ssh"`: how diagnostics name a rule. */
export function ruleWhere(family: Family, chain: ExportChain, r: ExportRule): string {
  return `${family} ${chain.table} ${chain.name} rule ${r.label.startsWith('#') ? r.label : `"${r.label}"`}`;
}
