import type { Family } from '../model/ruleset.js';
import {
  MAX_MEMBER_COMMENT,
  addressFamily,
  canonicalAddress,
  canonicalNetwork,
  isPlainIPv4,
  parsePort,
  type SplitMember,
} from '../parse/index.js';
import { familyName } from './values.js';

/**
 * Checks that a member is what a set of `type` and `family` holds, component by component
 * (`hash:ip,port` holds `ADDR,[PROTO:]PORT`). Returns undefined when it is, else what is wrong.
 */
export function memberProblem(
  setName: string,
  type: string,
  family: Family,
  member: string,
): string | undefined {
  const colon = type.indexOf(':');
  const method = type.slice(0, colon);
  const kinds = type.slice(colon + 1).split(',');
  if (kinds[0] === 'set') {
    return /^[A-Za-z0-9_.:-]{1,31}$/.test(member) ? undefined : `\`${member}\` is not a set name`;
  }
  const parts = member.split(',');
  if (parts.length !== kinds.length) {
    return `\`${member}\` is not a member of the ${type} set \`${setName}\`: expected ${kinds.map(describeKind).join(',')}`;
  }
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    const part = parts[i]!;
    if (kind === 'ip' || kind === 'net') {
      if (family === 'ipv4' && isPlainIPv4(part)) continue;
      const addrFamily = addressFamily(part.split('-')[0]!);
      if (addrFamily && addrFamily !== family) {
        return (
          `\`${member}\` is an ${familyName(addrFamily)} address, but set \`${setName}\` is family ` +
          `${family === 'ipv4' ? 'inet (IPv4)' : 'inet6 (IPv6)'}; declare another set with ` +
          `\`family: ${addrFamily === 'ipv4' ? 'inet' : 'inet6'}\` for it`
        );
      }
      if (!isAddressPart(part, family))
        return `\`${part}\` is not an ${familyName(family)} address, network or range`;
    } else if (kind === 'port') {
      if (!isPortPart(part, method === 'hash'))
        return `\`${part}\` is not a port${method === 'hash' ? ' (`[PROTO:]PORT`)' : ''}`;
    } else if (kind === 'mac') {
      if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(part)) return `\`${part}\` is not a MAC address`;
    } else if (kind === 'iface') {
      if (!/^(physdev:)?[A-Za-z0-9_.@+-]{1,15}$/.test(part)) return `\`${part}\` is not an interface name`;
    } else if (kind === 'mark') {
      if (!/^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(part)) return `\`${part}\` is not a mark`;
    }
  }
  return undefined;
}

function describeKind(kind: string): string {
  return kind === 'ip' ? 'ADDR' : kind === 'net' ? 'NET' : kind === 'port' ? 'PORT' : kind.toUpperCase();
}

/** An address, a network (`ADDR/PREFIX`) or a range (`ADDR-ADDR`) of the family. */
function isAddressPart(text: string, family: Family): boolean {
  if (text.includes('-')) {
    const [a, b, ...rest] = text.split('-');
    return (
      rest.length === 0 && canonicalAddress(a!, family) !== null && canonicalAddress(b!, family) !== null
    );
  }
  const slash = text.indexOf('/');
  if (slash < 0) return canonicalAddress(text, family) !== null;
  const prefix = text.slice(slash + 1);
  return (
    canonicalAddress(text.slice(0, slash), family) !== null &&
    /^\d{1,3}$/.test(prefix) &&
    canonicalNetwork(text, family) !== null
  );
}

/** `PORT`, `PORT-PORT` (numbers or service names), in hash types also `PROTO:PORT` (icmp: a type). */
function isPortPart(text: string, withProto: boolean): boolean {
  const colon = text.indexOf(':');
  const proto = colon < 0 ? undefined : text.slice(0, colon).toLowerCase();
  const port = colon < 0 ? text : text.slice(colon + 1);
  if (proto !== undefined && !withProto) return false;
  if (proto === 'icmp' || proto === 'icmpv6') return /^[a-z0-9/-]+$/i.test(port);
  if (proto !== undefined && !['tcp', 'udp', 'sctp', 'udplite'].includes(proto)) return false;
  const names = port.split('-');
  if (names.length > 2) return false;
  const ports = names.map((p) =>
    /^\d{1,5}$/.test(p) ? Number(p) : parsePort(p, proto === 'udp' ? 'udp' : 'tcp'),
  );
  if (ports.some((p) => p === null || p > 65535)) return false;
  return ports.length === 1 || ports[0]! <= ports[1]!;
}

/**
 * Checks a member's options against its set: `nomatch` needs a network in the type, a comment needs
 * the set's `comment` option, skb values its `skbinfo` option. Remaining timeouts and counters are
 * refused: members are kept exactly, so they cannot expire one by one.
 */
export function memberOptionProblem(
  type: string,
  setOptions: ReadonlyArray<readonly [string, string | true]>,
  split: SplitMember,
): string | undefined {
  const has = (k: string) => setOptions.some(([o]) => o === k);
  if (split.dynamic)
    return "a member cannot carry its own timeout or counters: dockwall keeps the members exactly (use the set's `options.timeout`)";
  for (const [k, v] of split.options) {
    if (k === 'nomatch') {
      const kinds = type.slice(type.indexOf(':') + 1).split(',');
      if (!type.startsWith('hash:') || !kinds.includes('net'))
        return `\`nomatch\` needs a set type with a network (hash:net, hash:net,port, hash:ip,port,net, …), not ${type}`;
    } else if (k === 'comment') {
      if (!has('comment')) return 'a member comment needs the set option `comment: true`';
      const text = String(v);
      if (/["\\]/.test(text) || [...text].some((c) => c.charCodeAt(0) < 32))
        return 'a member comment cannot hold `"`, a backslash or a control character';
      // ipset takes a comment that looks like an option (`-n`) for the next option, and fails.
      if (text.startsWith('-')) return 'a member comment cannot start with `-` (ipset reads it as an option)';
      if (new TextEncoder().encode(text).length > MAX_MEMBER_COMMENT)
        return `a member comment is at most ${MAX_MEMBER_COMMENT} bytes`;
    } else {
      if (!has('skbinfo')) return `\`${k}\` needs the set option \`skbinfo: true\``;
      const ok =
        k === 'skbmark'
          ? /^0x[0-9a-f]{1,8}(\/0x[0-9a-f]{1,8})?$/i.test(String(v))
          : k === 'skbprio'
            ? /^[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(String(v))
            : /^(0|[1-9]\d{0,4})$/.test(String(v)) && Number(v) <= 65535;
      if (!ok)
        return `\`${k} ${v}\` is not ${k === 'skbmark' ? 'MARK[/MASK] in hexadecimal (0x10/0xff)' : k === 'skbprio' ? 'MAJOR:MINOR in hexadecimal (1:10)' : 'a decimal queue number (0-65535, no leading zeros)'}`;
    }
  }
  return undefined;
}
