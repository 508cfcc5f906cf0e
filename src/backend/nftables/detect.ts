import { NFT_TABLE } from '../../model/index.js';

export type FirewallBackend = 'iptables' | 'nftables';

/**
 * Which firewall backend Docker uses, from the nftables tables and chains present (`nft list
 * chains`): Docker's `docker-bridges` tables mean its nftables backend; Docker's chains in
 * iptables-nft's filter table mean iptables. With neither (dockerd stopped, or rebuilding its tables
 * at this moment), dockwall's own tables say which way the host was last written.
 */
export function firewallBackendOf(listing: ReadonlyMap<string, readonly string[]>): FirewallBackend {
  const tables = [...listing.keys()];
  if (tables.some((t) => /^ip6? docker-bridges$/.test(t))) return 'nftables';
  const filter = [...(listing.get('ip filter') ?? []), ...(listing.get('ip6 filter') ?? [])];
  if (filter.some((c) => c === 'DOCKER-USER' || c === 'DOCKER-FORWARD' || c === 'DOCKER')) return 'iptables';
  if (tables.includes(`ip ${NFT_TABLE}`) || tables.includes(`ip6 ${NFT_TABLE}`)) return 'nftables';
  return 'iptables';
}
