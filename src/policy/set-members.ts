import type { Family } from '../model/ruleset.js';
import { addressFamily, canonicalAddress, canonicalNetwork, parsePort } from '../parse/index.js';
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
