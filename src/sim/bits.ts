/**
 * A set of small integers (source class indices) as a bit array. `lo`..`hi` bound the words
 * that may be non-zero, so operations on narrow masks (one CIDR) touch only a few words.
 */
export class Bits {
  constructor(
    readonly words: Uint32Array,
    public lo: number,
    public hi: number,
    public count: number,
  ) {}

  static empty(size: number): Bits {
    return new Bits(new Uint32Array(wordsFor(size)), 0, -1, 0);
  }

  static full(size: number): Bits {
    const b = Bits.empty(size);
    b.addRange(0, size - 1);
    return b;
  }

  /** Adds the indices from..to (inclusive). */
  addRange(from: number, to: number): void {
    for (let i = from; i <= to;) {
      const w = i >>> 5;
      const bit = i & 31;
      if (bit === 0 && i + 31 <= to) {
        this.count += 32 - popcount(this.words[w]!);
        this.words[w] = 0xffffffff;
        i += 32;
      } else {
        const m = 1 << bit;
        if ((this.words[w]! & m) === 0) {
          this.words[w] = (this.words[w]! | m) >>> 0;
          this.count++;
        }
        i++;
      }
    }
    this.widen(from >>> 5, to >>> 5);
  }

  add(i: number): void {
    const w = i >>> 5;
    const m = 1 << (i & 31);
    if ((this.words[w]! & m) !== 0) return;
    this.words[w] = (this.words[w]! | m) >>> 0;
    this.count++;
    this.widen(w, w);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  private widen(lo: number, hi: number): void {
    if (this.hi < this.lo) {
      this.lo = lo;
      this.hi = hi;
    } else {
      if (lo < this.lo) this.lo = lo;
      if (hi > this.hi) this.hi = hi;
    }
  }

  /** How many indices are in both. */
  andCount(m: Bits): number {
    const lo = Math.max(this.lo, m.lo);
    const hi = Math.min(this.hi, m.hi);
    let c = 0;
    for (let w = lo; w <= hi; w++) c += popcount(this.words[w]! & m.words[w]!);
    return c;
  }

  /** Removes `this ∩ m` from this set and returns it as a new set. */
  splitOff(m: Bits): Bits {
    const out = new Bits(new Uint32Array(this.words.length), 0, -1, 0);
    const lo = Math.max(this.lo, m.lo);
    const hi = Math.min(this.hi, m.hi);
    for (let w = lo; w <= hi; w++) {
      const both = (this.words[w]! & m.words[w]!) >>> 0;
      if (both === 0) continue;
      const n = popcount(both);
      out.words[w] = both;
      out.count += n;
      out.widen(w, w);
      this.words[w] = (this.words[w]! & ~both) >>> 0;
      this.count -= n;
    }
    return out;
  }

  and(m: Bits): Bits {
    const out = new Bits(new Uint32Array(this.words.length), 0, -1, 0);
    const lo = Math.max(this.lo, m.lo);
    const hi = Math.min(this.hi, m.hi);
    for (let w = lo; w <= hi; w++) {
      const both = (this.words[w]! & m.words[w]!) >>> 0;
      if (both === 0) continue;
      out.words[w] = both;
      out.count += popcount(both);
      out.widen(w, w);
    }
    return out;
  }

  /** Removes `this ∩ m` from this set, writing `id` at those indices of `out`. */
  takeInto(m: Bits, out: Int32Array, id: number): void {
    const lo = Math.max(this.lo, m.lo);
    const hi = Math.min(this.hi, m.hi);
    for (let w = lo; w <= hi; w++) {
      const both = (this.words[w]! & m.words[w]!) >>> 0;
      if (both === 0) continue;
      this.words[w] = (this.words[w]! & ~both) >>> 0;
      this.count -= popcount(both);
      writeBits(both, w, out, id);
    }
  }

  /** Removes `this ∩ m` from this set, calling `fn` for each index removed. */
  takeEach(m: Bits, fn: (i: number) => void): void {
    const lo = Math.max(this.lo, m.lo);
    const hi = Math.min(this.hi, m.hi);
    for (let w = lo; w <= hi; w++) {
      let both = (this.words[w]! & m.words[w]!) >>> 0;
      if (both === 0) continue;
      this.words[w] = (this.words[w]! & ~both) >>> 0;
      this.count -= popcount(both);
      while (both !== 0) {
        const t = both & -both;
        fn((w << 5) + (31 - Math.clz32(t)));
        both = (both ^ t) >>> 0;
      }
    }
  }

  /** Writes `id` at every index of this set in `out`. */
  writeInto(out: Int32Array, id: number): void {
    for (let w = this.lo; w <= this.hi; w++) {
      const v = this.words[w]!;
      if (v !== 0) writeBits(v, w, out, id);
    }
  }

  /** The indices 0..size-1 not in this set. */
  complement(size: number): Bits {
    const out = Bits.full(size);
    out.splitOff(this);
    return out;
  }

  clone(): Bits {
    return new Bits(this.words.slice(), this.lo, this.hi, this.count);
  }

  forEach(fn: (i: number) => void): void {
    for (let w = this.lo; w <= this.hi; w++) {
      let v = this.words[w]!;
      while (v !== 0) {
        const t = v & -v;
        fn((w << 5) + (31 - Math.clz32(t)));
        v = (v ^ t) >>> 0;
      }
    }
  }

  first(): number {
    for (let w = this.lo; w <= this.hi; w++) {
      const v = this.words[w]!;
      if (v !== 0) return (w << 5) + (31 - Math.clz32(v & -v));
    }
    return -1;
  }
}

function writeBits(v: number, w: number, out: Int32Array, id: number): void {
  if (v === 0xffffffff) {
    out.fill(id, w << 5, (w << 5) + 32);
    return;
  }
  while (v !== 0) {
    const t = v & -v;
    out[(w << 5) + (31 - Math.clz32(t))] = id;
    v = (v ^ t) >>> 0;
  }
}

function wordsFor(size: number): number {
  return Math.max(1, (size + 31) >>> 5);
}

export function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
