import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches, type MatchCtx } from './match-common.js';
import type { HostIndex } from './routing.js';
import type { Thread, Tri } from './thread.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/** A port name the walk does not know (a bridge whose ports the host model does not list). */
const UNNAMED = '';

interface PhysdevSpec {
  in?: { name: string; negated: boolean };
  out?: { name: string; negated: boolean };
  isIn?: boolean;
  isOut?: boolean;
  bridged?: boolean;
  /** Every option given is negated (what a packet that did not cross a bridge matches). */
  allNegated: boolean;
}

function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * xt_physdev's test for a packet that entered its bridge through port `indev` and (bridged
 * traffic only) leaves through port `outdev`; null where there is none.
 */
export function physdevMatches(s: PhysdevSpec, indev: string | null, outdev: string | null): boolean {
  if (indev === null && outdev === null) return s.allNegated;
  if (s.bridged !== undefined && (outdev !== null) !== s.bridged) return false;
  if (s.isIn !== undefined && (indev !== null) !== s.isIn) return false;
  if (s.isOut !== undefined && (outdev !== null) !== s.isOut) return false;
  if (s.in && indev !== null && nameMatches(s.in.name, indev) === s.in.negated) return false;
  if (!s.out) return true;
  if (outdev === null) return false;
  return nameMatches(s.out.name, outdev) !== s.out.negated;
}

function portsOf(host: HostIndex, bridge: string): string[] {
  return host.ports.get(bridge) ?? [];
}

function isBridge(host: HostIndex, iface: string): boolean {
  return host.bridges.has(iface) || host.ports.has(iface);
}

/**
 * `-m physdev`: the bridge ports of a packet that crossed a bridge (br_netfilter). A packet that
 * arrives on a bridge entered through one of its ports: the one trace `--in PORT` names, else any
 * port the host model lists for it; a packet routed back out of the same bridge is bridged and
 * leaves through another port. When the candidates disagree the match is unknown.
 */
export function compilePhysdev(m: MatchModule, ctx: MatchCtx, out: CompiledMatches): void {
  const s: PhysdevSpec = { allNegated: true };
  for (const o of m.options) {
    if (!o.negated) s.allNegated = false;
    switch (o.name) {
      case '--physdev-in':
        s.in = { name: arg(o), negated: o.negated };
        break;
      case '--physdev-out':
        s.out = { name: arg(o), negated: o.negated };
        break;
      case '--physdev-is-in':
        s.isIn = !o.negated;
        break;
      case '--physdev-is-out':
        s.isOut = !o.negated;
        break;
      case '--physdev-is-bridged':
        s.bridged = !o.negated;
        break;
      default:
        fail(`-m physdev ${o.name}`);
    }
  }
  const host = ctx.host;
  out.checks.push((t: Thread): Tri => {
    if (t.local || !isBridge(host, t.inDev)) return physdevMatches(s, null, null) ? YES : NO;
    t.assumed?.add(
      `br_netfilter hands packets crossing ${t.inDev} to iptables (bridge-nf-call-iptables=1, as Docker sets it)`,
    );
    const known = t.probe.physIn;
    let ins = known !== undefined ? [known] : portsOf(host, t.inDev);
    if (ins.length === 0) ins = [UNNAMED];
    const bridged =
      (t.hook === 'FORWARD' || t.hook === 'POSTROUTING') && t.delivered === 'forward' && t.outDev === t.inDev;
    let outs: Array<string | null> = [null];
    if (bridged) {
      const o = portsOf(host, t.outDev).filter((p) => p !== known);
      outs = o.length > 0 ? o : [UNNAMED];
    }
    let res: boolean | undefined;
    for (const i of ins) {
      for (const o of outs) {
        if ((i === UNNAMED && s.in) || (o === UNNAMED && s.out)) {
          t.why = `the bridge port the packet ${i === UNNAMED && s.in ? `entered ${t.inDev} through` : `leaves ${t.outDev} through`} (the host model lists none)`;
          return UNK;
        }
        const r = physdevMatches(s, i, o);
        if (res === undefined) res = r;
        else if (res !== r) {
          t.why = `which port of ${t.inDev} the packet ${bridged ? 'crosses' : 'entered through'} (trace --in PORT)`;
          return UNK;
        }
      }
    }
    return res ? YES : NO;
  });
}
