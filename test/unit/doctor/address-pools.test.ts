import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contains,
  formatPrefix,
  freeRanges,
  overlaps,
  parsePrefix,
  planAddresses,
  type Prefix,
} from '../../../src/doctor/index.js';

const p = (t: string): Prefix => parsePrefix(t)!;

describe('prefixes', () => {
  it('parses, clears host bits and formats', () => {
    expect(formatPrefix(p('172.17.0.1/16'))).toBe('172.17.0.0/16');
    expect(formatPrefix(p('10.9.9.9'))).toBe('10.9.9.9/32');
    expect(formatPrefix(p('fd00:dead:beef::242:ac11:2/64'))).toBe('fd00:dead:beef::/64');
    expect(formatPrefix(p('::ffff:10.0.0.1/32'))).toBe('10.0.0.1/32');
    for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/8/1', 'fd00::/129', '10.0.0.0/ 8']) {
      expect(parsePrefix(bad), bad).toBeUndefined();
    }
  });

  it('containment and overlap', () => {
    expect(contains(p('172.16.0.0/12'), p('172.17.0.0/16'))).toBe(true);
    expect(contains(p('172.17.0.0/16'), p('172.16.0.0/12'))).toBe(false);
    expect(overlaps(p('172.17.0.0/16'), p('172.16.0.0/12'))).toBe(true);
    expect(overlaps(p('172.17.0.0/16'), p('172.18.0.0/16'))).toBe(false);
    expect(overlaps(p('10.0.0.0/8'), p('fd00::/8'))).toBe(false);
  });
});

describe('free ranges', () => {
  it('starts at 10.200.0.0/16 and skips what is taken', () => {
    expect(freeRanges('ipv4', [], 2).map(formatPrefix)).toEqual(['10.200.0.0/16', '10.201.0.0/16']);
    expect(freeRanges('ipv4', [p('10.200.5.0/24'), p('10.201.0.0/16')], 1).map(formatPrefix)).toEqual([
      '10.202.0.0/16',
    ]);
    expect(freeRanges('ipv4', [p('10.0.0.0/8')], 2).map(formatPrefix)).toEqual([
      '172.31.0.0/16',
      '172.30.0.0/16',
    ]);
    expect(freeRanges('ipv4', [p('10.0.0.0/8'), p('172.16.0.0/12')], 1).map(formatPrefix)).toEqual([
      '192.168.128.0/20',
    ]);
    expect(freeRanges('ipv4', [p('0.0.0.0/1'), p('128.0.0.0/1')], 1)).toEqual([]);
  });

  it('plans a pool and a bip from different free ranges', () => {
    expect(
      planAddresses([p('10.200.0.0/16')], { pool: true, bip: true, pool6: false, fixedCidrV6: true }),
    ).toEqual({
      pool: { base: '10.201.0.0/16', size: 24 },
      bip: '10.202.0.1/24',
      fixedCidrV6: 'fd64:d0c:1::/64',
    });
  });

  it('property: every suggested range overlaps none of the taken ones, nor each other', () => {
    const v4 = fc
      .tuple(fc.constantFrom(10, 172, 192), fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 28 }))
      .map(([a, b, c, len]) => p(`${a}.${b}.${c}.0/${len}`));
    fc.assert(
      fc.property(fc.array(v4, { maxLength: 40 }), (taken) => {
        const free = freeRanges('ipv4', taken, 3);
        for (const f of free) for (const t of taken) expect(overlaps(f, t)).toBe(false);
        for (let i = 0; i < free.length; i++)
          for (let j = i + 1; j < free.length; j++) expect(overlaps(free[i]!, free[j]!)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
