import type { MatchModule } from '../model/ruleset.js';
import { DEFAULT_TTL } from './probe-fields.js';
import { arg, fail, type CompiledMatches } from './match-common.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

/**
 * `-m ttl` (IPv4) and `-m hl` (IPv6): `--ttl-eq/-lt/-gt`, `--hl-eq/-lt/-gt`, with `!` on `-eq`.
 * The TTL is the probe's (trace `--ttl`, else 64) as it arrives; a forwarded packet has one less
 * from FORWARD on, as the kernel takes it off before that hook.
 */
export function compileTtl(m: MatchModule, out: CompiledMatches): void {
  const v6 = m.name === 'hl';
  const what = v6 ? 'hop limit' : 'TTL';
  for (const o of m.options) {
    const op = /^--(?:ttl|hl)-(eq|lt|gt)$/.exec(o.name)?.[1];
    if (!op || o.name.startsWith(v6 ? '--ttl' : '--hl')) fail(`-m ${m.name} ${o.name}`);
    const text = arg(o);
    if (!/^\d{1,3}$/.test(text) || Number(text) > 255) fail(`${what} ${text}`);
    const v = Number(text);
    const test =
      op === 'eq' ? (x: number) => x === v : op === 'lt' ? (x: number) => x < v : (x: number) => x > v;
    const neg = o.negated;
    out.checks.push((t) => {
      if (t.ttl < 0) {
        t.why = `the packet's ${what} (trace --ttl)`;
        return UNK;
      }
      if (t.probe.ttlDefault)
        t.assumed?.add(
          `the packet arrives (or is sent) with ${what} ${DEFAULT_TTL} (trace --ttl to give another)`,
        );
      return test(t.ttl) !== neg ? YES : NO;
    });
  }
}
