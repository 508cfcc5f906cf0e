import { describe, expect, it } from 'vitest';
import { auditProbe, groupOf, inputVerdict, outputVerdict, walk, pkt } from './match-helpers.js';

describe('-m policy', () => {
  it('plain packets match --pol none, not --pol ipsec, and the walk says it assumed so', () => {
    expect(inputVerdict(['-m policy --dir in --pol none -j ACCEPT'])).toBe('accept');
    expect(inputVerdict(['-m policy --dir in --pol ipsec -j ACCEPT'])).toBe('drop');
    const t = walk(
      { filter: { INPUT: { policy: 'DROP', rules: ['-m policy --dir in --pol ipsec -j ACCEPT'] } } },
      pkt(),
    );
    expect(t.assumptions.join('\n')).toContain('packets are not IPsec-protected (trace --ipsec');
  });

  it('--ipsec: an arriving packet came in through an SA; details of the SA are unknown', () => {
    expect(inputVerdict(['-m policy --dir in --pol ipsec -j ACCEPT'], { ipsec: true })).toBe('accept');
    expect(inputVerdict(['-m policy --dir in --pol none -j ACCEPT'], { ipsec: true })).toBe('drop');
    expect(inputVerdict(['-m policy --dir in --pol ipsec --reqid 1 -j ACCEPT'], { ipsec: true })).toBe(
      'unknown',
    );
    expect(outputVerdict(['-m policy --dir out --pol ipsec -j ACCEPT'], { ipsec: true })).toBe('accept');
    expect(outputVerdict(['-m policy --dir in --pol ipsec -j ACCEPT'], { ipsec: true })).toBe('unknown');
  });

  it('audit takes the sources as plain', () => {
    const p = auditProbe({ INPUT: { policy: 'DROP', rules: ['-m policy --dir in --pol none -j ACCEPT'] } });
    expect(groupOf(p, '203.0.113.5')!.verdict).toBe('accept');
  });
});
