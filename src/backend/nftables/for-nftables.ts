import { DOCKER_USER, isDockerChain, type DesiredChain, type DesiredState } from '../../compile/index.js';
import { FORWARD_PRIORITY, buildNftTable, type NftChainInput } from '../../export/nft-table.js';
import type { ExportRule } from '../../export/export-types.js';
import { dockerRuleToUser } from '../../migrate/docker-chain-rule.js';
import type { Diagnostic, Family, NftTableSpec } from '../../model/index.js';
import { NFT_TABLE, diag } from '../../model/index.js';
import { canonicalRule, withComment } from '../../parse/index.js';

/**
 * The mark dockwall sets on packets a forward rule accepts, so that Docker's own forward rules accept
 * them too: dockerd must run with `--bridge-accept-fwmark` set to this (daemon.json
 * `"bridge-accept-fwmark": "0x10000000/0x10000000"`). One bit, kept apart from the marks VPNs and
 * Kubernetes use; the other bits of a packet's mark are left as they are.
 */
export const DOCKER_ACCEPT_MARK = '0x10000000/0x10000000';

/** dockwall's base chain on the forward hook, before Docker's `filter-FORWARD` (priority filter, 0). */
export const NFT_FORWARD_CHAIN = 'forward';

/** What the nftables writer keeps: its tables, for the families the policy manages. */
export interface NftDesired {
  tables: NftTableSpec[];
  families: Family[];
}

/**
 * The desired state for a host where Docker runs its nftables backend (Docker 29+): there is no
 * DOCKER-USER, no DOCKER chain, and Docker's forward rules are nftables base chains. So:
 * - DOCKER-USER's rules (the policy's own, the shared filter's, `containers:`'s jump) become dockwall's
 *   base chain `forward` in its own tables `ip dockwall` / `ip6 dockwall`, at priority filter - 10,
 *   with every chain they jump to; a chain also entered from INPUT (the shared filter) stays in
 *   iptables as well;
 * - rules a pyfw file puts in Docker's DOCKER chain are moved there as `import pyfw` moves them to
 *   DOCKER-USER; a native policy's rules in Docker's chains are an error that says what to write;
 * - INPUT, OUTPUT and the other built-in chains stay iptables rules: iptables-nft writes them into
 *   its own tables, beside Docker's, and they work as before. FORWARD's policy stays Docker's (its
 *   DROP would be final for every container packet).
 */
export function forNftablesBackend(desired: DesiredState): {
  desired: DesiredState;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const keep: DesiredChain[] = [];
  const tables: NftTableSpec[] = [];
  const sets = new Map(desired.sets.map((s) => [s.name, s]));
  for (const family of desired.families) {
    const chains = desired.chains.filter((c) => c.family === family);
    const moved = (c: DesiredChain) =>
      c.table === 'filter' && (c.chain === DOCKER_USER || isDockerChain(c.chain));
    const forward: ExportRule[] = [];
    for (const c of chains.filter((x) => x.table === 'filter' && x.chain === DOCKER_USER)) {
      for (const r of c.rules) forward.push(exportRule(r.rule, r.name, family, r.pos));
    }
    for (const c of chains) {
      if (!isDockerChain(c.chain) || c.rules.length === 0) continue;
      for (const r of c.rules) forward.push(...fromDockerChain(c, r, family, diagnostics));
    }
    const byName = new Map(chains.filter((c) => c.table === 'filter').map((c) => [c.chain, c]));
    const fromForward = reach(
      forward.map((r) => r.rule.target?.name),
      byName,
    );
    const fromKept = reach(
      chains
        .filter((c) => c.table === 'filter' && !moved(c) && !fromForward.has(c.chain))
        .flatMap((c) => [c.chain, ...c.rules.map((r) => r.rule.target?.name)]),
      byName,
    );
    for (const c of chains) {
      if (moved(c) || (c.table !== 'filter' && isDockerChain(c.chain))) continue;
      if (c.table === 'filter' && fromForward.has(c.chain) && !fromKept.has(c.chain)) continue;
      if (c.table === 'filter' && c.chain === 'FORWARD') {
        keep.push(forwardStaysDockers(c, diagnostics));
        continue;
      }
      keep.push(c);
    }
    if (forward.length === 0) continue;
    const inputs: NftChainInput[] = [
      {
        name: NFT_FORWARD_CHAIN,
        hook: { type: 'filter', hook: 'forward', priority: FORWARD_PRIORITY, policy: 'accept' },
        rules: forward,
        where: (r) => `${family} filter DOCKER-USER rule "${r.label}"`,
      },
    ];
    for (const name of fromForward) {
      const c = byName.get(name)!;
      inputs.push({
        name,
        rules: c.rules.map((r) => exportRule(r.rule, r.name, family, r.pos)),
        where: (r) => `${family} filter ${name} rule "${r.label}"`,
      });
    }
    tables.push(
      buildNftTable(family, NFT_TABLE, inputs, sets, diagnostics, {
        identify: true,
        acceptMark: DOCKER_ACCEPT_MARK,
      }),
    );
  }
  if (tables.length > 0) {
    diagnostics.push(
      diag(
        'info',
        'plan.nft-backend',
        `Docker runs its nftables backend here: rules for forwarded traffic (DOCKER-USER, the shared filter, containers:) go into dockwall's own nftables tables (${tables.map((t) => `${t.family === 'ipv4' ? 'ip' : 'ip6'} ${t.name}`).join(', ')}; base chain forward at priority filter ${FORWARD_PRIORITY}, before Docker's); INPUT and the other built-in chains stay iptables rules, which iptables-nft keeps beside Docker's tables`,
      ),
    );
  }
  return {
    desired: {
      ...desired,
      chains: keep,
      nft: { tables, families: desired.families },
    },
    diagnostics,
  };
}

function exportRule(
  rule: ExportRule['rule'],
  label: string,
  family: Family,
  pos: ExportRule['pos'],
): ExportRule {
  const r: ExportRule = { rule: canonicalRule(rule, family), label };
  if (pos) r.pos = pos;
  return r;
}

/** Chains reached from these names through jumps and gotos, the names themselves included. */
function reach(start: Array<string | undefined>, byName: Map<string, DesiredChain>): Set<string> {
  const seen = new Set<string>();
  const todo = start.filter((n): n is string => !!n && byName.has(n));
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (seen.has(n) || n === DOCKER_USER || isDockerChain(n)) continue;
    seen.add(n);
    for (const r of byName.get(n)!.rules) {
      const t = r.rule.target?.name;
      if (t && byName.has(t)) todo.push(t);
    }
  }
  return seen;
}

/** A rule of Docker's chain: a pyfw rule moved to the forward chain, anything else an error. */
function fromDockerChain(
  c: DesiredChain,
  r: DesiredChain['rules'][number],
  family: Family,
  diagnostics: Diagnostic[],
): ExportRule[] {
  const instead =
    'write it under DOCKER-USER (dockwall puts DOCKER-USER into its own nftables forward chain), or describe the access with filter: or containers:';
  if (r.identity !== 'own-comment') {
    diagnostics.push(
      diag(
        'error',
        'plan.nft-docker-chain',
        `rule "${r.name}" is in Docker's ${c.table} ${c.chain} chain, which Docker's nftables backend does not have: nothing would ever enter it; ${instead}`,
        r.pos,
      ),
    );
    return [];
  }
  const conv = dockerRuleToUser(c.table, c.chain, r.rule);
  if ('leftOut' in conv) {
    diagnostics.push(
      diag(
        'error',
        'plan.nft-docker-chain',
        `pyfw rule "${r.name}" in Docker's ${c.table} ${c.chain} chain cannot be kept with Docker's nftables backend: ${conv.leftOut}`,
        r.pos,
      ),
    );
    return [];
  }
  diagnostics.push(
    diag(
      'info',
      'plan.nft-docker-chain-moved',
      `pyfw rule "${r.name}" in Docker's ${c.chain} chain goes into dockwall's nftables forward chain (Docker's nftables backend has no ${c.chain} chain). ${conv.explanation}`,
      r.pos,
    ),
  );
  return [exportRule(withComment(conv.rule, r.name), r.name, family, r.pos)];
}

/** FORWARD stays an iptables chain; its policy is left to Docker (a DROP there is final for containers). */
function forwardStaysDockers(c: DesiredChain, diagnostics: Diagnostic[]): DesiredChain {
  if (c.rules.length > 0) {
    diagnostics.push(
      diag(
        'info',
        'plan.nft-iptables-forward',
        `${c.family} filter FORWARD's rules stay iptables rules (iptables-nft, priority filter, beside Docker's nftables chain): a DROP there is final, an ACCEPT does not get past Docker's own rules. Rules under DOCKER-USER go into dockwall's nftables forward chain instead`,
        c.rules[0]!.pos,
      ),
    );
  }
  if (!c.policy) return c;
  diagnostics.push(
    diag(
      'warning',
      'plan.forward-policy-docker',
      `${c.family} filter FORWARD's policy is left as it is with Docker's nftables backend: a DROP policy in iptables-nft's FORWARD would drop every packet to and from containers, whatever Docker's rules say. Filter forwarded traffic in DOCKER-USER (the shared filter or containers:) instead`,
      c.policyPos,
    ),
  );
  const { policy: _policy, policyPos: _pos, ...rest } = c;
  return rest;
}
