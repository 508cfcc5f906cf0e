/**
 * ICMP and ICMPv6 types by the names nft prints them (`icmpv6 type nd-neighbor-solicit`), which
 * differ from iptables' (`neighbour-solicitation`). From nftables' src/proto.c (icmp_type_tbl,
 * icmp6_type_tbl), as nftables 1.0.6 prints them.
 */
export const NFT_ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

export const NFT_ICMPV6_TYPES: Readonly<Record<string, number>> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
};

/** The name nft prints for an ICMP(v6) type number, if it has one. */
export function nftIcmpTypeName(type: number, v6: boolean): string | undefined {
  const table = v6 ? NFT_ICMPV6_TYPES : NFT_ICMP_TYPES;
  return Object.keys(table).find((k) => table[k] === type);
}
