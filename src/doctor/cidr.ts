import ipaddr from 'ipaddr.js';
import type { Family } from '../model/index.js';

/** Address prefixes as integer ranges, for overlap and containment tests. */

export interface Prefix {
  family: Family;
  /** First address of the prefix (host bits cleared). */
  start: bigint;
  length: number;
}

function bits(family: Family): number {
  return family === 'ipv4' ? 32 : 128;
}

/** Parses `10.0.0.0/8`, `fd00::/64` or a bare address (a host prefix); undefined when invalid. */
export function parsePrefix(text: string): Prefix | undefined {
  const [addrText, lenText, ...rest] = text.trim().split('/');
  if (addrText === undefined || rest.length > 0 || !ipaddr.isValid(addrText)) return undefined;
  let addr = ipaddr.parse(addrText);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  const family: Family = addr.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
  const max = bits(family);
  const length = lenText === undefined ? max : /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  let value = 0n;
  for (const byte of addr.toByteArray()) value = (value << 8n) | BigInt(byte);
  const hostBits = BigInt(max - length);
  const start = (value >> hostBits) << hostBits;
  return { family, start, length };
}

function end(p: Prefix): bigint {
  return p.start + (1n << BigInt(bits(p.family) - p.length)) - 1n;
}

/** `outer` covers every address of `inner`. */
export function contains(outer: Prefix, inner: Prefix): boolean {
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    outer.start <= inner.start &&
    end(inner) <= end(outer)
  );
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.start <= end(b) && b.start <= end(a);
}

/** Canonical text of a prefix: `172.16.0.0/12`, `fd00:1::/64`. */
export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.family, p.start)}/${p.length}`;
}

export function formatAddress(family: Family, value: bigint): string {
  const count = bits(family) / 8;
  const bytes: number[] = [];
  for (let i = count - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}
