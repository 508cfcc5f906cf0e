import { describe, expect, it } from 'vitest';
import type { Family, Rule } from '../../../src/model/index.js';
import {
  canonicalRule,
  commentOf,
  formatRule,
  parseRuleText,
  ruleKey,
  withComment,
} from '../../../src/parse/index.js';

function rule(text: string, family: Family = 'ipv4'): Rule {
  const r = parseRuleText(text, { family, file: 't', line: 1, column: 1 });
  if (!r.value) throw new Error(r.diagnostics[0]?.message);
  return r.value;
}

const key = (text: string, family: Family = 'ipv4') => ruleKey(rule(text, family), family);

describe('ruleKey', () => {
  it('equates spellings iptables stores the same way', () => {
    const same: Array<[string, string, Family?]> = [
      ['-p tcp --dport 22 -j ACCEPT', '-p tcp -m tcp --dport 22 -j ACCEPT'],
      [
        '-j ACCEPT -p tcp -d 10.0.0.1 -s 10.1.0.0/16 -i eth0',
        '-s 10.1.0.0/16 -d 10.0.0.1/32 -i eth0 -p tcp -j ACCEPT',
      ],
      ['-p 6 --dport 1000-2000', '-p tcp -m tcp --dport 1000:2000'],
      ['-p tcp --dport 1024:', '-p tcp -m tcp --dport 1024:65535'],
      ['-p udp --dport domain', '-p udp -m udp --dport 53'],
      ['-p tcp --syn', '-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN'],
      [
        '-p tcp --sport 0:65535 --dport 22 ! --syn',
        '-p tcp -m tcp --dport 22 ! --tcp-flags FIN,SYN,RST,ACK SYN',
      ],
      ['-p udp --dport 0:65535 --sport 53', '-p udp -m udp --sport 53'],
      ['-p tcp ! --dport 0:65535', '-p tcp -m tcp ! --dport 0:65535'],
      ['-m conntrack --ctstate ESTABLISHED,RELATED', '-m conntrack --ctstate RELATED,ESTABLISHED'],
      ['-p all -j DROP', '-j DROP'],
      ['-j REJECT', '-j REJECT --reject-with icmp-port-unreachable'],
      ['-j REJECT', '-j REJECT --reject-with icmp6-port-unreachable', 'ipv6'],
      ['-j MARK --set-mark 5', '-j MARK --set-xmark 0x5/0xffffffff'],
      ['-m comment --comment "allow_ssh"', '-m comment --comment allow_ssh'],
      [
        '-s fd00:0:0::1 -p icmpv6 --icmpv6-type echo-request',
        '-s fd00::1/128 -p ipv6-icmp -m icmp6 --icmpv6-type 128',
        'ipv6',
      ],
      ['-p tcp -m tcp --dport 22 -m tcp --sport 5', '-p tcp -m tcp --sport 5 --dport 22'],
    ];
    for (const [a, b, family] of same) expect(key(a, family)).toBe(key(b, family));
  });

  it('keeps rules apart that iptables keeps apart', () => {
    expect(key('-p tcp --dport 22 -m comment --comment x')).not.toBe(
      key('-p tcp -m comment --comment x --dport 22'),
    );
    expect(key('-s 10.0.0.0/8')).not.toBe(key('! -s 10.0.0.0/8'));
    expect(key('-j NOTRACK')).not.toBe(key('-j CT --notrack'));
    expect(key('-p tcp -m tcp --dport 22 -m tcp --dport 23')).not.toBe(key('-p tcp -m tcp --dport 23'));
  });

  it('is idempotent and leaves the input rule untouched', () => {
    const r = rule('-p tcp --dport ssh -s 10.1.2.3/8 -j LOG --log-level warning --log-prefix "a b"');
    const before = JSON.stringify(r);
    const c = canonicalRule(r, 'ipv4');
    expect(formatRule(c)).toBe('-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j LOG --log-prefix "a b"');
    expect(ruleKey(c, 'ipv4')).toBe(formatRule(c));
    expect(JSON.stringify(r)).toBe(before);
  });

  it('keeps what it does not understand as written', () => {
    expect(key('-m foo --bar "x y" -j BAR --baz')).toBe('-m foo --bar "x y" -j BAR --baz');
    expect(key('-p tcp --dport not-a-port')).toBe('-p tcp -m tcp --dport not-a-port');
  });
});

describe('commentOf and withComment', () => {
  it('reads the first comment', () => {
    expect(commentOf(rule('-m comment --comment a -m comment --comment b'))).toBe('a');
    expect(commentOf(rule('-j ACCEPT'))).toBeUndefined();
  });

  it('appends a comment match before the target without changing the input', () => {
    const r = rule('-p tcp --dport 22 -j ACCEPT');
    const c = withComment(r, 'dockwall:allow_ssh');
    expect(formatRule(c)).toBe(
      '-p tcp -m tcp --dport 22 -m comment --comment "dockwall:allow_ssh" -j ACCEPT',
    );
    expect(formatRule(r)).toBe('-p tcp -m tcp --dport 22 -j ACCEPT');
    expect(commentOf(c)).toBe('dockwall:allow_ssh');
    expect(ruleKey(c, 'ipv4')).toBe(
      key('-p tcp --dport 22 -m comment --comment dockwall:allow_ssh -j ACCEPT'),
    );
  });

  it('never prints a line break, whatever the comment holds', () => {
    const c = withComment(rule('-j ACCEPT'), 'x\nCOMMIT\n*filter\r');
    expect(formatRule(c)).not.toMatch(/[\r\n]/);
    expect(ruleKey(c, 'ipv4')).not.toMatch(/[\r\n]/);
  });
});
