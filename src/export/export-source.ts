import type { DesiredState } from '../compile/index.js';
import { DOCKER_USER, isDockerChain } from '../compile/index.js';
import type { Diagnostic, HostState, TableName } from '../model/index.js';
import { diag } from '../model/index.js';
import { FAMILIES, TABLES, isBuiltinChain } from '../model/index.js';
import { canonicalRule, commentOf } from '../parse/index.js';
import type { ExportChain, ExportFamily, ExportSource } from './export-types.js';

/** The rules a policy compiles to: dockwall's own chains and rules, nothing of Docker's. */
export function sourceFromDesired(desired: DesiredState, file: string): ExportSource {
  const families: ExportFamily[] = [];
  for (const family of FAMILIES) {
    const chains: ExportChain[] = [];
    for (const table of TABLES) {
      for (const c of desired.chains) {
        if (c.family !== family || c.table !== table) continue;
        const chain: ExportChain = {
          table,
          name: c.chain,
          builtin: isBuiltinChain(table, c.chain),
          rules: c.rules.map((r) => ({
            rule: canonicalRule(r.rule, family),
            label: r.name,
            ...(r.pos ? { pos: r.pos } : {}),
          })),
        };
        if (c.policy) chain.policy = c.policy;
        if (c.policyPos) chain.pos = c.policyPos;
        chains.push(chain);
      }
    }
    if (chains.length > 0) families.push({ family, chains });
  }
  return { origin: 'policy', file, families, sets: desired.sets };
}

/** A whole saved rule set (iptables-save output per family, and `ipset save` output). */
export function sourceFromState(state: HostState, file: string): ExportSource {
  const families: ExportFamily[] = [];
  for (const family of FAMILIES) {
    const rs = state.rulesets[family];
    if (!rs) continue;
    const chains: ExportChain[] = [];
    for (const table of TABLES) {
      const t = rs.tables.find((x) => x.name === table);
      if (!t) continue;
      for (const c of t.chains) {
        const builtin = isBuiltinChain(table, c.name);
        const chain: ExportChain = {
          table,
          name: c.name,
          builtin,
          rules: c.rules.map((r, i) => {
            const tag = commentOf(r);
            return {
              rule: canonicalRule(r, family),
              label: tag !== undefined ? `#${i + 1} (${tag})` : `#${i + 1}`,
              ...(r.pos ? { pos: r.pos } : {}),
            };
          }),
        };
        if (builtin && c.policy) chain.policy = c.policy;
        if (c.pos) chain.pos = c.pos;
        chains.push(chain);
      }
    }
    families.push({ family, chains });
  }
  return { origin: 'dump', file, families, sets: state.sets.sets };
}

/**
 * Built-in chains Docker writes its own rules into: the jumps to its chains (FORWARD, nat
 * PREROUTING/OUTPUT), masquerading (POSTROUTING) and, from Docker 28, the raw PREROUTING rules that
 * stop direct access to container addresses. A file that flushes one of these removes Docker's rules.
 */
const DOCKER_BUILTINS: ReadonlyArray<readonly [TableName, string]> = [
  ['filter', 'FORWARD'],
  ['nat', 'PREROUTING'],
  ['nat', 'OUTPUT'],
  ['nat', 'POSTROUTING'],
  ['raw', 'PREROUTING'],
];

export function isDockerBuiltin(table: TableName, chain: string): boolean {
  return DOCKER_BUILTINS.some(([t, c]) => t === table && c === chain);
}

/**
 * Chains of the source that belong to Docker: its own chains, and the built-in chains it writes into.
 * From a policy the built-ins count whatever the host; from a dump only when the dump shows Docker's
 * chains in that family (a host without Docker owns its FORWARD chain).
 */
export function dockerOwns(
  source: ExportSource,
  fam: ExportFamily,
  table: TableName,
  chain: string,
): boolean {
  if (isDockerChain(chain)) return true;
  if (!isDockerBuiltin(table, chain)) return false;
  return source.origin === 'policy' || fam.chains.some((c) => isDockerChain(c.name));
}

/** Names of the chains of `family`/`table` in the source. */
export function chainNames(fam: ExportFamily, table: TableName): Set<string> {
  return new Set(fam.chains.filter((c) => c.table === table).map((c) => c.name));
}

export function tablesOf(fam: ExportFamily): TableName[] {
  return TABLES.filter((t) => fam.chains.some((c) => c.table === t));
}

/**
 * Rules a policy puts in ip6tables DOCKER-USER run only if FORWARD jumps there, and Docker before 23
 * writes no such jump for IPv6. `apply` and `watch` add one; a file written for iptables cannot know
 * whether it will be needed, so it says so.
 */
export function ipv6DockerUserWarnings(source: ExportSource): Diagnostic[] {
  if (source.origin !== 'policy') return [];
  const v6 = source.families.find((f) => f.family === 'ipv6');
  const user = v6?.chains.find((c) => c.table === 'filter' && c.name === DOCKER_USER);
  if (!user || user.rules.length === 0) return [];
  return [
    diag(
      'warning',
      'export.ipv6-docker-user-jump',
      'ip6tables DOCKER-USER is reached only if FORWARD jumps to it, and Docker before 23 writes no such jump for IPv6: on such a host these rules are skipped. `dockwall apply` and `watch` add the jump where it is missing; a file cannot know',
    ),
  ];
}
