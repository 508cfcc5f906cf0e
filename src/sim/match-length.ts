import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/** `64`, `0:1500`, `:1500`, `1000:` → inclusive range of lengths. */
export function parseLengthRange(text: string): [number, number] | undefined {
  const m = /^(\d*)(?::(\d*))?$/.exec(text);
  if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
  const lo = m[1] === '' ? 0 : Number(m[1]);
  const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
  return lo <= hi && hi <= 65535 ? [lo, hi] : undefined;
}

/**
 * `-m length --length`: the IP packet's total length (IPv6: payload plus the 40-byte header), the
 * probe's (trace `--length`) or else the usual first packet of its protocol (see defaultLength).
 */
export function compileLength(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    if (o.name !== '--length') fail(`-m length ${o.name}`);
    const r = parseLengthRange(arg(o));
    if (!r) fail(`length ${arg(o)}`);
    const [lo, hi] = r;
    const neg = o.negated;
    out.checks.push((t) => {
      const len = t.probe.length;
      if (len === undefined) {
        t.why = "the packet's length (trace --length)";
        return UNK;
      }
      if (t.probe.lengthDefault)
        t.assumed?.add(
          `the packet is ${len} bytes long, the usual for its protocol (trace --length to give another)`,
        );
      return (len >= lo && len <= hi) !== neg ? YES : NO;
    });
  }
}
