import { describe, expect, it } from 'vitest';
import { auditProbe, groupOf, walk, pkt } from './match-helpers.js';

const raw = (rules: string[]) => ({
  raw: { PREROUTING: { rules } },
  filter: { INPUT: { policy: 'ACCEPT' as const, rules: [] } },
});

describe('-m rpfilter', () => {
  it('strict: the route back to the source must leave through the incoming interface', () => {
    const rules = ['-m rpfilter --invert -j DROP'];
    // 203.0.113.5 routes out eth0 (the default route): arriving on eth0 passes, on eth1 it does not.
    expect(walk(raw(rules), pkt()).verdict).toBe('accept');
    expect(walk(raw(rules), pkt({ in: 'eth1' })).verdict).toBe('drop');
    expect(walk(raw(rules), pkt({ src: '198.51.100.7', in: 'eth1' })).verdict).toBe('accept');
    expect(walk(raw(rules), pkt({ src: '198.51.100.7', in: 'eth0' })).verdict).toBe('drop');
  });

  it('--loose takes any route; --accept-local a local source', () => {
    expect(walk(raw(['-m rpfilter --loose --invert -j DROP']), pkt({ in: 'eth1' })).verdict).toBe('accept');
    // A local source: the DROP rule decides, unless --accept-local lets it on to the kernel's
    // martian check (which drops it too, after the raw table).
    const local = pkt({ src: '172.17.0.1', in: 'eth1' });
    expect(walk(raw(['-m rpfilter -j ACCEPT', '-j DROP']), local).decidedBy?.kind).toBe('rule');
    expect(walk(raw(['-m rpfilter --accept-local -j ACCEPT', '-j DROP']), local).decidedBy?.kind).toBe(
      'kernel',
    );
  });

  it('no route back: never passes', () => {
    const host = { interfaces: [{ name: 'eth0', addresses: ['192.0.2.10/24'] }] };
    const t = walk(raw(['-m rpfilter -j ACCEPT', '-j DROP']), pkt({ src: '192.0.2.7' }), host);
    expect(t.verdict).toBe('accept');
    const far = walk(raw(['-m rpfilter -j ACCEPT', '-j DROP']), pkt({ src: '203.0.113.5' }), host);
    expect(far.verdict).toBe('drop');
  });

  it('audit splits source classes by the route back', () => {
    const p = auditProbe({ INPUT: { policy: 'ACCEPT', rules: [] } });
    expect(groupOf(p, '203.0.113.5')!.verdict).toBe('accept');
    const q = auditProbe({ INPUT: { policy: 'ACCEPT', rules: ['-m rpfilter --invert -j DROP'] } });
    expect(groupOf(q, '203.0.113.5')!.verdict).toBe('accept');
    expect(groupOf(q, '198.51.100.7')!.verdict).toBe('drop');
  });
});
