import type { RuleOption, RuleTarget } from '../model/ruleset.js';
import { formatAddr, parseAddr, parseCidr, type Addr } from './addr.js';
import { parseMarkMask } from './match-values.js';
import { masqueradeAddress, primaryAddress, routeLookup, type HostIndex } from './routing.js';
import type { CompiledChain, CompiledRule, CompiledTarget, NatKind, Thread } from './thread.js';

export interface TargetCtx {
  family: 'ipv4' | 'ipv6';
  host: HostIndex;
  /** The chain of that name in the rule's table, if any. */
  chain: (name: string) => CompiledChain | undefined;
}

const HARMLESS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'AUDIT',
  'TEE',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'TCPMSS',
  'TOS',
  'DSCP',
  'ECN',
  'CLASSIFY',
  'CHECKSUM',
  'SECMARK',
  'CONNSECMARK',
]);

function opt(options: RuleOption[], name: string): string | undefined {
  return options.find((o) => o.name === name)?.args[0]?.text;
}

export function hostPort(a: Addr, port: number): string {
  const s = formatAddr(a);
  if (port < 0) return s;
  return a.length === 1 ? `${s}:${port}` : `[${s}]:${port}`;
}

interface NatSpec {
  addr?: Addr;
  /** First port, or -1 when the target keeps the port. */
  port: number;
  range: boolean;
}

/** `1.2.3.4`, `1.2.3.4:80`, `1.2.3.4-1.2.3.9:80-90`, `[fd00::2]:80`, `fd00::2`, `:8080`. */
export function parseNatSpec(text: string, family: 'ipv4' | 'ipv6'): NatSpec | undefined {
  let addrPart = text;
  let portPart: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    addrPart = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portPart = rest.slice(1);
    }
  } else if (family === 'ipv4' || text.startsWith(':')) {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      addrPart = text.slice(0, colon);
      portPart = text.slice(colon + 1);
    }
  }
  const spec: NatSpec = { port: -1, range: false };
  if (addrPart !== '') {
    const [first, last] = addrPart.split('-');
    const a = parseAddr(first!, family);
    if (!a) return undefined;
    spec.addr = a;
    if (last !== undefined && last !== first) spec.range = true;
  }
  if (portPart !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(portPart);
    if (!m) return undefined;
    spec.port = Number(m[1]);
    if (m[2] !== undefined && m[2] !== m[1]) spec.range = true;
  }
  return spec;
}

function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 136;
}

function record(t: Thread, kind: NatKind, r: CompiledRule, from: string, to: string): void {
  t.rewrites.push({ kind, from, to, table: r.table, chain: r.chain, index: r.index });
}

function natTarget(target: RuleTarget, ctx: TargetCtx): CompiledTarget {
  const name = target.name;
  const fam = ctx.family;
  const loopback: Addr = fam === 'ipv4' ? [0x7f000001] : [0, 0, 0, 1];
  const unknown = (reason: string): CompiledTarget => ({ kind: 'unknown', reason });
  const portsOf = (text: string | undefined): NatSpec | undefined =>
    text === undefined ? { port: -1, range: false } : parseNatSpec(`:${text}`, 'ipv4');
  const rangeNote = (s: NatSpec) => (s.range ? ' (first of the range)' : '');
  /** A NAT target's spec: address and port from `addressOption` (DNAT, SNAT), else ports only. */
  const natSpec = (addressOption: string | undefined) => {
    const text = addressOption ? opt(target.options, addressOption) : undefined;
    const spec = addressOption
      ? text === undefined
        ? undefined
        : parseNatSpec(text, fam)
      : portsOf(opt(target.options, '--to-ports'));
    return { text, spec };
  };

  if (name === 'DNAT' || name === 'REDIRECT') {
    const isDnat = name === 'DNAT';
    const { text, spec } = natSpec(isDnat ? '--to-destination' : undefined);
    if (!spec) return unknown(`${name} ${text ?? ''} is not modelled`);
    return {
      kind: 'nat',
      name,
      apply(t, r) {
        const from = hostPort(t.dst, t.dport);
        let addr = spec.addr;
        if (!isDnat) {
          if (t.hook === 'OUTPUT') addr = loopback;
          else {
            const p = primaryAddress(ctx.host, t.inDev, fam);
            if (!p)
              return { unknown: `REDIRECT: interface ${t.inDev} has no ${fam} address in the host model` };
            addr = parseAddr(p, fam);
          }
        }
        if (spec.port >= 0 && hasPorts(t.proto)) {
          if (t.dport < 0)
            return { unknown: `${name} changes the port, but the packet has no destination port` };
          t.dport = spec.port;
        }
        if (addr) t.dst = addr;
        t.dnat = true;
        const to = hostPort(t.dst, t.dport);
        record(t, isDnat ? 'dnat' : 'redirect', r, from, to);
        return { action: `${name} ${to}${rangeNote(spec)}` };
      },
    };
  }
  if (name === 'SNAT' || name === 'MASQUERADE') {
    const isSnat = name === 'SNAT';
    const { text, spec } = natSpec(isSnat ? '--to-source' : undefined);
    if (!spec) return unknown(`${name} ${text ?? ''} is not modelled`);
    return {
      kind: 'nat',
      name,
      apply(t, r) {
        const from = t.srcSet ? '(source)' : hostPort(t.src, t.sport);
        let addr = spec.addr;
        if (!isSnat) {
          const route = routeLookup(ctx.host, fam, t.dst);
          const via = route.kind === 'forward' && route.via ? parseAddr(route.via, fam) : undefined;
          const p = masqueradeAddress(ctx.host, t.outDev, fam, via ?? t.dst);
          if (!p)
            return { unknown: `MASQUERADE: interface ${t.outDev} has no ${fam} address in the host model` };
          addr = parseAddr(p, fam);
        }
        if (spec.port >= 0 && hasPorts(t.proto) && t.sport >= 0) t.sport = spec.port;
        if (addr) {
          t.snatTo = addr;
          if (!t.srcSet) t.src = addr;
        }
        t.snat = true;
        const to = hostPort(addr ?? t.src, t.sport);
        record(t, isSnat ? 'snat' : 'masquerade', r, from, to);
        return { action: `${name} ${to}${rangeNote(spec)}` };
      },
    };
  }
  // NETMAP
  const to = opt(target.options, '--to');
  const c = to === undefined ? undefined : parseCidr(to, fam);
  if (!c) return unknown(`NETMAP ${to ?? ''} is not modelled`);
  return {
    kind: 'nat',
    name,
    apply(t, r) {
      const mapDst = t.hook === 'PREROUTING' || t.hook === 'OUTPUT';
      if (!mapDst && t.srcSet) return { unknown: 'NETMAP of a source range' };
      const before = mapDst ? t.dst : t.src;
      const after = before.map((w, i) => ((w & ~c.mask[i]!) | c.net[i]!) >>> 0);
      if (mapDst) {
        t.dst = after;
        t.dnat = true;
      } else {
        t.src = after;
        t.snatTo = after;
        t.snat = true;
      }
      record(t, 'netmap', r, formatAddr(before), formatAddr(after));
      return { action: `NETMAP ${formatAddr(after)}` };
    },
  };
}

function markTarget(target: RuleTarget): CompiledTarget {
  const o = target.options[0];
  const value = o?.args[0]?.text;
  const vm = value === undefined ? undefined : parseMarkMask(value);
  const ct = target.name === 'CONNMARK';
  const unknown: CompiledTarget = {
    kind: 'unknown',
    reason: `${target.name} ${o?.name ?? ''} is not modelled`,
  };
  if (!o) return unknown;
  if (ct && (o.name === '--save-mark' || o.name === '--restore-mark')) {
    const nf = parseMarkMask(
      opt(target.options, '--nfmask') ?? opt(target.options, '--mask') ?? '0xffffffff',
    );
    const ctm = parseMarkMask(
      opt(target.options, '--ctmask') ?? opt(target.options, '--mask') ?? '0xffffffff',
    );
    if (!nf || !ctm) return unknown;
    const nfmask = nf[0];
    const ctmask = ctm[0];
    if (o.name === '--save-mark')
      return {
        kind: 'continue',
        name: target.name,
        harmless: false,
        apply(t) {
          t.ctmark = ((t.ctmark & ~ctmask) ^ (t.mark & nfmask)) >>> 0;
          t.ctmarkKnown = t.ctmarkKnown && t.markKnown;
          return `ctmark 0x${t.ctmark.toString(16)}`;
        },
      };
    return {
      kind: 'continue',
      name: target.name,
      harmless: false,
      apply(t) {
        t.mark = ((t.mark & ~nfmask) ^ (t.ctmark & ctmask)) >>> 0;
        t.markKnown = t.markKnown && t.ctmarkKnown;
        return `mark 0x${t.mark.toString(16)}`;
      },
    };
  }
  if (!vm) return unknown;
  const [v, m] = vm;
  let fn: (x: number) => number;
  switch (o.name) {
    case '--set-xmark':
      fn = (x) => (x & ~m) ^ v;
      break;
    case '--set-mark':
      fn = (x) => (x & ~m) | v;
      break;
    case '--and-mark':
      fn = (x) => x & v;
      break;
    case '--or-mark':
      fn = (x) => x | v;
      break;
    case '--xor-mark':
      fn = (x) => x ^ v;
      break;
    default:
      return unknown;
  }
  return {
    kind: 'continue',
    name: target.name,
    harmless: false,
    apply(t) {
      if (ct) {
        t.ctmark = fn(t.ctmark) >>> 0;
        return `ctmark 0x${t.ctmark.toString(16)}`;
      }
      t.mark = fn(t.mark) >>> 0;
      return `mark 0x${t.mark.toString(16)}`;
    },
  };
}

/** What a rule's `-j`/`-g` does, resolved against the chains of its table. */
export function compileTarget(target: RuleTarget | null, ctx: TargetCtx): CompiledTarget {
  if (!target) return { kind: 'none' };
  const chain = ctx.chain(target.name);
  if (chain) return { kind: 'chain', chain, goto: target.kind === 'goto' };
  switch (target.name) {
    case 'ACCEPT':
      return { kind: 'accept' };
    case 'DROP':
      return { kind: 'drop' };
    case 'REJECT': {
      const w = opt(target.options, '--reject-with');
      return w === undefined ? { kind: 'reject' } : { kind: 'reject', with: w };
    }
    case 'RETURN':
      return { kind: 'return' };
    case 'DNAT':
    case 'SNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
    case 'NETMAP':
      return natTarget(target, ctx);
    case 'MARK':
    case 'CONNMARK':
      return markTarget(target);
    case 'TTL':
    case 'HL':
      return ttlTarget(target);
    case 'NOTRACK':
      return { kind: 'continue', name: 'NOTRACK', harmless: false, apply: untrack };
    case 'CT':
      if (target.options.some((o) => o.name === '--notrack'))
        return { kind: 'continue', name: 'CT', harmless: false, apply: untrack };
      return {
        kind: 'continue',
        name: 'CT',
        harmless: true,
        note: 'CT settings (zone, helper, …) are not modelled',
      };
    case 'SET':
      return {
        kind: 'continue',
        name: 'SET',
        harmless: true,
        note: 'changes to ipset contents are not modelled',
      };
    case 'NFQUEUE':
    case 'QUEUE':
      return { kind: 'unknown', reason: `${target.name} hands the packet to a userspace program` };
    default:
      if (HARMLESS.has(target.name)) return { kind: 'continue', name: target.name, harmless: true };
      return { kind: 'unknown', reason: `target ${target.name} is not modelled` };
  }
}

/** `TTL --ttl-set/--ttl-dec/--ttl-inc N`, `HL --hl-…`: what `-m ttl`/`-m hl` see afterwards. */
function ttlTarget(target: RuleTarget): CompiledTarget {
  const o = target.options[0];
  const op = o ? /^--(?:ttl|hl)-(set|dec|inc)$/.exec(o.name)?.[1] : undefined;
  const n = Number(o?.args[0]?.text);
  if (!op || !Number.isInteger(n) || n < 0 || n > 255)
    return { kind: 'unknown', reason: `${target.name} ${o?.name ?? ''} is not modelled` };
  return {
    kind: 'continue',
    name: target.name,
    harmless: false,
    apply(t) {
      if (t.ttl < 0 && op !== 'set') return;
      t.ttl = op === 'set' ? n : op === 'dec' ? Math.max(0, t.ttl - n) : Math.min(255, t.ttl + n);
      return `${target.name === 'TTL' ? 'ttl' : 'hop limit'} ${t.ttl}`;
    },
  };
}

function untrack(t: Thread): string {
  t.state = 'UNTRACKED';
  return 'untracked';
}
