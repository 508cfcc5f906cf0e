import type { Family } from '../model/ruleset.js';
import { bigToAddr, formatBig, formatRange, maxAddr, type Addr } from './addr.js';
import { Bits } from './bits.js';
import { addrTypeBoundaries, martianSourceReason, type HostIndex } from './routing.js';
import {
  YES,
  type CompiledFamily,
  type CompiledRule,
  type RuleRun,
  type SrcCrit,
  type Thread,
} from './thread.js';

/**
 * The source address space of one family cut into equivalence classes: every address, CIDR,
 * ipset member and iprange a rule tests the source against (plus the host's own addresses, for
 * addrtype and martian checks) starts and ends classes, so every rule treats all addresses of a
 * class alike. A class is named by its index; its first address stands for it.
 */
export class ClassSpace {
  readonly starts: bigint[];
  readonly size: number;
  readonly reps: Addr[];
  private readonly critMasks = new Map<string, Bits>();
  private readonly ruleMasks: Array<Bits | null | undefined>;
  private martian: Bits | undefined;
  private readonly runText = new Map<number, string[]>();
  private readonly runs: Array<{ union: Bits; first: Int32Array } | undefined> = [];

  constructor(
    readonly family: Family,
    ranges: Iterable<[bigint, bigint]>,
    private readonly host: HostIndex,
    ruleCount: number,
  ) {
    const max = maxAddr(family);
    const points = new Set<bigint>([0n]);
    for (const [s, e] of ranges) {
      points.add(s);
      if (e < max) points.add(e + 1n);
    }
    this.starts = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.size = this.starts.length;
    this.reps = this.starts.map((s) => bigToAddr(s, family));
    this.ruleMasks = new Array<Bits | null | undefined>(ruleCount);
  }

  /** Index of the class holding address `v`. */
  indexOf(v: bigint): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** First and last address of class `i`. */
  bounds(i: number): [bigint, bigint] {
    const next = this.starts[i + 1];
    return [this.starts[i]!, next === undefined ? maxAddr(this.family) : next - 1n];
  }

  /** Classes `from`..`to` (adjacent) as CIDRs or `first-last`; cached, as probes repeat them. */
  formatRun(from: number, to: number): string[] {
    const key = from * this.size + to;
    let r = this.runText.get(key);
    if (!r) {
      r = formatRange(this.bounds(from)[0], this.bounds(to)[1], this.family);
      this.runText.set(key, r);
    }
    return r;
  }

  /** A readable address of class `i`: its first, or the next one when the first ends a prefix in .0. */
  exampleOf(i: number): string {
    const [s, e] = this.bounds(i);
    return formatBig(s < e && (s & 0xffn) === 0n ? s + 1n : s, this.family);
  }

  all(): Bits {
    return Bits.full(this.size);
  }

  private rangesBits(ranges: Array<[bigint, bigint]>): Bits {
    const b = Bits.empty(this.size);
    for (const [s, e] of ranges) b.addRange(this.indexOf(s), this.indexOf(e));
    return b;
  }

  /** Classes a source criterion holds for (negation applied). Only for criteria that are not dynamic. */
  critMask(c: SrcCrit, probe: Thread): Bits {
    const key = `${c.negated ? '!' : ''}${c.key}`;
    let m = this.critMasks.get(key);
    if (!m) {
      if (c.ranges) m = this.rangesBits(c.ranges);
      else {
        m = Bits.empty(this.size);
        for (let i = 0; i < this.size; i++) if (c.test(this.reps[i]!, probe) === YES) m.add(i);
      }
      if (c.negated) m = m.complement(this.size);
      this.critMasks.set(key, m);
    }
    return m;
  }

  /** The classes all of a rule's static source criteria hold for; null when it has none. */
  ruleMask(r: CompiledRule, probe: Thread): Bits | null {
    let m = this.ruleMasks[r.id];
    if (m === undefined) {
      m = null;
      for (const c of r.src) {
        if (c.dynamic) continue;
        const cm = this.critMask(c, probe);
        m = m === null ? cm : m.and(cm);
      }
      this.ruleMasks[r.id] = m;
    }
    return m;
  }

  /** For a run of rules: the classes any of them matches, and for each class the first that does. */
  runData(run: RuleRun, probe: Thread): { union: Bits; first: Int32Array } {
    let d = this.runs[run.id];
    if (!d) {
      const union = Bits.empty(this.size);
      const first = new Int32Array(this.size).fill(-1);
      for (let k = run.rules.length - 1; k >= 0; k--) {
        const m = this.ruleMask(run.rules[k]!, probe);
        if (!m) continue;
        m.forEach((c) => {
          first[c] = k;
          union.add(c);
        });
      }
      d = { union, first };
      this.runs[run.id] = d;
    }
    return d;
  }

  /** Classes of sources the kernel drops as martians when they arrive from outside. */
  martianMask(): Bits {
    if (!this.martian) {
      const m = Bits.empty(this.size);
      for (let i = 0; i < this.size; i++) {
        const [s] = this.bounds(i);
        if (martianSourceReason(this.host, this.family, s)) m.add(i);
      }
      this.martian = m;
    }
    return this.martian;
  }
}

export function buildClassSpace(fam: CompiledFamily, host: HostIndex): ClassSpace {
  const ranges: Array<[bigint, bigint]> = [...addrTypeBoundaries(host, fam.family)];
  if (fam.family === 'ipv6') ranges.push([0n, 0n]);
  for (const r of fam.rules) {
    for (const c of r.src) {
      for (const x of c.ranges ?? c.boundaries) ranges.push(x);
    }
  }
  return new ClassSpace(fam.family, ranges, host, fam.rules.length);
}
