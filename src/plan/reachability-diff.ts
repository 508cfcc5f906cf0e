import type { DockerInventory, Family, HostModel, HostState, NftRuleset } from '../model/index.js';
import { addrToBig, maxAddr, parseAddrRange, parseCidr, rangeToCidrs } from '../sim/addr.js';
import {
  describeDestination,
  serviceMatrix,
  type DestinationResult,
  type ListeningPort,
  type MatrixDestination,
  type Probe,
} from '../sim/index.js';

/** Inclusive address ranges of one family, sorted and disjoint. */
type Ranges = Array<[bigint, bigint]>;

/** How the sources that reach one port through one interface change when a plan is applied. */
export interface ReachChange {
  /** The port as `audit` names it, e.g. `0.0.0.0:8000/tcp published by web -> 172.17.0.2:8000`. */
  destination: string;
  family: Family;
  proto: MatrixDestination['proto'];
  port: number;
  interface: string;
  /** The address the probe sends to (the host's address on the interface, or the bound one). */
  dst: string;
  probe: Probe['kind'];
  /** Sources that cannot reach the port now and can after the plan, in the fewest CIDR blocks. */
  gained: string[];
  /** Sources that can reach it now and cannot after. */
  lost: string[];
  /**
   * When fewer blocks say it: every source but these gains access (the sources the kernel drops
   * as martian aside, on both sides). Same for `lostAllBut`.
   */
  gainedAllBut?: string[];
  lostAllBut?: string[];
  /**
   * Sources whose access the simulator cannot decide on one side (now or after) while the other
   * side is decided: they may gain or lose access, or keep it. Never counted as open or closed.
   */
  depends: string[];
}

export interface ReachabilityDiff {
  formatVersion: 1;
  /** No source gains or loses access anywhere, and no cell became undecidable or decidable. */
  unchanged: boolean;
  changes: ReachChange[];
  /** Cells (port × interface) whose verdict is unknown for some sources both now and after. */
  unknownBoth: number;
  /** Ports looked at (per family, protocol, bound address). */
  ports: number;
  interfaces: string[];
  assumptions: string[];
}

export interface ReachabilityInput {
  before: HostState;
  after: HostState;
  /** The nftables rule set before and after (Docker's nftables backend: Docker's tables, dockwall's). */
  nftBefore?: NftRuleset;
  nftAfter?: NftRuleset;
  host: HostModel;
  docker?: DockerInventory;
  listening?: ListeningPort[];
  interfaces?: string[];
}

function parseRange(text: string, family: Family): [bigint, bigint] | undefined {
  if (text.includes('-') && !text.includes('/')) {
    const r = parseAddrRange(text, family);
    return r && [addrToBig(r[0]), addrToBig(r[1])];
  }
  const c = parseCidr(text, family);
  return c && c.prefix >= 0 ? [c.start, c.end] : undefined;
}

/** Sorted, merged ranges of a list of range texts (CIDRs or `first-last`). */
function rangesOf(texts: string[], family: Family): Ranges {
  const list: Ranges = [];
  for (const t of texts) {
    const r = parseRange(t, family);
    if (r) list.push(r);
  }
  return normalize(list);
}

function normalize(list: Ranges): Ranges {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Ranges = [];
  for (const [s, e] of list) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

export function unionRanges(a: Ranges, b: Ranges): Ranges {
  return normalize([
    ...a.map((r) => [...r] as [bigint, bigint]),
    ...b.map((r) => [...r] as [bigint, bigint]),
  ]);
}

/** `a` without the addresses of `b` (both sorted and disjoint). */
export function subtractRanges(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  let j = 0;
  for (const [s0, e] of a) {
    let s = s0;
    while (j < b.length && b[j]![1] < s) j++;
    let k = j;
    while (s <= e && k < b.length && b[k]![0] <= e) {
      const [bs, be] = b[k]!;
      if (bs > s) out.push([s, bs - 1n]);
      s = be + 1n;
      k++;
    }
    if (s <= e) out.push([s, e]);
  }
  return out;
}

export function intersectRanges(a: Ranges, b: Ranges): Ranges {
  return subtractRanges(a, subtractRanges(a, b));
}

/** The fewest CIDR blocks covering exactly these ranges. */
function cidrsOf(r: Ranges, family: Family): string[] {
  return r.flatMap(([s, e]) => rangeToCidrs(s, e, family));
}

interface Cell {
  reach: Ranges;
  unknown: Ranges;
  /** Sources the kernel drops before any rule (martians): nobody's access there can change. */
  martian: Ranges;
}

function cellOf(p: Probe, family: Family): Cell {
  const reach: string[] = [];
  const unknown: string[] = [];
  const martian: string[] = [];
  for (const g of p.groups) {
    if (g.verdict === 'unknown' || g.verdict === 'depends') unknown.push(...g.ranges);
    else if (g.reachable) reach.push(...g.ranges);
    else if (g.decidedBy?.kind === 'kernel' && g.decidedBy.reason.startsWith('martian'))
      martian.push(...g.ranges);
  }
  return {
    reach: rangesOf(reach, family),
    unknown: rangesOf(unknown, family),
    martian: rangesOf(martian, family),
  };
}

/** The reachable and the unknown sources of a probe, as the range texts the matrix gives. */
function signature(p: Probe): string {
  const reach: string[] = [];
  const unknown: string[] = [];
  for (const g of p.groups) {
    if (g.verdict === 'unknown' || g.verdict === 'depends') unknown.push(g.ranges.join(' '));
    else if (g.reachable) reach.push(g.ranges.join(' '));
  }
  return `${reach.join(' ')}|${unknown.join(' ')}`;
}

const NOBODY: Cell = { reach: [], unknown: [], martian: [] };

/** The sources but `r` (and but the martians), when that takes fewer blocks than `r` itself. */
function allBut(r: Ranges, martian: Ranges, family: Family, blocks: number): string[] | undefined {
  if (blocks <= 2) return undefined;
  const rest = cidrsOf(subtractRanges(subtractRanges([[0n, maxAddr(family)]], martian), r), family);
  return rest.length < blocks ? rest : undefined;
}

function destKey(d: MatrixDestination): string {
  return `${d.family} ${d.proto} ${d.hostIp} ${d.hostPort} ${d.kind} ${d.target?.address ?? ''}:${d.target?.port ?? ''}`;
}

function cellsOf(
  results: DestinationResult[],
): Map<string, { d: MatrixDestination; cells: Map<string, Probe> }> {
  const out = new Map<string, { d: MatrixDestination; cells: Map<string, Probe> }>();
  for (const r of results) {
    const k = destKey(r.destination);
    if (out.has(k)) continue;
    out.set(k, {
      d: r.destination,
      cells: new Map(r.probes.map((p) => [`${p.interface} ${p.dst} ${p.kind}`, p])),
    });
  }
  return out;
}

/**
 * Which sources gain and which lose access to each port `audit` looks at (published container
 * ports, listening host ports) when the rule set `before` becomes `after`, per interface and family.
 * Both states are walked by the simulator; the difference is taken on address ranges, so a plan
 * that only reorders or renames rules shows no change. Sources the simulator cannot decide on one
 * side are reported as `depends`, never as gained or lost.
 */
export function reachabilityDiff(input: ReachabilityInput): ReachabilityDiff {
  const common = {
    host: input.host,
    ...(input.docker ? { docker: input.docker } : {}),
    ...(input.listening ? { listening: input.listening } : {}),
    ...(input.interfaces ? { interfaces: input.interfaces } : {}),
  };
  const mb = serviceMatrix({
    ...common,
    rulesets: input.before.rulesets,
    sets: input.before.sets,
    ...(input.nftBefore ? { nft: input.nftBefore } : {}),
  });
  const ma = serviceMatrix({
    ...common,
    rulesets: input.after.rulesets,
    sets: input.after.sets,
    ...(input.nftAfter ? { nft: input.nftAfter } : {}),
  });
  const before = cellsOf(mb.destinations);
  const after = cellsOf(ma.destinations);
  const changes: ReachChange[] = [];
  let unknownBoth = 0;
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  for (const k of keys) {
    const b = before.get(k);
    const a = after.get(k);
    const d = (a ?? b)!.d;
    const probeKeys = [...new Set([...(b?.cells.keys() ?? []), ...(a?.cells.keys() ?? [])])];
    for (const pk of probeKeys) {
      const pb = b?.cells.get(pk);
      const pa = a?.cells.get(pk);
      const probe = (pa ?? pb)!;
      // The same range texts on both sides are the same sources (runs are maximal): nothing to diff.
      if (pa && pb) {
        const sig = signature(pa);
        if (sig === signature(pb)) {
          if (!sig.endsWith('|')) unknownBoth++;
          continue;
        }
      }
      const cb = pb ? cellOf(pb, d.family) : NOBODY;
      const ca = pa ? cellOf(pa, d.family) : NOBODY;
      const undecided = unionRanges(cb.unknown, ca.unknown);
      const both = intersectRanges(cb.unknown, ca.unknown);
      if (both.length > 0) unknownBoth++;
      const gained = subtractRanges(subtractRanges(ca.reach, cb.reach), undecided);
      const lost = subtractRanges(subtractRanges(cb.reach, ca.reach), undecided);
      const depends = subtractRanges(undecided, both);
      if (gained.length + lost.length + depends.length === 0) continue;
      const change: ReachChange = {
        destination: describeDestination(d),
        family: d.family,
        proto: d.proto,
        port: d.hostPort,
        interface: probe.interface,
        dst: probe.dst,
        probe: probe.kind,
        gained: cidrsOf(gained, d.family),
        lost: cidrsOf(lost, d.family),
        depends: cidrsOf(depends, d.family),
      };
      const martian = intersectRanges(cb.martian, ca.martian);
      const gainedAllBut = allBut(gained, martian, d.family, change.gained.length);
      if (gainedAllBut) change.gainedAllBut = gainedAllBut;
      const lostAllBut = allBut(lost, martian, d.family, change.lost.length);
      if (lostAllBut) change.lostAllBut = lostAllBut;
      changes.push(change);
    }
  }
  return {
    formatVersion: 1,
    unchanged: changes.length === 0,
    changes,
    unknownBoth,
    ports: keys.length,
    interfaces: ma.interfaces,
    assumptions: [...new Set([...mb.assumptions, ...ma.assumptions])],
  };
}

/** Whether `addr` lies in one of the CIDR blocks (of the family of `addr`). */
export function inCidrs(addr: string, cidrs: string[], family: Family): boolean {
  const v = parseRange(addr, family);
  if (!v) return false;
  return cidrs.some((c) => {
    const r = parseRange(c, family);
    return !!r && r[0] <= v[0] && v[0] <= r[1];
  });
}

const SHOWN = 8;

function list(cidrs: string[]): string {
  const shown = cidrs.length > SHOWN ? [...cidrs.slice(0, SHOWN), `… ${cidrs.length - SHOWN} more`] : cidrs;
  return shown.join(', ');
}

function sources(cidrs: string[], allBut: string[] | undefined): string {
  if (!allBut) return list(cidrs);
  const but = allBut.length > 0 ? ` but ${list(allBut)}` : '';
  return `every source${but} (martian sources aside; ${cidrs.length} blocks in --json)`;
}

/** The difference as plain text lines, for the end of `plan` and before `apply` asks. */
export function renderReachabilityDiff(diff: ReachabilityDiff): string[] {
  const lines: string[] = ['Reachability after this plan:'];
  if (diff.unchanged)
    lines.push(`  no change in reachability (${diff.ports} port${diff.ports === 1 ? '' : 's'} looked at)`);
  for (const c of diff.changes) {
    const where = `in ${c.interface} to ${c.dst}${c.probe === 'link-neighbour' ? ' (from a link neighbour)' : ''}`;
    lines.push(`  ${c.destination} ${c.family} ${where}:`);
    if (c.gained.length > 0) lines.push(`    + gain access: ${sources(c.gained, c.gainedAllBut)}`);
    if (c.lost.length > 0) lines.push(`    - lose access: ${sources(c.lost, c.lostAllBut)}`);
    if (c.depends.length > 0) lines.push(`    ? depends (the simulator cannot decide): ${list(c.depends)}`);
  }
  if (diff.unknownBoth > 0)
    lines.push(
      `  ${diff.unknownBoth} port/interface cell${diff.unknownBoth === 1 ? '' : 's'} stay unknown for some sources (see audit)`,
    );
  return lines;
}
