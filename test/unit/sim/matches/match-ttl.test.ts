import { describe, expect, it } from 'vitest';
import { auditProbe, groupOf, inputVerdict, walk, pkt } from './match-helpers.js';

describe('-m ttl and -m hl', () => {
  it('--ttl-eq/-lt/-gt against the probe, 64 by default (and the assumption says so)', () => {
    expect(inputVerdict(['-m ttl --ttl-eq 64 -j ACCEPT'])).toBe('accept');
    expect(inputVerdict(['-m ttl --ttl-lt 10 -j ACCEPT'], { ttl: 5 })).toBe('accept');
    expect(inputVerdict(['-m ttl --ttl-gt 10 -j ACCEPT'], { ttl: 5 })).toBe('drop');
    expect(inputVerdict(['-m ttl ! --ttl-eq 64 -j ACCEPT'], { ttl: 128 })).toBe('accept');
    const t = walk({ filter: { INPUT: { policy: 'DROP', rules: ['-m ttl --ttl-eq 64 -j ACCEPT'] } } }, pkt());
    expect(t.assumptions.join('\n')).toContain('with TTL 64 (trace --ttl to give another)');
    const given = walk({ filter: { INPUT: { rules: ['-m ttl --ttl-eq 64 -j ACCEPT'] } } }, pkt({ ttl: 64 }));
    expect(given.assumptions.join('\n')).not.toContain('TTL 64');
  });

  it('a forwarded packet has one less from FORWARD on; at 1 the kernel drops it', () => {
    const fwd = (rules: Record<string, string[]>, ttl: number) =>
      walk(
        {
          mangle: { PREROUTING: { rules: rules['pre'] ?? [] } },
          filter: { FORWARD: { policy: 'DROP', rules: rules['fwd'] ?? [] } },
        },
        pkt({ dst: '198.51.100.20', ttl }),
      );
    expect(fwd({ fwd: ['-m ttl --ttl-eq 9 -j ACCEPT'] }, 10).verdict).toBe('accept');
    expect(fwd({ pre: ['-m ttl --ttl-eq 10 -j DROP'], fwd: ['-j ACCEPT'] }, 10).verdict).toBe('drop');
    const expired = fwd({ fwd: ['-j ACCEPT'] }, 1);
    expect(expired.verdict).toBe('drop');
    expect(expired.decidedBy).toEqual({ kind: 'kernel', reason: 'TTL exceeded in transit' });
    // Delivered to the host itself: nothing is taken off.
    expect(inputVerdict(['-m ttl --ttl-eq 1 -j ACCEPT'], { ttl: 1 })).toBe('accept');
  });

  it('-m hl for IPv6', () => {
    const v6 = pkt({ family: 'ipv6', src: '2001:db8:1::5', dst: '2001:db8::10' });
    const t = walk(
      { filter: { INPUT: { policy: 'DROP', rules: ['-m hl --hl-eq 255 -j ACCEPT'] } } },
      { ...v6, ttl: 255 },
    );
    expect(t.verdict).toBe('accept');
    const d = walk({ filter: { INPUT: { policy: 'DROP', rules: ['-m hl --hl-lt 2 -j ACCEPT'] } } }, v6);
    expect(d.verdict).toBe('drop');
  });

  it('audit: the TTL of a source class is not known', () => {
    const p = auditProbe({ INPUT: { policy: 'DROP', rules: ['-m ttl --ttl-gt 1 -j ACCEPT'] } });
    expect(groupOf(p, '203.0.113.5')!.verdict).toBe('unknown');
  });
});

describe('the TTL and HL targets', () => {
  it('--ttl-set/-dec/-inc change what a later -m ttl sees', () => {
    const chain = (target: string, test: string) =>
      walk(
        {
          mangle: { PREROUTING: { rules: [`-j ${target}`] } },
          filter: { INPUT: { policy: 'DROP', rules: [`-m ttl --ttl-eq ${test} -j ACCEPT`] } },
        },
        pkt({ ttl: 64 }),
      ).verdict;
    expect(chain('TTL --ttl-set 5', '5')).toBe('accept');
    expect(chain('TTL --ttl-set 5', '64')).toBe('drop');
    expect(chain('TTL --ttl-dec 4', '60')).toBe('accept');
    expect(chain('TTL --ttl-inc 1', '65')).toBe('accept');
  });
});
