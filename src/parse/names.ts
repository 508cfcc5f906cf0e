import { PROTOCOL_ENTRIES, SERVICE_ENTRIES } from './netbase-data.js';

/** Port, protocol and ICMP type names as iptables resolves them, and how it prints them back. */

export type PortProtocol = 'tcp' | 'udp' | 'sctp' | 'dccp';

const services = new Map<string, number>();
for (const entry of SERVICE_ENTRIES.split(/\s+/)) {
  const [name, port, protos] = entry.split('/') as [string, string, string];
  for (const p of protos) {
    const proto = p === 't' ? 'tcp' : p === 'u' ? 'udp' : p === 's' ? 'sctp' : 'dccp';
    const key = `${proto}/${name}`;
    if (!services.has(key)) services.set(key, Number(port));
  }
}

const protoByName = new Map<string, number>();
const protoName = new Map<number, string>();
for (const line of PROTOCOL_ENTRIES.split('\n')) {
  const [num, name, ...aliases] = line.split(' ') as [string, string, ...string[]];
  const n = Number(num);
  if (!protoName.has(n)) protoName.set(n, name);
  for (const a of [name, ...aliases]) if (!protoByName.has(a)) protoByName.set(a, n);
}
// iptables' own names (xtables_chain_protos), used when /etc/protocols lacks them.
for (const [name, n] of [
  ['icmpv6', 58],
  ['ipv6-mh', 135],
  ['mh', 135],
  ['all', 0],
] as const) {
  if (!protoByName.has(name)) protoByName.set(name, n);
}

function decimal(text: string, max: number): number | null {
  if (text.length === 0 || text.length > 10) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    n = n * 10 + (c - 48);
  }
  return n <= max ? n : null;
}

/** Non-negative decimal integer up to `max`, or null. */
export function parseDecimal(text: string, max = 0xffffffff): number | null {
  return decimal(text, max);
}

/** A port number or a service name of that protocol. */
export function parsePort(text: string, proto: PortProtocol = 'tcp'): number | null {
  const n = decimal(text, 65535);
  if (n !== null) return n;
  return services.get(`${proto}/${text}`) ?? null;
}

/**
 * A port or port range as iptables prints it: `22`, `1000:2000`. Accepts service names, `a-b`,
 * and open ranges (`1024:` → `1024:65535`, `:1023` → `0:1023`); `a:a` prints as `a`.
 */
export function canonicalPortRange(text: string, proto: PortProtocol = 'tcp'): string | null {
  let sep = text.indexOf(':');
  if (sep < 0) sep = text.indexOf('-');
  if (sep < 0) {
    const p = parsePort(text, proto);
    return p === null ? null : String(p);
  }
  const lo = sep === 0 ? 0 : parsePort(text.slice(0, sep), proto);
  const hi = sep === text.length - 1 ? 65535 : parsePort(text.slice(sep + 1), proto);
  if (lo === null || hi === null || lo > hi) return null;
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}

/** Protocol number for `-p` (lower-cased name, alias or number), or null. */
export function protocolNumber(text: string): number | null {
  const n = decimal(text, 255);
  if (n !== null) return n;
  return protoByName.get(text.toLowerCase()) ?? null;
}

/** How iptables-save prints protocol number `n`. */
export function protocolName(n: number): string {
  return protoName.get(n) ?? String(n);
}

/** The match module iptables loads implicitly for `-p NAME` (`-p tcp --dport` → tcp). */
export function implicitModuleFor(proto: string): string | undefined {
  const n = protocolNumber(proto);
  switch (n) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 132:
      return 'sctp';
    case 1:
      return 'icmp';
    case 58:
      return 'icmp6';
    default:
      return undefined;
  }
}

interface IcmpName {
  name: string;
  type: number;
  /** Code, or undefined for every code of the type. */
  code?: number;
}

function icmpTable(spec: string): IcmpName[] {
  return spec
    .trim()
    .split(/\s+/)
    .map((e) => {
      const [name, t] = e.split('=') as [string, string];
      const [type, code] = t.split('/');
      return code === undefined
        ? { name, type: Number(type) }
        : { name, type: Number(type), code: Number(code) };
    });
}

/** libxtables' ICMP names, in its order (lookup takes a unique case-insensitive prefix). */
const ICMP4 = icmpTable(`
  any=255 echo-reply=0 pong=0 destination-unreachable=3 network-unreachable=3/0 host-unreachable=3/1
  protocol-unreachable=3/2 port-unreachable=3/3 fragmentation-needed=3/4 source-route-failed=3/5
  network-unknown=3/6 host-unknown=3/7 network-prohibited=3/9 host-prohibited=3/10
  TOS-network-unreachable=3/11 TOS-host-unreachable=3/12 communication-prohibited=3/13
  host-precedence-violation=3/14 precedence-cutoff=3/15 source-quench=4 redirect=5
  network-redirect=5/0 host-redirect=5/1 TOS-network-redirect=5/2 TOS-host-redirect=5/3
  echo-request=8 ping=8 router-advertisement=9 router-solicitation=10 time-exceeded=11
  ttl-exceeded=11 ttl-zero-during-transit=11/0 ttl-zero-during-reassembly=11/1
  parameter-problem=12 ip-header-bad=12/0 required-option-missing=12/1 timestamp-request=13
  timestamp-reply=14 address-mask-request=17 address-mask-reply=18`);

const ICMP6 = icmpTable(`
  destination-unreachable=1 no-route=1/0 communication-prohibited=1/1 beyond-scope=1/2
  address-unreachable=1/3 port-unreachable=1/4 failed-policy=1/5 reject-route=1/6
  packet-too-big=2 time-exceeded=3 ttl-exceeded=3 ttl-zero-during-transit=3/0
  ttl-zero-during-reassembly=3/1 parameter-problem=4 bad-header=4/0 unknown-header-type=4/1
  unknown-option=4/2 echo-request=128 ping=128 echo-reply=129 pong=129 router-solicitation=133 router-advertisement=134 neighbour-solicitation=135
  neighbor-solicitation=135 neighbour-advertisement=136 neighbor-advertisement=136 redirect=137`);

/**
 * An `--icmp-type`/`--icmpv6-type` value as iptables prints it: `8`, `3/4`, or `any`. Names resolve
 * by unique case-insensitive prefix, as iptables does; null when unknown or ambiguous.
 */
export function canonicalIcmpType(text: string, v6: boolean): string | null {
  const slash = text.indexOf('/');
  const t = decimal(slash < 0 ? text : text.slice(0, slash), 255);
  if (t !== null) {
    if (slash < 0) return String(t);
    const c = decimal(text.slice(slash + 1), 255);
    return c === null ? null : `${t}/${c}`;
  }
  const lower = text.toLowerCase();
  let found: IcmpName | undefined;
  for (const e of v6 ? ICMP6 : ICMP4) {
    if (e.name.toLowerCase() === lower) {
      found = e;
      break;
    }
    if (e.name.toLowerCase().startsWith(lower)) {
      if (found && (found.type !== e.type || found.code !== e.code)) return null;
      found = e;
    }
  }
  if (!found) return null;
  if (found.type === 255 && !v6) return 'any';
  return found.code === undefined ? String(found.type) : `${found.type}/${found.code}`;
}
