import { describe, expect, it } from 'vitest';
import { auditProbe, groupOf, inputVerdict, outputVerdict, walk, pkt } from './match-helpers.js';

describe('-m owner', () => {
  it('--uid-owner / --gid-owner test the sending process (trace --uid/--gid), ranges and negation', () => {
    expect(outputVerdict(['-m owner --uid-owner 1000 -j ACCEPT'], { uid: 1000 })).toBe('accept');
    expect(outputVerdict(['-m owner --uid-owner 1000 -j ACCEPT'], { uid: 0 })).toBe('drop');
    expect(outputVerdict(['-m owner --uid-owner 1000-1999 -j ACCEPT'], { uid: 1500 })).toBe('accept');
    expect(outputVerdict(['-m owner ! --uid-owner 0 -j ACCEPT'], { uid: 33 })).toBe('accept');
    expect(outputVerdict(['-m owner --gid-owner 100 -j ACCEPT'], { uid: 1000, gid: 100 })).toBe('accept');
    expect(
      outputVerdict(['-m owner --uid-owner 1000 --gid-owner 100 -j ACCEPT'], { uid: 1000, gid: 5 }),
    ).toBe('drop');
    expect(outputVerdict(['-m owner --socket-exists -j ACCEPT'])).toBe('accept');
  });

  it('without --uid the sender is unknown; supplementary groups are never known', () => {
    const p = pkt({ src: '192.0.2.10', dst: '203.0.113.5', local: true });
    delete p.in;
    const t = walk(
      { filter: { OUTPUT: { policy: 'DROP', rules: ['-m owner --uid-owner 0 -j ACCEPT'] } } },
      p,
    );
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('the uid of the sending process (trace --uid)');
    expect(outputVerdict(['-m owner --gid-owner 100 --suppl-groups -j ACCEPT'], { gid: 5 })).toBe('unknown');
    expect(outputVerdict(['-m owner --gid-owner 100 --suppl-groups -j ACCEPT'], { gid: 100 })).toBe('accept');
  });

  it('a forwarded packet has no socket: the match holds only when every option is negated', () => {
    const fwd = (rules: string[]) =>
      walk({ filter: { FORWARD: { policy: 'DROP', rules } } }, pkt({ dst: '198.51.100.20' })).verdict;
    expect(fwd(['-m owner --uid-owner 0 -j ACCEPT'])).toBe('drop');
    expect(fwd(['-m owner ! --uid-owner 0 -j ACCEPT'])).toBe('accept');
    expect(fwd(['-m owner ! --uid-owner 0 --gid-owner 0 -j ACCEPT'])).toBe('drop');
    expect(fwd(['-m owner ! --socket-exists -j ACCEPT'])).toBe('accept');
  });

  it('uid on a packet that arrives is refused', () => {
    const t = walk({ filter: { INPUT: { rules: [] } } }, pkt({ uid: 0 }));
    expect(t.diagnostics.map((d) => d.code)).toEqual(['sim.owner-not-local']);
    expect(inputVerdict(['-j ACCEPT'])).toBe('accept');
  });

  it('audit probes arrive from outside: owner rules are decided, not unknown', () => {
    const p = auditProbe({ INPUT: { policy: 'DROP', rules: ['-m owner ! --uid-owner 0 -j ACCEPT'] } });
    expect(groupOf(p, '203.0.113.5')!.verdict).toBe('accept');
  });
});
