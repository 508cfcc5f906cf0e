import { ownValue } from '../model/own-key.js';
import { PROTO_NUMBERS } from './packet.js';

/** Service names iptables accepts where a port goes (iptables-save itself prints numbers). */
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  https: 443,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
};

export function parsePort(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return ownValue(SERVICES, text);
}

/** `80`, `1000:2000`, `:1024`, `1024:` → inclusive range. */
export function parsePortRange(text: string): [number, number] | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text);
    return p === undefined ? undefined : [p, p];
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const lo = a === '' ? 0 : parsePort(a);
  const hi = b === '' ? 65535 : parsePort(b);
  if (lo === undefined || hi === undefined || lo > hi) return undefined;
  return [lo, hi];
}

/** `80,443,8000:8010` (multiport). */
export function parsePortList(text: string): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const r = parsePortRange(part);
    if (!r) return undefined;
    out.push(r);
  }
  return out;
}

export function parseProto(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (/^\d+$/.test(lower)) {
    const n = Number(lower);
    return n <= 255 ? n : undefined;
  }
  return ownValue(PROTO_NUMBERS, lower);
}

/** `0x10/0xff`, `16`, `0x10` → value and mask. */
export function parseMarkMask(text: string): [number, number] | undefined {
  const [v, m] = text.split('/');
  const num = (s: string | undefined) => {
    if (s === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(s)) return undefined;
    const n = Number(s);
    return n <= 0xffffffff ? n : undefined;
  };
  const value = num(v);
  const mask = m === undefined ? 0xffffffff : num(m);
  if (value === undefined || mask === undefined) return undefined;
  return [value >>> 0, mask >>> 0];
}

const ICMP4: Record<string, [number, number]> = {
  'echo-reply': [0, -1],
  pong: [0, -1],
  'destination-unreachable': [3, -1],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-route-failed': [3, 5],
  'network-unknown': [3, 6],
  'host-unknown': [3, 7],
  'network-prohibited': [3, 9],
  'host-prohibited': [3, 10],
  'communication-prohibited': [3, 13],
  'source-quench': [4, -1],
  redirect: [5, -1],
  'echo-request': [8, -1],
  ping: [8, -1],
  'router-advertisement': [9, -1],
  'router-solicitation': [10, -1],
  'time-exceeded': [11, -1],
  'ttl-exceeded': [11, -1],
  'ttl-zero-during-transit': [11, 0],
  'ttl-zero-during-reassembly': [11, 1],
  'parameter-problem': [12, -1],
  'timestamp-request': [13, -1],
  'timestamp-reply': [14, -1],
  'address-mask-request': [17, -1],
  'address-mask-reply': [18, -1],
};

const ICMP6: Record<string, [number, number]> = {
  'destination-unreachable': [1, -1],
  'no-route': [1, 0],
  'communication-prohibited': [1, 1],
  'address-unreachable': [1, 3],
  'port-unreachable': [1, 4],
  'packet-too-big': [2, -1],
  'time-exceeded': [3, -1],
  'ttl-exceeded': [3, -1],
  'parameter-problem': [4, -1],
  'echo-request': [128, -1],
  ping: [128, -1],
  'echo-reply': [129, -1],
  pong: [129, -1],
  'router-solicitation': [133, -1],
  'router-advertisement': [134, -1],
  'neighbour-solicitation': [135, -1],
  'neighbor-solicitation': [135, -1],
  'neighbour-advertisement': [136, -1],
  'neighbor-advertisement': [136, -1],
  redirect: [137, -1],
};

/**
 * `8`, `8/0`, `echo-request`, `any` → [type, code] with -1 for "any code"; type -1 for `any`.
 */
export function parseIcmpType(text: string, v6: boolean): [number, number] | undefined {
  if (text === 'any') return [-1, -1];
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
  if (m) {
    const type = Number(m[1]);
    const code = m[2] === undefined ? -1 : Number(m[2]);
    return type <= 255 && code <= 255 ? [type, code] : undefined;
  }
  return ownValue(v6 ? ICMP6 : ICMP4, text);
}
