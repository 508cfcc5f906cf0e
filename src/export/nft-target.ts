import { ownValue } from '../model/own-key.js';
import type { RuleOption, RuleTarget } from '../model/index.js';
import type { NftContext } from './nft-rule.js';
import { fail, nftName, nftString } from './nft-words.js';

const REJECT_V4: Record<string, string> = {
  'icmp-port-unreachable': 'reject',
  'icmp-net-unreachable': 'reject with icmp type net-unreachable',
  'icmp-host-unreachable': 'reject with icmp type host-unreachable',
  'icmp-proto-unreachable': 'reject with icmp type prot-unreachable',
  'icmp-net-prohibited': 'reject with icmp type net-prohibited',
  'icmp-host-prohibited': 'reject with icmp type host-prohibited',
  'icmp-admin-prohibited': 'reject with icmp type admin-prohibited',
  'tcp-reset': 'reject with tcp reset',
};

const REJECT_V6: Record<string, string> = {
  'icmp6-port-unreachable': 'reject',
  'icmp6-no-route': 'reject with icmpv6 type no-route',
  'icmp6-adm-prohibited': 'reject with icmpv6 type admin-prohibited',
  'icmp6-addr-unreachable': 'reject with icmpv6 type addr-unreachable',
  'tcp-reset': 'reject with tcp reset',
};

const LOG_LEVELS: Record<string, string> = {
  '0': 'emerg',
  '1': 'alert',
  '2': 'crit',
  '3': 'err',
  '4': 'warn',
  '5': 'notice',
  '6': 'info',
  '7': 'debug',
  emerg: 'emerg',
  alert: 'alert',
  crit: 'crit',
  error: 'err',
  err: 'err',
  warning: 'warn',
  warn: 'warn',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
};

function only(t: RuleTarget, allowed: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of t.options) {
    if (!allowed.includes(o.name)) fail(`${o.name} of -j ${t.name} has no nftables translation here`);
    out.set(o.name, value(o));
  }
  return out;
}

function value(o: RuleOption): string {
  return o.args.map((a) => a.text).join(' ');
}

const portRange = (p: string) => p.replace(':', '-');

/** The verdict or action of a rule in nftables' words; undefined for a rule without a target. */
export function nftTarget(t: RuleTarget | null, ctx: NftContext): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'goto' || !BUILTIN_TARGETS.has(t.name)) {
    if (!ctx.chains.has(t.name)) {
      fail(
        `${t.kind === 'goto' ? '-g' : '-j'} ${t.name}: neither a chain of the exported table nor a target translated here`,
      );
    }
    return `${t.kind === 'goto' ? 'goto' : 'jump'} ${nftName(t.name)}`;
  }
  switch (t.name) {
    case 'ACCEPT':
      only(t, []);
      return ctx.acceptMark ? `${setMark(ctx.acceptMark)} accept` : 'accept';
    case 'DROP':
    case 'RETURN':
      only(t, []);
      return t.name.toLowerCase();
    case 'REJECT': {
      const how =
        only(t, ['--reject-with']).get('--reject-with') ??
        (ctx.family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable');
      const map = ctx.family === 'ipv4' ? REJECT_V4 : REJECT_V6;
      return ownValue(map, how) ?? fail(`REJECT --reject-with ${how} has no nftables translation here`);
    }
    case 'LOG': {
      const o = only(t, ['--log-prefix', '--log-level']);
      const prefix = o.get('--log-prefix');
      const level = o.get('--log-level');
      const parts = ['log'];
      if (prefix !== undefined) parts.push(`prefix ${nftString(prefix)}`);
      if (level !== undefined)
        parts.push(`level ${ownValue(LOG_LEVELS, level) ?? fail(`log level ${level} is not translated`)}`);
      return parts.join(' ');
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      const o = only(t, ['--to-ports', '--random']);
      const ports = o.get('--to-ports');
      const kw = t.name.toLowerCase();
      return [kw, ports !== undefined ? `to :${portRange(ports)}` : '', o.has('--random') ? 'random' : '']
        .filter(Boolean)
        .join(' ');
    }
    case 'DNAT':
    case 'SNAT': {
      const key = t.name === 'DNAT' ? '--to-destination' : '--to-source';
      const o = only(t, [key]);
      const to = o.get(key) ?? fail(`-j ${t.name} without ${key}`);
      return `${t.name.toLowerCase()} to ${to}`;
    }
    case 'MARK': {
      const o = only(t, ['--set-xmark', '--set-mark']);
      const v = o.get('--set-xmark') ?? o.get('--set-mark') ?? fail('-j MARK without --set-mark');
      const [mark, mask] = v.split('/');
      if (mask !== undefined && mask.toLowerCase() !== '0xffffffff')
        fail(`-j MARK ${v}: masked marks are not translated`);
      return `meta mark set ${mark}`;
    }
    case 'CT':
      if (t.options.length === 1 && t.options[0]!.name === '--notrack') return 'notrack';
      return fail('-j CT is translated only with --notrack');
    case 'NOTRACK':
      only(t, []);
      return 'notrack';
    default:
      return fail(`-j ${t.name} has no nftables translation here`);
  }
}

/** `meta mark set …` that sets MARK within MASK and keeps the other bits. */
function setMark(markMask: string): string {
  const [mark, mask] = markMask.split('/');
  if (mask === undefined || mask === mark) return `meta mark set meta mark or ${mark}`;
  const keep = (~Number(mask) >>> 0).toString(16);
  return `meta mark set meta mark and 0x${keep} or ${mark}`;
}

/** Target extensions dockwall translates; any other `-j NAME` must be a chain of the table. */
const BUILTIN_TARGETS = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'REJECT',
  'LOG',
  'MASQUERADE',
  'REDIRECT',
  'DNAT',
  'SNAT',
  'MARK',
  'CT',
  'NOTRACK',
]);
