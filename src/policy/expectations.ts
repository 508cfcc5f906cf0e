import type { Expectation } from '../model/policy.js';
import type { Family } from '../model/ruleset.js';
import type { BuildContext } from './context.js';
import type { NativePolicyInput } from './schema.js';
import { addressFamily, familyName } from './values.js';

type ExpectationInput = NonNullable<NativePolicyInput['expect']>[number];
type Proto = Expectation['to']['proto'];

export interface Destination {
  family: Family;
  address: string;
  port?: number;
  proto: Proto;
}

/**
 * Reads `ADDR[:PORT][/PROTO]` (IPv6: `[ADDR]:PORT/PROTO` or a bare `ADDR/PROTO`). The protocol
 * defaults to tcp when a port is given, else to ICMP of the address's family.
 */
export function parseDestination(text: string): Destination | string {
  let rest = text.trim();
  let proto: Proto | undefined;
  const pm = /\/(tcp|udp|icmp|icmpv6)$/i.exec(rest);
  if (pm) {
    proto = pm[1]!.toLowerCase() as Proto;
    rest = rest.slice(0, pm.index);
  }
  let address = rest;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return `\`${text}\`: missing \`]\` after the IPv6 address`;
    address = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `\`${text}\`: expected \`:PORT\` after \`]\``;
      portText = after.slice(1);
    }
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    [address, portText] = rest.split(':') as [string, string];
  }
  const family = addressFamily(address);
  if (!family)
    return `\`${address}\` is not an IPv4 or IPv6 address (write IPv6 with a port as \`[ADDR]:PORT\`)`;
  const d: Destination = { family, address, proto: proto ?? (family === 'ipv4' ? 'icmp' : 'icmpv6') };
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return `\`${portText}\` is not a port: a port is a number from 1 to 65535`;
    }
    d.port = Number(portText);
    d.proto = proto ?? 'tcp';
    if (d.proto === 'icmp' || d.proto === 'icmpv6') return `\`${text}\`: ${d.proto} has no ports`;
  }
  if (d.proto === 'icmp' && family === 'ipv6') return `\`${text}\`: use \`/icmpv6\` for an IPv6 destination`;
  if (d.proto === 'icmpv6' && family === 'ipv4') return `\`${text}\`: use \`/icmp\` for an IPv4 destination`;
  return d;
}

export function readExpectations(ctx: BuildContext, input: readonly ExpectationInput[]): Expectation[] {
  const out: Expectation[] = [];
  input.forEach((e, i) => {
    const path = ['expect', i];
    const to = parseDestination(e.to);
    if (typeof to === 'string') {
      ctx.error('policy.bad-destination', to, ctx.at([...path, 'to']));
      return;
    }
    const fromFamily = addressFamily(e.from);
    if (!fromFamily) {
      ctx.error(
        'policy.bad-address',
        `\`${e.from}\` is not an IPv4 or IPv6 address`,
        ctx.at([...path, 'from']),
      );
      return;
    }
    if (fromFamily !== to.family) {
      ctx.error(
        'policy.family-mismatch',
        `\`from\` is an ${familyName(fromFamily)} address but \`to\` is ${familyName(to.family)}: a packet has one family`,
        ctx.at([...path, 'to']),
      );
      return;
    }
    const x: Expectation = {
      family: to.family,
      from: e.from,
      to:
        to.port === undefined
          ? { address: to.address, proto: to.proto }
          : { address: to.address, port: to.port, proto: to.proto },
      verdict: e.verdict,
      pos: ctx.posOf(path),
    };
    if (e.name !== undefined) x.name = e.name;
    if (e.in !== undefined) x.in = e.in;
    if (e.ct_state !== undefined) x.ctState = e.ct_state;
    out.push(x);
  });
  return out;
}
