import type { Trace } from '../../../src/sim/index.js';
import type { DiffLab } from './diff-lab.js';

/**
 * The kernel's connection table, to check the simulator's NAT: for every packet both accept, the
 * reply tuple conntrack recorded names where DNAT sent the packet (reply source) and what SNAT or
 * MASQUERADE made of its source (reply destination).
 */

interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface CtEntry {
  proto: 'tcp' | 'udp';
  orig: Tuple;
  reply: Tuple;
}

const TUPLE = /src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/g;

/** `conntrack -L` lines (tcp and udp) as original and reply tuples. */
export function parseConntrack(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const proto = /^(tcp|udp)\s/.exec(line)?.[1] as 'tcp' | 'udp' | undefined;
    if (!proto) continue;
    const t = [...line.matchAll(TUPLE)].map((m) => ({
      src: m[1]!,
      dst: m[2]!,
      sport: Number(m[3]),
      dport: Number(m[4]),
    }));
    if (t.length === 2) out.push({ proto, orig: t[0]!, reply: t[1]! });
  }
  return out;
}

export async function readConntrack(d: DiffLab): Promise<CtEntry[]> {
  const r = await d.lab.exec(d.docker, ['conntrack', '-L']);
  if (r.code !== 0) throw new Error(`conntrack -L failed: ${r.stderr.trim()}`);
  return parseConntrack(r.stdout);
}

function split(hostPort: string, port: number): { addr: string; port: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort)!;
  return { addr: m[1]!, port: m[2] === undefined ? port : Number(m[2]) };
}

/** Where the simulator says the packet ends up: destination after DNAT, source after SNAT. */
export function simulatedNat(t: Trace): { dst: string; dport: number; src: string } {
  const last = (kinds: string[]) => [...t.rewrites].reverse().find((r) => kinds.includes(r.kind));
  const dnat = last(['dnat', 'redirect', 'netmap']);
  const snat = last(['snat', 'masquerade']);
  const dst = dnat
    ? split(dnat.to, t.packet.dport ?? -1)
    : { addr: t.packet.dst, port: t.packet.dport ?? -1 };
  const src = snat ? split(snat.to, t.packet.sport ?? -1).addr : t.packet.src;
  return { dst: dst.addr, dport: dst.port, src };
}

/** Why the simulator's NAT differs from the kernel's for this accepted packet (undefined: it agrees). */
export function natMismatch(t: Trace, entries: CtEntry[]): string | undefined {
  const p = t.packet;
  const e = entries.find(
    (x) =>
      x.proto === p.proto &&
      x.orig.src === p.src &&
      x.orig.dst === p.dst &&
      x.orig.sport === p.sport &&
      x.orig.dport === p.dport,
  );
  if (!e) return 'no conntrack entry for an accepted packet';
  const sim = simulatedNat(t);
  const real = { dst: e.reply.src, dport: e.reply.sport, src: e.reply.dst };
  if (sim.dst === real.dst && sim.dport === real.dport && sim.src === real.src) return undefined;
  return `kernel: to ${real.dst}:${real.dport} from ${real.src}; simulator: to ${sim.dst}:${sim.dport} from ${sim.src}`;
}
