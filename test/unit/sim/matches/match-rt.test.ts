import { describe, expect, it } from 'vitest';
import { walk, pkt } from './match-helpers.js';

describe('-m rt', () => {
  it('a probe carries no routing header: neither rt nor its negation matches', () => {
    const v6 = pkt({ family: 'ipv6', src: '2001:db8:1::5', dst: '2001:db8::10' });
    const v = (rules: string[]) => walk({ filter: { INPUT: { policy: 'ACCEPT', rules } } }, v6).verdict;
    expect(v(['-m rt --rt-type 0 -j DROP'])).toBe('accept');
    expect(v(['-m rt ! --rt-type 0 -j DROP'])).toBe('accept');
  });
});
