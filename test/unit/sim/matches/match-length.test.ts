import { describe, expect, it } from 'vitest';
import { parseLengthRange } from '../../../../src/sim/match-length.js';
import { defaultLength } from '../../../../src/sim/probe-fields.js';
import { auditProbe, groupOf, inputVerdict, walk, pkt } from './match-helpers.js';

describe('-m length', () => {
  it('ranges as iptables writes them', () => {
    expect(parseLengthRange('64')).toEqual([64, 64]);
    expect(parseLengthRange('0:1500')).toEqual([0, 1500]);
    expect(parseLengthRange(':1500')).toEqual([0, 1500]);
    expect(parseLengthRange('1000:')).toEqual([1000, 65535]);
    expect(parseLengthRange('9:3')).toBeUndefined();
  });

  it('the probe length, or the usual first packet of the protocol', () => {
    expect(inputVerdict(['-m length --length 1000:65535 -j ACCEPT'], { length: 1400 })).toBe('accept');
    expect(inputVerdict(['-m length ! --length 1000:65535 -j ACCEPT'], { length: 1400 })).toBe('drop');
    // A Linux SYN: 20 bytes of IPv4, 20 of TCP, 20 of options.
    expect(defaultLength('ipv4', 6, 'NEW')).toBe(60);
    expect(defaultLength('ipv6', 17, 'NEW')).toBe(48);
    expect(inputVerdict(['-m length --length 60 -j ACCEPT'])).toBe('accept');
    const t = walk(
      { filter: { INPUT: { policy: 'DROP', rules: ['-m length --length 60 -j ACCEPT'] } } },
      pkt(),
    );
    expect(t.assumptions.join('\n')).toContain('the packet is 60 bytes long');
  });

  it('a protocol without a usual length is unknown', () => {
    const t = walk(
      { filter: { INPUT: { policy: 'DROP', rules: ['-m length --length 0:100 -j ACCEPT'] } } },
      pkt({ proto: 47, sport: undefined, dport: undefined }),
    );
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain("the packet's length (trace --length)");
  });

  it('audit: the length of a source class is not known', () => {
    const p = auditProbe({ INPUT: { policy: 'DROP', rules: ['-m length --length 0:1500 -j ACCEPT'] } });
    expect(groupOf(p, '203.0.113.5')!.verdict).toBe('unknown');
  });
});
