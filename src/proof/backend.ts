import { diag, type Diagnostic } from '../model/diagnostic.js';
import type { DockerInventory } from '../model/docker.js';
import { DOCKER_NFT_TABLE, nftTableKey, type NftRuleset } from '../model/nft.js';
import type { Family, Ruleset } from '../model/ruleset.js';

/**
 * Which firewall backend Docker uses, as trace, check and audit report it: from the Engine API
 * (`GET /info` FirewallBackend, Docker 28.1+) when Docker was asked, else from the rules read (the
 * `docker-bridges` tables of Docker 29's nftables backend, or Docker's iptables chains).
 */
export interface BackendReport {
  backend: 'nftables' | 'iptables' | 'unknown';
  /** Where it was learnt. */
  source: 'engine-api' | 'rules' | 'none';
  detail: string;
}

export function dockerChainsIn(rulesets: Partial<Record<Family, Ruleset>>): boolean {
  return Object.values(rulesets).some((rs) =>
    rs?.tables.some((t) => t.chains.some((c) => c.name === 'DOCKER' || c.name.startsWith('DOCKER-'))),
  );
}

export function reportBackend(
  rulesets: Partial<Record<Family, Ruleset>>,
  nft: NftRuleset | undefined,
  docker: DockerInventory | undefined,
): { report: BackendReport; diagnostics: Diagnostic[] } {
  const bridges = (nft?.tables ?? []).filter((t) => t.name === DOCKER_NFT_TABLE).map(nftTableKey);
  const diagnostics: Diagnostic[] = [];
  let report: BackendReport;
  if (docker?.firewallBackend) {
    const b = docker.firewallBackend === 'nftables' ? 'nftables' : 'iptables';
    report = {
      backend: b,
      source: 'engine-api',
      detail: `Docker reports firewall backend ${docker.firewallBackend}`,
    };
  } else if (bridges.length > 0)
    report = {
      backend: 'nftables',
      source: 'rules',
      detail: `nftables table${bridges.length > 1 ? 's' : ''} ${bridges.join(', ')} present`,
    };
  else if (dockerChainsIn(rulesets))
    report = { backend: 'iptables', source: 'rules', detail: "Docker's iptables chains present" };
  else report = { backend: 'unknown', source: 'none', detail: 'no Docker rules found' };
  if (report.backend === 'nftables' && !nft)
    diagnostics.push(
      diag(
        'warning',
        'sim.nft-missing',
        "Docker uses its nftables backend, but no nftables rule set was read: Docker's rules are missing from the walk",
        undefined,
        { hint: 'save it with `nft -j list ruleset > FILE` and give it with --state FILE' },
      ),
    );
  if (report.backend === 'nftables' && nft && bridges.length === 0)
    diagnostics.push(
      diag(
        'warning',
        'sim.nft-no-docker',
        `Docker reports the nftables backend, but the nftables rule set holds no ${DOCKER_NFT_TABLE} table`,
      ),
    );
  return { report, diagnostics };
}

export function describeBackend(r: BackendReport): string {
  return `Docker firewall backend: ${r.backend} (${r.detail})`;
}
