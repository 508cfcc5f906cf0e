import { describe, expect, it } from 'vitest';
import { auditProbe, groupOf, inputVerdict, outputVerdict, walk, pkt } from './match-helpers.js';

const MAC = '52:54:00:ab:cd:ef';

describe('-m mac', () => {
  it('matches the source MAC the probe gives, and its negation the others', () => {
    expect(inputVerdict([`-m mac --mac-source ${MAC} -j ACCEPT`], { mac: MAC })).toBe('accept');
    expect(inputVerdict([`-m mac --mac-source ${MAC} -j ACCEPT`], { mac: '52:54:00:00:00:01' })).toBe('drop');
    expect(inputVerdict([`-m mac ! --mac-source ${MAC} -j ACCEPT`], { mac: '52:54:00:00:00:01' })).toBe(
      'accept',
    );
    // Upper case in the rule (a hand-written dump) and in the probe are the same address.
    expect(
      inputVerdict(['-m mac --mac-source 52:54:00:AB:CD:EF -j ACCEPT'], { mac: '52:54:00:AB:cd:ef' }),
    ).toBe('accept');
  });

  it('a probe without a MAC may come from any MAC: the verdict depends on it, and says on what', () => {
    const t = walk(
      { filter: { INPUT: { policy: 'DROP', rules: [`-m mac --mac-source ${MAC} -j ACCEPT`] } } },
      pkt(),
    );
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe(`drop unless the source MAC is ${MAC.toLowerCase()} (then accept)`);
  });

  it("the host's own packets have no Ethernet source: neither the MAC nor its negation matches", () => {
    const p = pkt({ src: '192.0.2.10', dst: '192.0.2.10', local: true });
    delete p.in;
    const rules = [`-m mac ! --mac-source ${MAC} -j DROP`, '-j ACCEPT'];
    expect(walk({ filter: { INPUT: { policy: 'DROP', rules } } }, p).verdict).toBe('accept');
    expect(outputVerdict(['-j ACCEPT'])).toBe('accept');
  });

  it('audit: a source class carries no MAC, so a MAC rule it reaches makes it depend, never open or closed', () => {
    const p = auditProbe({
      INPUT: {
        policy: 'DROP',
        rules: [`-s 203.0.113.0/24 -m mac --mac-source ${MAC} -j ACCEPT`, '-s 198.51.100.0/24 -j ACCEPT'],
      },
    });
    const g = groupOf(p, '203.0.113.5')!;
    expect(g.verdict).toBe('depends');
    expect(g.dependsOn).toContain(`the source MAC is ${MAC.toLowerCase()}`);
    expect(groupOf(p, '198.18.0.1')!.verdict).toBe('drop');
  });
});
