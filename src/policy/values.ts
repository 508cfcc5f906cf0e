import ipaddr from 'ipaddr.js';
import type { Family } from '../model/ruleset.js';

/** The family of a plain address (no prefix), or undefined when it is not an address. */
export function addressFamily(text: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return 'ipv4';
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return 'ipv6';
  return undefined;
}

export interface ParsedNetwork {
  family: Family;
  address: string;
  /** Prefix length when written (`/24`), else undefined. */
  prefix?: number;
}

/**
 * An address or a network in CIDR notation (`192.168.1.10`, `10.0.0.0/8`, `fd00::/64`);
 * a string saying what is wrong when it is neither.
 */
export function parseNetwork(text: string): ParsedNetwork | string {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const family = addressFamily(addr);
  if (!family) return `\`${addr}\` is not an IPv4 or IPv6 address`;
  if (slash < 0) return { family, address: addr };
  const prefixText = text.slice(slash + 1);
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return `\`/${prefixText}\` is not a prefix length for an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address (0 to ${max})`;
  }
  return { family, address: addr, prefix: Number(prefixText) };
}

/**
 * A destination port or range as written in the policy (`22`, `"8000:8010"`, `"8000-8010"`),
 * normalised to iptables' spelling (`8000:8010`); a string saying what is wrong otherwise.
 */
export function normalizePort(value: string | number): { port: string } | string {
  const text = String(value);
  const m = /^(\d{1,5})(?:[:-](\d{1,5}))?$/.exec(text);
  if (!m) return `\`${text}\` is not a port or a port range`;
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  for (const p of [low, high]) {
    if (p < 1 || p > 65535) return `port ${p} is out of range: a port is a number from 1 to 65535`;
  }
  if (high < low) return `the range \`${text}\` ends before it starts`;
  return { port: m[2] === undefined ? String(low) : `${low}:${high}` };
}

export function familyName(f: Family): string {
  return f === 'ipv4' ? 'IPv4' : 'IPv6';
}
