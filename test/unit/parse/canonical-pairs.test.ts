import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Family } from '../../../src/model/index.js';
import { formatRule, parseRuleText, ruleKey } from '../../../src/parse/index.js';

/**
 * test/fixtures/canonical/pairs.json: rules written by a person, added with iptables 1.8.9 (nf_tables
 * and legacy) in a network namespace, and the body iptables-save printed back
 * (test/fixtures/canonical/record-pairs.ts).
 */
interface Pair {
  family: Family;
  variant: 'nf_tables' | 'legacy';
  table: string;
  chain: string;
  written: string;
  printed: string;
}

const pairs: Pair[] = JSON.parse(
  readFileSync(new URL('../../fixtures/canonical/pairs.json', import.meta.url), 'utf8'),
) as Pair[];

function key(text: string, family: Family): string {
  const r = parseRuleText(text, { family, file: 'pairs.json', line: 1, column: 1 });
  if (!r.value) throw new Error(`${text}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return ruleKey(r.value, family);
}

const nftPrinted = new Map(
  pairs.filter((p) => p.variant === 'nf_tables').map((p) => [`${p.family} ${p.written}`, p.printed]),
);

describe('canonical form against iptables 1.8.9', () => {
  it('has a broad set of recorded pairs', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(80);
    for (const v of ['nf_tables', 'legacy']) {
      for (const f of ['ipv4', 'ipv6'])
        expect(pairs.filter((p) => p.variant === v && p.family === f).length).toBeGreaterThan(150);
    }
  });

  it('gives the written rule, the printed rule and the printed body the same key (nf_tables)', () => {
    const wrong = pairs
      .filter((p) => p.variant === 'nf_tables')
      .map((p) => ({ p, w: key(p.written, p.family), r: key(p.printed, p.family) }))
      .filter(({ p, w, r }) => w !== p.printed || r !== p.printed)
      .map(
        ({ p, w, r }) => `${p.family} ${p.written}\n  printed ${p.printed}\n  key(w)  ${w}\n  key(p)  ${r}`,
      );
    expect(wrong).toEqual([]);
  });

  it('gives legacy prints the same key, equal to the nf_tables print where the two differ', () => {
    const differing: string[] = [];
    const wrong: string[] = [];
    for (const p of pairs.filter((x) => x.variant === 'legacy')) {
      const expected = nftPrinted.get(`${p.family} ${p.written}`) ?? p.printed;
      if (expected !== p.printed) differing.push(`${p.family} ${p.printed}`);
      const w = key(p.written, p.family);
      const r = key(p.printed, p.family);
      if (w !== expected || r !== expected)
        wrong.push(`${p.family} ${p.written}: ${w} / ${r} != ${expected}`);
    }
    expect(wrong).toEqual([]);
    // Where legacy and nf_tables print differently (nf_tables folds repeated -m tcp/-m udp and drops
    // NFLOG's --nflog-range), the canonical form is the nf_tables one.
    expect(differing.sort()).toEqual([
      'ipv4 -j NFLOG --nflog-range 64',
      'ipv4 -p tcp -m tcp --dport 22 -m tcp --sport 1000 -j ACCEPT',
      'ipv6 -j NFLOG --nflog-range 64',
      'ipv6 -p tcp -m tcp --dport 22 -m tcp --sport 1000 -j ACCEPT',
    ]);
  });

  it('prints every printed rule back unchanged', () => {
    const wrong = pairs
      .map((p) => {
        const r = parseRuleText(p.printed, { family: p.family, file: 'pairs.json', line: 1, column: 1 });
        return r.value && formatRule(r.value) === p.printed ? undefined : p.printed;
      })
      .filter((x) => x !== undefined);
    expect(wrong).toEqual([]);
  });
});
