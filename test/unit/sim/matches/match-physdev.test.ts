import { describe, expect, it } from 'vitest';
import type { HostModel } from '../../../../src/model/index.js';
import { physdevMatches } from '../../../../src/sim/match-physdev.js';
import { walk, pkt } from './match-helpers.js';

/** br0 with two ports; eth0 the uplink. */
const bridged: HostModel = {
  interfaces: [
    { name: 'eth0', addresses: ['192.0.2.10/24'] },
    { name: 'br0', addresses: ['10.1.0.1/24'] },
    { name: 'tap1', addresses: [], master: 'br0' },
    { name: 'tap2', addresses: [], master: 'br0' },
  ],
  routes: [{ destination: 'default', device: 'eth0', via: '192.0.2.1' }],
};

const fwd = (rules: string[], over = {}) =>
  walk(
    { filter: { FORWARD: { policy: 'DROP', rules } } },
    pkt({ src: '10.1.0.5', in: 'tap1', dst: '203.0.113.9', ...over }),
    bridged,
  );

describe('-m physdev', () => {
  it('a packet that crossed no bridge matches only when every option is negated', () => {
    expect(physdevMatches({ allNegated: false, isIn: true }, null, null)).toBe(false);
    expect(physdevMatches({ allNegated: true, isIn: false }, null, null)).toBe(true);
    const plain = (rules: string[]) =>
      walk({ filter: { INPUT: { policy: 'DROP', rules } } }, pkt(), bridged).verdict;
    expect(plain(['-m physdev --physdev-is-in -j ACCEPT'])).toBe('drop');
    expect(plain(['-m physdev ! --physdev-is-in -j ACCEPT'])).toBe('accept');
  });

  it('trace --in PORT: the packet arrives on the bridge, through that port', () => {
    const t = fwd(['-i br0 -m physdev --physdev-in tap1 -j ACCEPT']);
    expect(t.verdict).toBe('accept');
    expect(t.inInterface).toBe('br0');
    expect(fwd(['-m physdev --physdev-in tap2 -j ACCEPT']).verdict).toBe('drop');
    expect(fwd(['-m physdev --physdev-in tap+ --physdev-is-in -j ACCEPT']).verdict).toBe('accept');
    // Routed out eth0, not bridged: no output port.
    expect(fwd(['-m physdev --physdev-is-bridged -j ACCEPT']).verdict).toBe('drop');
    expect(fwd(['-m physdev --physdev-out tap2 -j ACCEPT']).verdict).toBe('drop');
  });

  it('bridged traffic leaves through another port; the bridge alone leaves the port open', () => {
    const across = { dst: '10.1.0.6' };
    expect(fwd(['-m physdev --physdev-is-bridged --physdev-out tap2 -j ACCEPT'], across).verdict).toBe(
      'accept',
    );
    // Arriving on br0 without naming the port: either port could be it.
    expect(fwd(['-m physdev --physdev-in tap1 -j ACCEPT'], { in: 'br0' }).verdict).toBe('unknown');
    expect(fwd(['-m physdev --physdev-in tap+ -j ACCEPT'], { in: 'br0' }).verdict).toBe('accept');
  });
});
