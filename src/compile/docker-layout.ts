import type { Diagnostic, Family, HostState, Ruleset, SourcePos } from '../model/index.js';
import { diag } from '../model/index.js';

/** Which of Docker's rule layouts a host shows, told from the chain names Docker created. */
export type DockerLayout =
  | { kind: 'none'; description: string }
  | { kind: 'iptables'; generation: 'pre-17.06' | '17.06-27' | '28' | '29'; description: string }
  | { kind: 'nftables'; description: string };

/**
 * `filterChains`: chain names of the filter table (either family); `nftTables`: names of nftables
 * tables (`ip docker-bridges` means Docker's nftables backend, Docker 29+).
 */
export function detectDockerLayout(
  filterChains: readonly string[],
  nftTables: readonly string[] = [],
): DockerLayout {
  const has = (c: string) => filterChains.includes(c);
  if (nftTables.some((t) => /\bdocker-bridges$/.test(t))) {
    return {
      kind: 'nftables',
      description:
        "Docker's nftables backend (29+, tables ip/ip6 docker-bridges): there is no DOCKER-USER chain; what a policy puts in DOCKER-USER goes into dockwall's own nftables tables ip/ip6 dockwall (forward hook, before Docker's)",
    };
  }
  if (has('DOCKER-FORWARD') && !has('DOCKER-ISOLATION-STAGE-1')) {
    return {
      kind: 'iptables',
      generation: '29',
      description:
        'Docker 29 iptables layout: DOCKER-USER, DOCKER-FORWARD, DOCKER-CT, DOCKER-BRIDGE, DOCKER-INTERNAL; no isolation chains',
    };
  }
  if (has('DOCKER-FORWARD')) {
    return {
      kind: 'iptables',
      generation: '28',
      description:
        'Docker 28 layout: FORWARD → DOCKER-USER, DOCKER-FORWARD (DOCKER-CT, DOCKER-ISOLATION-STAGE-1/2, DOCKER-BRIDGE); raw PREROUTING drops direct access to containers',
    };
  }
  if (has('DOCKER-ISOLATION-STAGE-1')) {
    return {
      kind: 'iptables',
      generation: '17.06-27',
      description:
        'Docker 17.06–27 layout: FORWARD → DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2, per-bridge rules, DOCKER',
    };
  }
  if (has('DOCKER') || has('DOCKER-ISOLATION')) {
    return {
      kind: 'iptables',
      generation: 'pre-17.06',
      description: 'Docker before 17.06: no DOCKER-USER chain (Docker does not jump to it)',
    };
  }
  return {
    kind: 'none',
    description:
      'no Docker chains: dockerd is not running with iptables here, or uses the other iptables variant',
  };
}

/** Docker's iptables chains are in this rule set's filter table. */
export function hasDockerChains(rs: Ruleset): boolean {
  const names = rs.tables.find((t) => t.name === 'filter')?.chains.map((c) => c.name) ?? [];
  return detectDockerLayout(names).kind === 'iptables';
}

/**
 * Whether Docker's chains are in a family's filter table: as the live reader's chain listing saw it
 * (it reads only some chains), else from the chains the state holds.
 */
export function dockerChainsIn(state: HostState, family: Family): boolean {
  const rs = state.rulesets[family];
  return state.dockerChainsPresent?.[family] ?? (rs !== undefined && hasDockerChains(rs));
}

/**
 * A dump from iptables-nft says "iptables-legacy tables present": the kernel runs a second set of
 * tables the dump cannot show. When the dump has none of Docker's chains, Docker most likely writes
 * to those (dockerd uses whichever iptables is first on its PATH), and a DOCKER-USER planned here
 * would never see Docker's traffic: FORWARD of the legacy tables decides it.
 */
export function otherVariantWarning(rs: Ruleset, pos?: SourcePos): Diagnostic | undefined {
  if (!rs.legacyTablesPresent) return undefined;
  const save = rs.family === 'ipv6' ? 'ip6tables-legacy-save' : 'iptables-legacy-save';
  const message = hasDockerChains(rs)
    ? `this dump says iptables-legacy tables are present too: their rules run in the kernel as well, and this dump cannot show them (a leftover of an earlier Docker or firewall?)`
    : `this dump says iptables-legacy tables are present and holds none of Docker's chains: Docker most likely writes its rules with iptables-legacy, where rules planned from this dump are never reached (a DOCKER-USER here does not filter Docker's traffic)`;
  return diag('warning', 'state.other-variant-tables', message, pos, {
    hint: `plan against \`${save}\` output, or run dockwall on the host, where it uses the variant Docker's chains are in`,
  });
}
