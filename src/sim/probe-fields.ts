/**
 * What a probe carries beyond addresses, protocol and ports, for the matches that read it (`mac`,
 * `owner`, `ttl`/`hl`, `length`, `policy`, `time`, `physdev`). A field left out is not known: a
 * match that needs it cannot decide (audit's source classes carry none of them).
 */
export interface ProbeFields {
  /** Source MAC address, lowercase `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** Owner of the sending socket (a packet the host sends). */
  uid?: number;
  gid?: number;
  /** IP total length in bytes (IPv6: payload plus the 40-byte header). */
  length?: number;
  /** Set when `length` was not given but taken from the protocol. */
  lengthDefault?: boolean;
  /** Set when the TTL (hop limit) was not given but taken as 64. */
  ttlDefault?: boolean;
  /** The packet came in through (or leaves through) an IPsec SA. */
  ipsec?: boolean;
  /** When the packet passes, in seconds since the epoch (UTC). */
  at?: number;
  /** The bridge port the packet entered its bridge through. */
  physIn?: string;
}

export const NO_FIELDS: ProbeFields = Object.freeze({});

/** The TTL (hop limit) a probe has when it does not say: Linux's default. */
export const DEFAULT_TTL = 64;

/**
 * The IP total length of a probe that does not give one: the headers of the protocol's usual first
 * packet (a Linux TCP SYN with its 20 bytes of options; an empty UDP datagram; ping's 64-byte echo
 * request; an SCTP INIT without parameters), or -1 for other protocols.
 */
export function defaultLength(family: 'ipv4' | 'ipv6', proto: number, state: string): number {
  const ip = family === 'ipv4' ? 20 : 40;
  switch (proto) {
    case 6:
      return ip + 20 + (state === 'NEW' ? 20 : 12);
    case 17:
      return ip + 8;
    case 1:
    case 58:
      return ip + 64;
    case 132:
      return ip + 12 + 20;
    default:
      return -1;
  }
}
