import { printableData } from '../model/printable.js';
import { diag, type Diagnostic } from '../model/diagnostic.js';
import { bridgesInDockerRules } from './docker-bridges.js';
import type { Family } from '../model/ruleset.js';
import { parseAddr } from './addr.js';
import { compileFamily, setMap } from './compile.js';
import {
  describePacket,
  parseInstant,
  protoNumber,
  validatePacket,
  type Packet,
  type PacketOrigin,
} from './packet.js';
import { DEFAULT_TTL, defaultLength, type ProbeFields } from './probe-fields.js';
import { bridgeOf, buildHostIndex, ifaceTowards, routeLookup, type HostIndex } from './routing.js';
import { Thread, type CompiledFamily } from './thread.js';
import type { DecidedBy, SimInput, Trace } from './types.js';
import { Engine } from './walk.js';

/** A simulation input compiled once, for walking many packets. */
export interface Simulator {
  readonly host: HostIndex;
  compiled(family: Family): CompiledFamily;
  simulate(packet: Packet): Trace;
}

export function createSimulator(input: SimInput): Simulator {
  const host = buildHostIndex(input.host, input.docker);
  const sets = setMap(input.sets);
  const cache = new Map<Family, CompiledFamily>();
  const compiled = (family: Family): CompiledFamily => {
    let c = cache.get(family);
    if (!c) {
      c = compileFamily(family, input.rulesets[family], host, sets, input.nft);
      cache.set(family, c);
    }
    return c;
  };
  return {
    host,
    compiled,
    simulate: (packet) => runPacket(compiled(packet.family), host, packet),
  };
}

/**
 * The interfaces a packet can be said to arrive on: the host model's (with lo), the Docker bridges
 * the inventory names and those Docker's own rules name (a dump without an inventory), sorted.
 */
export function knownInterfaces(host: HostIndex, rulesets: SimInput['rulesets']): string[] {
  return [...new Set([...host.interfaces, ...host.bridges, ...bridgesInDockerRules(rulesets)])].sort();
}

/** Walks one packet through the rule set of its family, as the kernel would. */
export function simulate(input: SimInput, packet: Packet): Trace {
  return createSimulator(input).simulate(packet);
}

function emptyTrace(packet: Packet, diagnostics: Diagnostic[]): Trace {
  return {
    packet,
    family: packet.family,
    verdict: 'unknown',
    unknownReason: diagnostics[0]?.message ?? 'invalid packet',
    path: [],
    rewrites: [],
    assumptions: [],
    diagnostics,
  };
}

function runPacket(fam: CompiledFamily, host: HostIndex, packet: Packet): Trace {
  const diagnostics = validatePacket(packet);
  if (diagnostics.length > 0) return emptyTrace(packet, diagnostics);
  const src = parseAddr(packet.src, packet.family)!;
  const dst = parseAddr(packet.dst, packet.family)!;
  let local = packet.local === true;
  let inDev = packet.in ?? '';
  const assumptions: string[] = [];
  if (!local && !inDev) {
    if (routeLookup(host, packet.family, src).kind === 'local') {
      local = true;
      assumptions.push(`the source ${packet.src} is this host's own address: the host sends the packet`);
    } else {
      const via = ifaceTowards(host, packet.family, src);
      if (!via)
        return emptyTrace(packet, [
          diag(
            'error',
            'sim.no-origin',
            `cannot tell on which interface a packet from ${packet.src} arrives`,
            undefined,
            {
              hint: 'give the input interface, or a route towards the source in the host model',
            },
          ),
        ]);
      inDev = via;
      assumptions.push(`a packet from ${packet.src} arrives on ${via} (the interface its address routes to)`);
    }
  }
  if (!local && (packet.uid !== undefined || packet.gid !== undefined))
    return emptyTrace(packet, [
      diag(
        'error',
        'sim.owner-not-local',
        `uid and gid belong to a packet the host sends, and ${packet.src} is not one of the host's addresses`,
      ),
    ]);
  const t = new Thread({
    family: packet.family,
    proto: protoNumber(packet.proto),
    sport: packet.sport ?? -1,
    dport: packet.dport ?? -1,
    icmpType: packet.icmpType ?? -1,
    icmpCode: packet.icmpCode ?? -1,
    src,
    srcSet: null,
    dst,
    state: packet.state ?? 'NEW',
    local,
    mark: packet.mark ?? 0,
    trace: true,
  });
  t.probe = probeFields(packet, t.proto);
  t.ttl = packet.ttl ?? DEFAULT_TTL;
  // A bridge port: iptables sees the packet arrive on the bridge (physdev names the port).
  const bridge = local ? undefined : bridgeOf(host, inDev);
  if (bridge) {
    t.probe = { ...t.probe, physIn: inDev };
    assumptions.push(`${inDev} is a port of bridge ${bridge}: the packet arrives on ${bridge}`);
    inDev = bridge;
  }
  t.inDev = local ? '' : inDev;
  const engine = new Engine(fam, host, null);
  const out = engine.run(t);
  if (out.length !== 1) throw new Error(`simulator bug: a single packet ended as ${out.length} packets`);
  const end = out[0]!;
  const trace: Trace = {
    packet,
    family: packet.family,
    verdict: end.verdict!,
    path: end.path ?? [],
    rewrites: end.rewrites,
    assumptions: [...assumptions, ...engine.assumptions],
    diagnostics: [],
  };
  if (end.decidedBy) trace.decidedBy = end.decidedBy;
  if (end.unknownReason) trace.unknownReason = end.unknownReason;
  if (end.delivered) trace.delivered = end.delivered;
  if (!local) trace.inInterface = inDev;
  if (!local && !packet.in) trace.inInterfaceInferred = true;
  if (local) trace.sentByHost = true;
  if (end.delivered === 'forward' || local) trace.outInterface = end.outDev;
  return trace;
}

/** What the packet carries for the matches beyond addresses and ports (defaults marked as such). */
function probeFields(p: Packet, proto: number): ProbeFields {
  const f: ProbeFields = {};
  if (p.mac !== undefined) f.mac = p.mac.toLowerCase();
  if (p.uid !== undefined) f.uid = p.uid;
  if (p.gid !== undefined) f.gid = p.gid;
  if (p.length !== undefined) f.length = p.length;
  else {
    const len = defaultLength(p.family, proto, p.state ?? 'NEW');
    if (len >= 0) {
      f.length = len;
      f.lengthDefault = true;
    }
  }
  if (p.ttl === undefined) f.ttlDefault = true;
  if (p.ipsec) f.ipsec = true;
  if (p.at !== undefined) f.at = parseInstant(p.at)!;
  return f;
}

export function describeDecision(d: DecidedBy): string {
  switch (d.kind) {
    case 'rule':
      return `${d.table} ${d.chain} rule ${d.index}${d.line !== undefined ? ` (line ${d.line})` : ''}: ${d.rule}`;
    case 'policy':
      return `${d.table} ${d.policy} policy ${d.action}`;
    case 'kernel':
      return `the kernel: ${d.reason}`;
  }
}

export interface RenderOptions {
  /** Also list the rules that did not match (by default they are counted). */
  all?: boolean;
}

/** The trace as plain text lines (the CLI adds colour). */
export function renderTrace(raw: Trace, opts: RenderOptions = {}): string[] {
  // Rule texts, comments and chain names come from the host: shown escaped.
  const trace = printableData(raw);
  const origin: PacketOrigin = {};
  if (trace.inInterface) origin.in = trace.inInterface;
  if (trace.inInterfaceInferred) origin.inferred = true;
  if (trace.sentByHost) origin.local = true;
  const lines: string[] = [`packet: ${describePacket(trace.packet, origin)}`];
  let skipped = 0;
  let skippedIndent = '';
  const flush = () => {
    if (skipped > 0) lines.push(`${skippedIndent}(${skipped} rule${skipped === 1 ? '' : 's'} did not match)`);
    skipped = 0;
  };
  for (const s of trace.path) {
    switch (s.kind) {
      case 'hook':
        flush();
        lines.push(`${s.table} ${s.chain}${s.note ? `: ${s.note}` : ''}`);
        break;
      case 'rule': {
        const indent = '  '.repeat(s.depth + 1);
        if (!s.matched && !s.unknown && !opts.all) {
          if (skipped === 0) skippedIndent = indent;
          if (indent !== skippedIndent) {
            flush();
            skippedIndent = indent;
          }
          skipped++;
          break;
        }
        flush();
        const mark = s.unknown ? '?' : s.matched ? '=' : '.';
        const what = s.unknown ? `  ?? ${s.unknown}` : s.matched ? `  => ${s.action ?? 'match'}` : '';
        lines.push(`${indent}${mark} #${s.index} ${s.rule}${what}`);
        break;
      }
      case 'policy':
        flush();
        lines.push(`  policy ${s.action}`);
        break;
      case 'event':
        flush();
        lines.push(s.note);
        break;
    }
  }
  flush();
  for (const r of trace.rewrites)
    lines.push(`rewrite: ${r.kind} ${r.from} -> ${r.to} (${r.table} ${r.chain} #${r.index})`);
  const verdict = trace.verdict.toUpperCase();
  const by = trace.decidedBy ? ` by ${describeDecision(trace.decidedBy)}` : '';
  const where =
    trace.verdict === 'accept' && trace.delivered
      ? trace.delivered === 'local'
        ? ' (delivered to this host)'
        : ` (${trace.sentByHost ? 'sent by this host' : 'forwarded'} out ${trace.outInterface ?? '?'})`
      : '';
  lines.push(`verdict: ${verdict}${where}${by}`);
  if (trace.unknownReason) lines.push(`unknown because: ${trace.unknownReason}`);
  for (const a of trace.assumptions) lines.push(`assumed: ${a}`);
  for (const d of trace.diagnostics) lines.push(`${d.severity}: ${d.message}`);
  return lines;
}
