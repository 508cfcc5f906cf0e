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
import { conditionsOf, dependsText } from './either-way.js';
import { Thread, type CompiledFamily } from './thread.js';
import type { DecidedBy, PathStep, SimInput, Trace, TraceBranch } from './types.js';
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
  if (out.length === 0) throw new Error('simulator bug: a single packet ended as no packet');
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
  if (out.length > 1 || end.conds) combineBranches(trace, out, local);
  else if (out.length !== 1) throw new Error(`simulator bug: a single packet ended as ${out.length} packets`);
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

/** Puts the branches of a walk that took conditions together (either-way.ts). */
function combineBranches(trace: Trace, out: Thread[], local: boolean): void {
  const branches: TraceBranch[] = out.map((x) => {
    const b: TraceBranch = {
      when: (x.conds ?? []).map((a) => ({ fact: a.fact, holds: a.holds, text: a.text })),
      verdict: x.verdict!,
      path: x.path ?? [],
    };
    if (x.decidedBy) b.decidedBy = x.decidedBy;
    if (x.unknownReason) b.unknownReason = x.unknownReason;
    if (x.delivered) b.delivered = x.delivered;
    if (x.delivered === 'forward' || local) b.outInterface = x.outDev;
    return b;
  });
  trace.branches = branches;
  const first = branches[0]!;
  const agree = branches.every((b) => b.verdict === first.verdict && b.delivered === first.delivered);
  const facts = conditionsOf(out.map((x) => ({ when: x.conds ?? [] })));
  if (agree && first.verdict !== 'unknown') {
    trace.eitherWay = facts;
    const by = first.decidedBy && describeDecision(first.decidedBy);
    if (branches.some((b) => (b.decidedBy && describeDecision(b.decidedBy)) !== by)) delete trace.decidedBy;
    return;
  }
  delete trace.decidedBy;
  delete trace.delivered;
  delete trace.outInterface;
  const unknown = branches.find((b) => b.verdict === 'unknown');
  if (unknown) {
    trace.verdict = 'unknown';
    const when = unknown.when.map((w) => w.text).join(' and ');
    trace.unknownReason = `${when ? `if ${when}: ` : ''}${unknown.unknownReason ?? 'the simulator cannot tell'}`;
    return;
  }
  trace.verdict = 'depends';
  delete trace.unknownReason;
  trace.depends = dependsText(
    branches.map((b) => ({
      when: b.when.map((w) => ({ key: w.fact, text: w.text, holds: w.holds, fact: w.fact })),
      word: b.verdict,
    })),
  );
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

/** Path steps as text lines (rules that did not match are counted, unless `all`). */
function renderSteps(steps: readonly PathStep[], opts: RenderOptions, pad = ''): string[] {
  const lines: string[] = [];
  let skipped = 0;
  let skippedIndent = '';
  const flush = () => {
    if (skipped > 0) lines.push(`${skippedIndent}(${skipped} rule${skipped === 1 ? '' : 's'} did not match)`);
    skipped = 0;
  };
  for (const s of steps) {
    switch (s.kind) {
      case 'hook':
        flush();
        lines.push(`${pad}${s.table} ${s.chain}${s.note ? `: ${s.note}` : ''}`);
        break;
      case 'rule': {
        const indent = pad + '  '.repeat(s.depth + 1);
        if (!s.matched && !s.unknown && !s.assumed && !opts.all) {
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
        const cond = s.assumed ? `  [${s.assumed}]` : '';
        lines.push(`${indent}${mark} #${s.index} ${s.rule}${what}${cond}`);
        break;
      }
      case 'policy':
        flush();
        lines.push(`${pad}  policy ${s.action}`);
        break;
      case 'event':
        flush();
        lines.push(`${pad}${s.note}`);
        break;
    }
  }
  flush();
  return lines;
}

function verdictLine(
  t: Pick<Trace, 'verdict' | 'delivered' | 'sentByHost' | 'outInterface' | 'decidedBy'>,
): string {
  const verdict = t.verdict.toUpperCase();
  const by = t.decidedBy ? ` by ${describeDecision(t.decidedBy)}` : '';
  const where =
    t.verdict === 'accept' && t.delivered
      ? t.delivered === 'local'
        ? ' (delivered to this host)'
        : ` (${t.sentByHost ? 'sent by this host' : 'forwarded'} out ${t.outInterface ?? '?'})`
      : '';
  return `${verdict}${where}${by}`;
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
  const branches = trace.branches;
  if (!branches) lines.push(...renderSteps(trace.path, opts));
  else {
    // The steps every branch shares once, then each branch from where it parts.
    let common = 0;
    const p0 = branches[0]!.path;
    while (
      common < p0.length &&
      branches.every((b) => JSON.stringify(b.path[common]) === JSON.stringify(p0[common]))
    )
      common++;
    lines.push(...renderSteps(p0.slice(0, common), opts));
    for (const b of branches) {
      lines.push(`if ${b.when.map((w) => w.text).join(' and ') || 'nothing else'}:`);
      lines.push(...renderSteps(b.path.slice(common), opts, '  '));
      const bv = verdictLine({ ...b, sentByHost: trace.sentByHost });
      lines.push(`  => ${bv}${b.unknownReason ? ` (unknown because: ${b.unknownReason})` : ''}`);
    }
  }
  for (const r of trace.rewrites)
    lines.push(`rewrite: ${r.kind} ${r.from} -> ${r.to} (${r.table} ${r.chain} #${r.index})`);
  lines.push(`verdict: ${verdictLine(trace)}${trace.depends ? `: ${trace.depends}` : ''}`);
  if (trace.depends)
    lines.push('depends: the verdict is not proven either way (it depends on the conditions above)');
  if (trace.eitherWay?.length)
    lines.push(`holds either way: whether or not ${trace.eitherWay.join(', or whether or not ')}`);
  if (trace.unknownReason) lines.push(`unknown because: ${trace.unknownReason}`);
  for (const a of trace.assumptions) lines.push(`assumed: ${a}`);
  for (const d of trace.diagnostics) lines.push(`${d.severity}: ${d.message}`);
  return lines;
}
