import type { Diagnostic } from '../model/diagnostic.js';
import type { Family } from '../model/ruleset.js';
import { addrEquals, parseAddr } from './addr.js';
import { buildClassSpace, type ClassSpace } from './classes.js';
import { compileFamily, setMap } from './compile.js';
import { collectDestinations, type ListeningPort, type MatrixDestination } from './destinations.js';
import type { Bits } from './bits.js';
import { bridgesInDockerRules } from './docker-bridges.js';
import { dependsText, whenText, type Assumed } from './either-way.js';
import { buildHostIndex, externalInterfaces, primaryAddress, type HostIndex } from './routing.js';
import { Thread, type CompiledFamily } from './thread.js';
import type { DecidedBy, SimInput, SimVerdict } from './types.js';
import { Engine, type ClassSink } from './walk.js';

export interface MatrixInput extends SimInput {
  /** Ports the host itself listens on. */
  listening?: ListeningPort[];
  /** Interfaces outside traffic arrives on; default: all but lo, Docker's bridges and veths. */
  interfaces?: string[];
}

/** Sources that fare alike at one probe. */
export interface SourceGroup {
  /** The source ranges, as CIDRs (or `first-last` when that takes many CIDRs). */
  ranges: string[];
  /** One source address of the group, to look at with `simulate`. */
  example: string;
  verdict: SimVerdict;
  /** Accepted and delivered to the service (not NATed elsewhere, not to a port nobody listens on). */
  reachable: boolean;
  /** The rule, policy or kernel check that decided, when all sources of the group share it. */
  decidedBy?: DecidedBy;
  /**
   * When the group's sources were decided by more than one rule/policy: how many (a rule reached
   * on two different paths, e.g. after a MARK split, counts twice).
   */
  decisionCount?: number;
  unknownReason?: string;
  /**
   * Verdict `depends`: what it depends on (`open unless the source is in recent list \`ssh\`
   * (then drop)`). Such sources are never counted as reaching the service, nor as shut out.
   */
  dependsOn?: string;
  delivered?: 'local' | 'forward';
}

/** One packet shape (destination address, input interface) and how every source fares. */
export interface Probe {
  interface: string;
  dst: string;
  /**
   * `address`: a client sends to an address of the host. `link-neighbour`: a machine on the same
   * link sends to a loopback-bound port's loopback address (possible for a neighbour, not routable).
   */
  kind: 'address' | 'link-neighbour';
  groups: SourceGroup[];
}

export interface DestinationResult {
  destination: MatrixDestination;
  probes: Probe[];
  /** Union over the `address` probes of the sources that reach the service. */
  reachableFrom: string[];
  /** Every source (but the martians the kernel drops) reaches it on some interface. */
  worldOpen: boolean;
  /** Some source's verdict is unknown. */
  unknown: boolean;
  /** Some source's verdict depends on history or rates (`recent`, `limit`, …) or an unmodelled match. */
  depends: boolean;
  /** Why there are no probes (nothing was checked), e.g. no IPv6 state was given. */
  unchecked?: string;
}

export interface ServiceMatrix {
  interfaces: string[];
  destinations: DestinationResult[];
  /** Number of source classes per family. */
  classes: Partial<Record<Family, number>>;
  assumptions: string[];
  diagnostics: Diagnostic[];
}

const EPHEMERAL_PORT = 40000;

function uncheckedReason(input: MatrixInput, family: Family): string {
  const label = family === 'ipv4' ? 'IPv4' : 'IPv6';
  if (!input.rulesets[family])
    return `no ${label} state: no ${family === 'ipv4' ? 'iptables' : 'ip6tables'} rules were read`;
  return `no outside interface has an ${label} address`;
}

/** How the classes fall into groups at one probe, with the group's ranges as text. */
interface Layout {
  starts: Int32Array;
  seq: Int32Array;
  ranges: string[][];
  examples: string[];
}

interface FamilyCtx {
  fam: CompiledFamily;
  space: ClassSpace;
  engine: Engine;
  /** Probes often split the sources the same way: their range lists are built once and shared. */
  layouts: Map<number, Layout[]>;
  /** Scratch arrays reused by every probe. */
  byClass: Int32Array;
  starts: Int32Array;
  seq: Int32Array;
}

function samePrefix(a: Int32Array, b: Int32Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildLayout(
  space: ClassSpace,
  starts: Int32Array,
  seq: Int32Array,
  runs: number,
  groups: number,
): Pick<Layout, 'ranges' | 'examples'> {
  const ranges: string[][] = Array.from({ length: groups }, () => []);
  const examples: string[] = new Array<string>(groups).fill('');
  for (let k = 0; k < runs; k++) {
    const from = starts[k]!;
    const to = (k + 1 < runs ? starts[k + 1]! : space.size) - 1;
    const g = seq[k]!;
    if (ranges[g]!.length === 0) examples[g] = space.exampleOf(from);
    for (const r of space.formatRun(from, to)) ranges[g]!.push(r);
  }
  return { ranges, examples };
}

interface Outcome {
  id: number;
  verdict: SimVerdict;
  reachable: boolean;
  decidedBy: DecidedBy | undefined;
  decisions?: DecidedBy[];
  unknownReason: string | undefined;
  dependsOn?: string;
  delivered: 'local' | 'forward' | undefined;
}

function reaches(t: Thread, d: MatrixDestination, probeDst: string): boolean {
  if (t.verdict !== 'accept') return false;
  const proxyOrListener =
    t.delivered === 'local' &&
    !t.dnat &&
    t.dport === d.hostPort &&
    (d.hostIp === '0.0.0.0' || d.hostIp === '::' || d.hostIp === probeDst);
  if (d.kind === 'listening') return proxyOrListener;
  if (t.delivered === 'forward' && d.target) {
    const want = parseAddr(d.target.address, d.family);
    return !!want && addrEquals(t.dst, want) && t.dport === d.target.port;
  }
  // Without the DNAT the docker-proxy (userland proxy) still listens on the host port.
  return proxyOrListener;
}

/** The classes a branch of the walk (a thread that took conditions) ended with one outcome. */
interface PendingBranch {
  when: Assumed[];
  classes: Bits;
  id: number;
}

function outcomeWord(o: Outcome): string {
  return o.verdict === 'accept' && o.reachable ? 'open' : o.verdict;
}

/**
 * Answers the classes whose walk went both ways at conditions: the outcome every branch agrees
 * on, else `depends` naming the conditions (or `unknown` when a branch is unknown).
 */
function combineBranches(pending: PendingBranch[], byClass: Int32Array, outcomes: Outcome[]): void {
  const sig = pending.map((p) => `${p.when.map((a) => `${a.key}${a.holds ? '+' : '-'}`).join('&')}=${p.id}`);
  const perClass = new Map<number, number[]>();
  pending.forEach((p, k) =>
    p.classes.forEach((i) => {
      const l = perClass.get(i);
      if (l) l.push(k);
      else perClass.set(i, [k]);
    }),
  );
  const combined = new Map<string, number>();
  for (const [i, ks] of perClass) {
    const key = ks
      .map((k) => sig[k])
      .sort()
      .join('|');
    let id = combined.get(key);
    if (id === undefined) {
      id = combine(
        ks.map((k) => pending[k]!),
        outcomes,
      );
      combined.set(key, id);
    }
    byClass[i] = id;
  }
}

function combine(branches: PendingBranch[], outcomes: Outcome[]): number {
  const os = branches.map((b) => outcomes[b.id]!);
  const o0 = os[0]!;
  const agree = os.every(
    (o) => o.verdict === o0.verdict && o.reachable === o0.reachable && o.delivered === o0.delivered,
  );
  if (agree && o0.verdict !== 'unknown' && os.every((o) => o === o0)) return o0.id;
  const o: Outcome = {
    id: outcomes.length,
    verdict: o0.verdict,
    reachable: o0.reachable,
    decidedBy: undefined,
    unknownReason: undefined,
    delivered: o0.delivered,
  };
  if (agree && o0.verdict !== 'unknown') {
    const ds = [...new Set(os.flatMap((x) => x.decisions ?? (x.decidedBy ? [x.decidedBy] : [])))];
    if (ds.length === 1) o.decidedBy = ds[0];
    else o.decisions = ds;
  } else {
    const unknown = branches.findIndex((b) => outcomes[b.id]!.verdict === 'unknown');
    o.reachable = false;
    o.delivered = undefined;
    if (unknown >= 0) {
      const b = branches[unknown]!;
      o.verdict = 'unknown';
      o.unknownReason = `if ${whenText(b.when)}: ${os[unknown]!.unknownReason ?? 'the simulator cannot tell'}`;
    } else {
      o.verdict = 'depends';
      o.dependsOn = dependsText(branches.map((b, k) => ({ when: b.when, word: outcomeWord(os[k]!) })));
    }
  }
  outcomes.push(o);
  return o.id;
}

function runProbe(
  ctx: FamilyCtx,
  d: MatrixDestination,
  iface: string,
  dst: string,
  kind: Probe['kind'],
): Probe {
  const { space, engine } = ctx;
  const proto = d.proto === 'tcp' ? 6 : d.proto === 'udp' ? 17 : 132;
  const t = new Thread({
    family: d.family,
    proto,
    sport: EPHEMERAL_PORT,
    dport: d.hostPort,
    icmpType: -1,
    icmpCode: -1,
    src: space.reps[0]!,
    srcSet: space.all(),
    dst: parseAddr(dst, d.family)!,
    state: 'NEW',
    local: false,
    mark: 0,
    trace: false,
  });
  t.inDev = iface;
  // Outcomes are told apart by decision object (cached per rule), then by the rest.
  const outcomes: Outcome[] = [];
  const byDecision = new Map<DecidedBy | undefined, Outcome[]>();
  const pending: PendingBranch[] = [];
  const sink: ClassSink = {
    branch(_f, classes, id, when) {
      pending.push({ when: when.slice(), classes, id });
    },
    byClass: ctx.byClass.fill(-1),
    outcome(f) {
      const reachable = reaches(f, d, dst);
      if (f.decisions) {
        const o: Outcome = {
          id: outcomes.length,
          verdict: f.verdict!,
          reachable,
          decidedBy: f.decidedBy,
          decisions: f.decisions,
          unknownReason: f.unknownReason,
          delivered: f.delivered,
        };
        outcomes.push(o);
        return o.id;
      }
      let list = byDecision.get(f.decidedBy);
      if (!list) byDecision.set(f.decidedBy, (list = []));
      for (const o of list) {
        if (
          o.verdict === f.verdict &&
          o.reachable === reachable &&
          o.unknownReason === f.unknownReason &&
          o.delivered === f.delivered
        )
          return o.id;
      }
      const o: Outcome = {
        id: outcomes.length,
        verdict: f.verdict!,
        reachable,
        decidedBy: f.decidedBy,
        unknownReason: f.unknownReason,
        delivered: f.delivered,
      };
      outcomes.push(o);
      list.push(o);
      return o.id;
    },
  };
  engine.run(t, sink);
  const byClass = sink.byClass;
  if (pending.length > 0) combineBranches(pending, byClass, outcomes);
  if (byClass.includes(-1)) throw new Error('simulator bug: a source class got no verdict');
  // Sources with the same verdict form one group; its decision is kept when they share it.
  const groupOf = new Map<string, number>();
  const groups: SourceGroup[] = [];
  const members: Outcome[][] = [];
  const outcomeGroup = outcomes.map((o) => {
    const key = `${o.verdict} ${o.reachable} ${o.unknownReason ?? ''} ${o.delivered ?? ''} ${o.dependsOn ?? ''}`;
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groups.length;
      groupOf.set(key, g);
      const sg: SourceGroup = { ranges: [], example: '', verdict: o.verdict, reachable: o.reachable };
      if (o.unknownReason) sg.unknownReason = o.unknownReason;
      if (o.dependsOn) sg.dependsOn = o.dependsOn;
      if (o.delivered) sg.delivered = o.delivered;
      groups.push(sg);
      members.push([]);
    }
    members[g]!.push(o);
    return g;
  });
  groups.forEach((g, i) => {
    const os = members[i]!;
    let count = 0;
    for (const o of os) count += o.decisions?.length ?? 1;
    if (count === 1 && os[0]!.decidedBy) g.decidedBy = os[0]!.decidedBy;
    else if (count > 1) g.decisionCount = count;
  });
  // Runs of adjacent classes in the same group, groups numbered by first appearance.
  const order = new Int32Array(groups.length).fill(-1);
  let seen = 0;
  const { starts, seq } = ctx;
  let runs = 0;
  let h = 0x811c9dc5;
  const gOf = Int32Array.from(outcomeGroup);
  let prev = -1;
  for (let i = 0; i < space.size; i++) {
    const g = gOf[byClass[i]!]!;
    if (g === prev) continue;
    prev = g;
    if (order[g]! < 0) order[g] = seen++;
    starts[runs] = i;
    seq[runs++] = order[g]!;
    h = Math.imul(h ^ i, 0x01000193) ^ order[g]!;
  }
  const layout = ctx.layouts
    .get(h)
    ?.find((l) => samePrefix(l.starts, starts, runs) && samePrefix(l.seq, seq, runs));
  const { ranges, examples } = layout ?? buildLayout(space, starts, seq, runs, seen);
  if (!layout) {
    const list = ctx.layouts.get(h) ?? [];
    list.push({ starts: starts.slice(0, runs), seq: seq.slice(0, runs), ranges, examples });
    ctx.layouts.set(h, list);
  }
  for (let g = 0; g < groups.length; g++) {
    groups[g]!.ranges = ranges[order[g]!]!;
    groups[g]!.example = examples[order[g]!]!;
  }
  const sorted: SourceGroup[] = [];
  for (let g = 0; g < groups.length; g++) sorted[order[g]!] = groups[g]!;
  return { interface: iface, dst, kind, groups: sorted };
}

function isLoopbackText(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function isAny(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

function probesFor(
  d: MatrixDestination,
  host: HostIndex,
  ifaces: string[],
): Array<[string, string, Probe['kind']]> {
  const out: Array<[string, string, Probe['kind']]> = [];
  for (const iface of ifaces) {
    const own = primaryAddress(host, iface, d.family);
    if (isAny(d.hostIp) || isLoopbackText(d.hostIp)) {
      if (own) out.push([iface, own, 'address']);
      if (isLoopbackText(d.hostIp)) out.push([iface, d.hostIp, 'link-neighbour']);
    } else out.push([iface, d.hostIp, 'address']);
  }
  return out;
}

/**
 * For each destination (published container port or listening host port), which sources can
 * reach it, from each outside interface. The source address space of each family is cut into
 * classes that every rule treats alike; one walk per (destination, interface) carries all
 * classes at once and splits them where rules tell them apart.
 */
export function serviceMatrix(input: MatrixInput): ServiceMatrix {
  const host = buildHostIndex(input.host, input.docker);
  // Bridges Docker's own rules name (Docker 28+ lets a network name its bridge, e.g. bridge1).
  for (const b of bridgesInDockerRules(input.rulesets)) host.bridges.add(b);
  const sets = setMap(input.sets);
  const ifaces = input.interfaces ?? externalInterfaces(host);
  const destinations = collectDestinations(input.rulesets, input.docker, input.listening ?? [], input.nft);
  const ctxs = new Map<Family, FamilyCtx>();
  const ctxFor = (family: Family): FamilyCtx => {
    let c = ctxs.get(family);
    if (!c) {
      const fam = compileFamily(family, input.rulesets[family], host, sets, input.nft);
      const space = buildClassSpace(fam, host);
      c = {
        fam,
        space,
        engine: new Engine(fam, host, space),
        layouts: new Map(),
        byClass: new Int32Array(space.size),
        starts: new Int32Array(space.size),
        seq: new Int32Array(space.size),
      };
      ctxs.set(family, c);
    }
    return c;
  };
  const results: DestinationResult[] = [];
  for (const d of destinations) {
    const ctx = ctxFor(d.family);
    const probes = probesFor(d, host, ifaces).map(([iface, dst, kind]) => runProbe(ctx, d, iface, dst, kind));
    const addressProbes = probes.filter((p) => p.kind === 'address');
    const open = addressProbes.flatMap((p) => p.groups.filter((g) => g.reachable).map((g) => g.ranges));
    const reachableFrom = open.length === 1 ? open[0]! : [...new Set(open.flat())];
    const worldOpen = addressProbes.some((p) =>
      p.groups.every(
        (g) => g.reachable || (g.decidedBy?.kind === 'kernel' && g.decidedBy.reason.startsWith('martian')),
      ),
    );
    const result: DestinationResult = {
      destination: d,
      probes,
      reachableFrom,
      worldOpen,
      unknown: probes.some((p) => p.groups.some((g) => g.verdict === 'unknown')),
      depends: probes.some((p) => p.groups.some((g) => g.verdict === 'depends')),
    };
    if (probes.length === 0) result.unchecked = uncheckedReason(input, d.family);
    results.push(result);
  }
  const assumptions = new Set<string>();
  const classes: Partial<Record<Family, number>> = {};
  for (const [f, c] of ctxs) {
    classes[f] = c.space.size;
    for (const a of c.engine.assumptions) assumptions.add(a);
  }
  if (results.length > 0) assumptions.add(`clients send from an ephemeral source port (${EPHEMERAL_PORT})`);
  return {
    interfaces: ifaces,
    destinations: results,
    classes,
    assumptions: [...assumptions],
    diagnostics: [],
  };
}
