import type { Family } from '../model/ruleset.js';
import { addrToBig, formatBig, formatRange, maxAddr, parseAddrRange, parseCidr } from '../sim/addr.js';
import type { AuditReport, DestinationResult, Probe, SourceGroup } from '../sim/index.js';

/**
 * The matrix's columns: the coarsest cut of a family's source addresses such that, in every row
 * (destination × probe), all addresses of a column fall in the same source group. Each row's
 * groups partition the address space; the columns are the common refinement of all rows,
 * with addresses that fare alike in every row merged into one column.
 */

export interface SourceColumn {
  /** Stable within the matrix: the column's position. */
  id: number;
  kind: 'specific' | 'rest' | 'martian';
  label: string;
  /** The addresses, as CIDRs or `first-last`. */
  ranges: string[];
  example: string;
  /** How many addresses the column holds. */
  size: bigint;
}

export interface MatrixRow {
  result: DestinationResult;
  probe: Probe;
  /** The row's group for each column, by column position. */
  cells: SourceGroup[];
}

export interface FamilyMatrix {
  family: Family;
  columns: SourceColumn[];
  rows: MatrixRow[];
}

type Interval = [bigint, bigint];

function intervalsOf(range: string, family: Family): Interval[] {
  if (range.includes('/')) {
    const c = parseCidr(range, family);
    return c ? [[c.start, c.end]] : [];
  }
  const r = parseAddrRange(range, family);
  return r ? [[addrToBig(r[0]), addrToBig(r[1])]] : [];
}

/** The group holding each address of the row, as sorted interval starts. */
function rowIndex(probe: Probe, family: Family): { starts: bigint[]; groups: number[] } {
  const list: Array<[bigint, number]> = [];
  probe.groups.forEach((g, i) => {
    for (const r of g.ranges) for (const [s] of intervalsOf(r, family)) list.push([s, i]);
  });
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { starts: list.map((x) => x[0]), groups: list.map((x) => x[1]) };
}

function lookup(idx: { starts: bigint[]; groups: number[] }, v: bigint): number {
  let lo = 0;
  let hi = idx.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (idx.starts[mid]! <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? -1 : idx.groups[found]!;
}

function isMartian(g: SourceGroup): boolean {
  return g.decidedBy?.kind === 'kernel' && g.decidedBy.reason.startsWith('martian');
}

function example(start: bigint, end: bigint, family: Family): string {
  return formatBig(start < end && (start & 0xffn) === 0n ? start + 1n : start, family);
}

function shortList(ranges: string[], shown = 2): string {
  if (ranges.length <= shown) return ranges.join(', ');
  return `${ranges.slice(0, shown).join(', ')} +${ranges.length - shown} more`;
}

export function familyMatrix(report: AuditReport, family: Family): FamilyMatrix | undefined {
  const rows: Array<{ result: DestinationResult; probe: Probe }> = [];
  for (const result of report.destinations) {
    if (result.destination.family !== family) continue;
    for (const probe of result.probes) rows.push({ result, probe });
  }
  if (rows.length === 0) return undefined;
  const cuts = new Set<bigint>([0n]);
  const top = maxAddr(family);
  for (const { probe } of rows)
    for (const g of probe.groups)
      for (const r of g.ranges)
        for (const [s, e] of intervalsOf(r, family)) {
          cuts.add(s);
          if (e < top) cuts.add(e + 1n);
        }
  const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const indexes = rows.map((r) => rowIndex(r.probe, family));
  const bySignature = new Map<string, { intervals: Interval[]; groups: number[] }>();
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    const e = i + 1 < sorted.length ? sorted[i + 1]! - 1n : top;
    const groups = indexes.map((idx) => lookup(idx, s));
    const key = groups.join(',');
    let col = bySignature.get(key);
    if (!col) bySignature.set(key, (col = { intervals: [], groups }));
    const last = col.intervals[col.intervals.length - 1];
    if (last && last[1] + 1n === s) last[1] = e;
    else col.intervals.push([s, e]);
  }
  const raw = [...bySignature.values()].map((c) => {
    const cells = c.groups.map((g, r) => rows[r]!.probe.groups[g]!);
    let size = 0n;
    for (const [s, e] of c.intervals) size += e - s + 1n;
    return {
      cells,
      size,
      ranges: c.intervals.flatMap(([s, e]) => formatRange(s, e, family, 4)),
      first: c.intervals[0]![0],
      example: example(c.intervals[0]![0], c.intervals[0]![1], family),
      martian: cells.every(isMartian),
    };
  });
  const ordinary = raw.filter((c) => !c.martian);
  const rest = ordinary.reduce<(typeof raw)[number] | undefined>(
    (a, c) => (!a || c.size > a.size ? c : a),
    undefined,
  );
  const order = [
    ...ordinary.filter((c) => c !== rest).sort((a, b) => (a.first < b.first ? -1 : 1)),
    ...(rest ? [rest] : []),
    ...raw.filter((c) => c.martian),
  ];
  const columns: SourceColumn[] = order.map((c, id) => {
    const kind: SourceColumn['kind'] = c.martian ? 'martian' : c === rest ? 'rest' : 'specific';
    const label =
      kind === 'martian'
        ? 'martian sources'
        : kind === 'rest'
          ? ordinary.length === 1
            ? 'every source'
            : 'every other source'
          : shortList(c.ranges);
    return { id, kind, label, ranges: c.ranges, example: c.example, size: c.size };
  });
  return {
    family,
    columns,
    rows: rows.map((r, i) => ({ ...r, cells: order.map((c) => c.cells[i]!) })),
  };
}
