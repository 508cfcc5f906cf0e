import { ownValue } from '../model/own-key.js';
import { memberOptions } from '../parse/index.js';
import type { Family, IpSet, MatchModule, Rule, RuleOption } from '../model/index.js';
import { nftTarget } from './nft-target.js';
import { Untranslatable, fail, nftString } from './nft-words.js';

/** What a rule may refer to: the table's sets and chains. */
export interface NftContext {
  family: Family;
  sets: ReadonlyMap<string, IpSet>;
  chains: ReadonlySet<string>;
  /** `MARK/MASK` to set on accepted packets, so Docker's own forward rules accept them too. */
  acceptMark?: string;
  /** Leave the comment out of `text` (the caller writes its own); it is still returned. */
  withoutComment?: boolean;
}

export type NftRuleResult = { text: string; sets: string[]; comment?: string } | { problem: string };

/** `!=` for a negated option, nothing otherwise. */
const neq = (o: RuleOption) => (o.negated ? '!= ' : '');
const range = (text: string) => text.replace(':', '-');

function arg(o: RuleOption, i = 0): string {
  const a = o.args[i];
  if (!a) fail(`${o.name} has no value`);
  return a.text;
}

/** An address without the host prefix nft leaves out (`/32`, `/128`). */
function addr(text: string): string {
  return text.replace(/\/(32|128)$/, '');
}

const IF_WILDCARD = /\+$/;

/**
 * One iptables rule (canonical form) as an nftables rule: interfaces, addresses, protocol, the
 * matches in order, `counter`, the verdict and the comment, in the order iptables-translate uses.
 * A match or target without an nftables equivalent here makes the whole rule untranslatable.
 */
export function nftRule(rule: Rule, ctx: NftContext): NftRuleResult {
  try {
    return translate(rule, ctx);
  } catch (e) {
    if (e instanceof Untranslatable) return { problem: e.message };
    throw e;
  }
}

function translate(rule: Rule, ctx: NftContext): { text: string; sets: string[]; comment?: string } {
  const ip = ctx.family === 'ipv4' ? 'ip' : 'ip6';
  const out: string[] = [];
  const sets: string[] = [];
  const opt = (name: string) => rule.generic.find((o) => o.name === name);
  for (const [name, kw] of [
    ['-i', 'iifname'],
    ['-o', 'oifname'],
  ] as const) {
    const o = opt(name);
    if (o) out.push(`${kw} ${neq(o)}${nftString(arg(o).replace(IF_WILDCARD, '*'))}`);
  }
  for (const [name, kw] of [
    ['-s', 'saddr'],
    ['-d', 'daddr'],
  ] as const) {
    const o = opt(name);
    if (o) out.push(`${ip} ${kw} ${neq(o)}${addr(arg(o))}`);
  }
  const p = opt('-p');
  const proto = p && !p.negated ? arg(p) : undefined;
  // iptables-translate leaves the protocol out when a port or ICMP type match implies it.
  const implied = rule.matches.some(
    (m) => PROTO_MATCHES.has(m.name) && m.options.length > 0 && m.name !== 'multiport',
  );
  if (p && (p.negated || !implied)) out.push(`${protoKeyword(ctx.family)} ${neq(p)}${nftProto(arg(p))}`);
  if (opt('-f')) fail('-f (fragments) is not translated');

  let comment: string | undefined;
  for (const m of rule.matches) {
    if (m.name === 'comment') {
      comment = arg(m.options[0] ?? fail('-m comment without --comment'));
      continue;
    }
    out.push(...nftMatch(m, proto, ctx, sets));
  }
  out.push('counter');
  const verdict = nftTarget(rule.target, ctx);
  if (verdict) out.push(verdict);
  if (comment === undefined) return { text: out.join(' '), sets };
  if (Buffer.byteLength(comment) > 128) fail('nft comments hold at most 128 bytes');
  if (!ctx.withoutComment) out.push(`comment ${nftString(comment)}`);
  else nftString(comment);
  return { text: out.join(' '), sets, comment };
}

const PROTO_MATCHES = new Set(['tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'multiport']);

function protoKeyword(family: Family): string {
  return family === 'ipv4' ? 'ip protocol' : 'meta l4proto';
}

function nftProto(name: string): string {
  return name === 'icmpv6' ? 'ipv6-icmp' : name;
}

const CT_STATES = new Set(['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED']);
const CT_STATUS: Record<string, string> = {
  EXPECTED: 'expected',
  SEEN_REPLY: 'seen-reply',
  ASSURED: 'assured',
  CONFIRMED: 'confirmed',
};
const FIB_TYPES = new Set([
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
]);
const LIMIT_UNITS: Record<string, string> = {
  sec: 'second',
  second: 'second',
  min: 'minute',
  minute: 'minute',
  hour: 'hour',
  day: 'day',
};

/** A value list as nft writes it: one value bare, several in braces. */
function anyOf(values: string[]): string {
  return values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`;
}

/** `ct state`: real states (new, established…) or Docker's NAT "states", which are status bits. */
function ctState(o: RuleOption): string[] {
  const names = arg(o).split(',');
  const states = names.filter((n) => CT_STATES.has(n)).map((n) => n.toLowerCase());
  const nat = names.filter((n) => n === 'SNAT' || n === 'DNAT').map((n) => n.toLowerCase());
  if (states.length + nat.length !== names.length) fail(`unknown conntrack state in ${arg(o)}`);
  if (states.length > 0 && nat.length > 0)
    fail(`--ctstate ${arg(o)} mixes states with SNAT/DNAT, which nft keeps apart`);
  if (nat.length > 0)
    return [o.negated ? `ct status & (${nat.join('|')}) == 0` : `ct status ${nat.join(',')}`];
  if (!o.negated) return [`ct state ${states.join(',')}`];
  return [`ct state != ${anyOf(states)}`];
}

function nftMatch(m: MatchModule, proto: string | undefined, ctx: NftContext, sets: string[]): string[] {
  const ip = ctx.family === 'ipv4' ? 'ip' : 'ip6';
  const out: string[] = [];
  for (const o of m.options) {
    switch (`${m.name} ${o.name}`) {
      case 'tcp --sport':
      case 'udp --sport':
      case 'sctp --sport':
        out.push(`${m.name} sport ${neq(o)}${range(arg(o))}`);
        break;
      case 'tcp --dport':
      case 'udp --dport':
      case 'sctp --dport':
        out.push(`${m.name} dport ${neq(o)}${range(arg(o))}`);
        break;
      case 'tcp --tcp-flags': {
        const flags = (t: string) => (t === 'NONE' ? '0' : t.toLowerCase().split(',').join('|'));
        const mask = arg(o, 0);
        const comp = arg(o, 1);
        out.push(
          `tcp flags & (${flags(mask)}) ${o.negated ? '!=' : '=='} ${comp.includes(',') ? `(${flags(comp)})` : flags(comp)}`,
        );
        break;
      }
      case 'icmp --icmp-type':
      case 'icmp6 --icmpv6-type': {
        const kw = m.name === 'icmp' ? 'icmp' : 'icmpv6';
        const t = arg(o);
        if (t === 'any') {
          if (o.negated) fail(`! ${o.name} any matches nothing`);
          out.push(`${protoKeyword(ctx.family)} ${m.name === 'icmp' ? 'icmp' : 'ipv6-icmp'}`);
          break;
        }
        const [type, code] = t.split('/');
        if (!/^\d+$/.test(type ?? '') || (code !== undefined && !/^\d+$/.test(code)))
          fail(`ICMP type ${t} is not translated`);
        if (code !== undefined && o.negated) fail(`! ${o.name} ${t} (type and code) is not translated`);
        out.push(`${kw} type ${neq(o)}${type}`);
        if (code !== undefined) out.push(`${kw} code ${code}`);
        break;
      }
      case 'multiport --dports':
      case 'multiport --sports': {
        if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')
          fail('-m multiport needs -p tcp, udp or sctp');
        const dir = o.name === '--dports' ? 'dport' : 'sport';
        out.push(`${proto} ${dir} ${neq(o)}${anyOf(arg(o).split(',').map(range))}`);
        break;
      }
      case 'conntrack --ctstate':
      case 'state --state':
        out.push(...ctState(o));
        break;
      case 'conntrack --ctproto':
        out.push(`ct protocol ${neq(o)}${nftProto(arg(o))}`);
        break;
      case 'conntrack --ctorigsrc':
      case 'conntrack --ctorigdst':
      case 'conntrack --ctreplsrc':
      case 'conntrack --ctrepldst': {
        const dir = o.name.startsWith('--ctorig') ? 'original' : 'reply';
        const which = o.name.endsWith('src') ? 'saddr' : 'daddr';
        out.push(`ct ${dir} ${ip} ${which} ${neq(o)}${addr(arg(o))}`);
        break;
      }
      case 'conntrack --ctorigsrcport':
      case 'conntrack --ctorigdstport':
      case 'conntrack --ctreplsrcport':
      case 'conntrack --ctrepldstport': {
        const dir = o.name.startsWith('--ctorig') ? 'original' : 'reply';
        const which = o.name.endsWith('srcport') ? 'proto-src' : 'proto-dst';
        out.push(`ct ${dir} ${which} ${neq(o)}${range(arg(o))}`);
        break;
      }
      case 'conntrack --ctstatus': {
        const names = arg(o)
          .split(',')
          .map((n) => ownValue(CT_STATUS, n) ?? fail(`conntrack status ${n} is not translated`));
        out.push(o.negated ? `ct status & (${names.join('|')}) == 0` : `ct status ${names.join(',')}`);
        break;
      }
      case 'conntrack --ctdir':
        out.push(`ct direction ${neq(o)}${arg(o).toLowerCase()}`);
        break;
      case 'set --match-set':
        out.push(setMatch(o, ctx, sets));
        break;
      case 'addrtype --src-type':
      case 'addrtype --dst-type': {
        const types = arg(o).split(',');
        for (const t of types) if (!FIB_TYPES.has(t)) fail(`address type ${t} is not translated`);
        const limit = m.options.some((x) => x.name === '--limit-iface-in')
          ? ' . iif'
          : m.options.some((x) => x.name === '--limit-iface-out')
            ? ' . oif'
            : '';
        out.push(
          `fib ${o.name === '--src-type' ? 'saddr' : 'daddr'}${limit} type ${neq(o)}${anyOf(types.map((t) => t.toLowerCase()))}`,
        );
        break;
      }
      case 'addrtype --limit-iface-in':
      case 'addrtype --limit-iface-out':
        break;
      case 'limit --limit': {
        const [n, unit] = arg(o).split('/');
        const u = ownValue(LIMIT_UNITS, unit ?? '') ?? fail(`limit ${arg(o)} is not translated`);
        const burst = m.options.find((x) => x.name === '--limit-burst');
        out.push(`limit rate ${n}/${u}${burst ? ` burst ${arg(burst)} packets` : ''}`);
        break;
      }
      case 'limit --limit-burst':
        if (!m.options.some((x) => x.name === '--limit')) fail('--limit-burst without --limit');
        break;
      case 'mark --mark':
      case 'connmark --mark': {
        const kw = m.name === 'mark' ? 'meta mark' : 'ct mark';
        const [value, mask] = arg(o).split('/');
        out.push(mask ? `${kw} & ${mask} ${o.negated ? '!=' : '=='} ${value}` : `${kw} ${neq(o)}${value}`);
        break;
      }
      case 'iprange --src-range':
      case 'iprange --dst-range':
        out.push(`${ip} ${o.name === '--src-range' ? 'saddr' : 'daddr'} ${neq(o)}${arg(o)}`);
        break;
      case 'mac --mac-source':
        out.push(`ether saddr ${neq(o)}${arg(o).toLowerCase()}`);
        break;
      case 'pkttype --pkt-type': {
        const t = arg(o) === 'unicast' ? 'host' : arg(o);
        out.push(`meta pkttype ${neq(o)}${t}`);
        break;
      }
      case 'length --length':
        out.push(`meta length ${neq(o)}${range(arg(o))}`);
        break;
      case 'owner --uid-owner':
      case 'owner --gid-owner':
        out.push(`meta ${o.name === '--uid-owner' ? 'skuid' : 'skgid'} ${neq(o)}${arg(o)}`);
        break;
      case 'ttl --ttl-eq':
      case 'hl --hl-eq':
        out.push(`${m.name === 'ttl' ? 'ip ttl' : 'ip6 hoplimit'} ${neq(o)}${arg(o)}`);
        break;
      case 'ttl --ttl-lt':
      case 'hl --hl-lt':
        out.push(`${m.name === 'ttl' ? 'ip ttl' : 'ip6 hoplimit'} < ${arg(o)}`);
        break;
      case 'ttl --ttl-gt':
      case 'hl --hl-gt':
        out.push(`${m.name === 'ttl' ? 'ip ttl' : 'ip6 hoplimit'} > ${arg(o)}`);
        break;
      default:
        fail(`${o.negated ? '! ' : ''}${o.name} of -m ${m.name} has no nftables translation here`);
    }
  }
  if (m.options.length === 0 && !PROTO_MATCHES.has(m.name))
    fail(`-m ${m.name} has no nftables translation here`);
  return out;
}

/** `-m set --match-set NAME src` → `ip saddr @NAME`: sets of addresses or networks, one direction. */
function setMatch(o: RuleOption, ctx: NftContext, sets: string[]): string {
  const name = arg(o, 0);
  const flags = arg(o, 1);
  const set = ctx.sets.get(name) ?? fail(`set ${name} is not declared (give its \`ipset save\` output)`);
  if (set.type !== 'hash:ip' && set.type !== 'hash:net')
    fail(`set ${name} (${set.type}) is not translated: only hash:ip and hash:net sets are`);
  if (set.members.some((m) => memberOptions(m).some(([k]) => k !== 'comment')))
    fail(`set ${name} has members with nomatch or skb values, which an nftables set cannot hold`);
  if (flags !== 'src' && flags !== 'dst')
    fail(`set ${name} matched with ${flags}: only src or dst is translated`);
  const ip = set.family === 'inet6' ? 'ip6' : 'ip';
  if ((ip === 'ip6') !== (ctx.family === 'ipv6')) fail(`set ${name} is of the other address family`);
  sets.push(name);
  return `${ip} ${flags === 'src' ? 'saddr' : 'daddr'} ${neq(o)}@${name}`;
}
