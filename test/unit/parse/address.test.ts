import { describe, expect, it } from 'vitest';
import { canonicalAddress, canonicalNetwork, formatIPv6, parseIPv6 } from '../../../src/parse/index.js';

describe('addresses', () => {
  it('prints IPv6 like glibc inet_ntop', () => {
    const cases: Array<[string, string]> = [
      ['fd00:dead:beef:0000:0000:0000:0000:0001', 'fd00:dead:beef::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:0', '2001:0:0:1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['::', '::'],
      ['::1', '::1'],
      ['0:0:0:0:0:ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::2:3', '::0.2.0.3'],
      ['FD00:DEAD::1', 'fd00:dead::1'],
      ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ];
    for (const [input, out] of cases) expect(formatIPv6(parseIPv6(input)!)).toBe(out);
  });

  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', ':1', '1:', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', '1.2.3.4', '::1.2.3']) {
      expect(parseIPv6(bad)).toBeNull();
    }
  });

  it('canonicalizes networks as iptables stores them', () => {
    expect(canonicalNetwork('10.1.2.3', 'ipv4')).toEqual({ text: '10.1.2.3/32', prefix: 32 });
    expect(canonicalNetwork('10.1.2.3/255.255.0.0', 'ipv4')?.text).toBe('10.1.0.0/16');
    expect(canonicalNetwork('10.1.2.3/255.0.255.0', 'ipv4')?.text).toBe('10.0.2.0/255.0.255.0');
    expect(canonicalNetwork('10/8', 'ipv4')?.text).toBe('10.0.0.0/8');
    expect(canonicalNetwork('0/0', 'ipv4')).toEqual({ text: '0.0.0.0/0', prefix: 0 });
    expect(canonicalNetwork('2001:db8:1:2:3:4:5:6/48', 'ipv6')?.text).toBe('2001:db8:1::/48');
    expect(canonicalNetwork('fd00::1', 'ipv6')?.text).toBe('fd00::1/128');
    expect(canonicalNetwork('example.com', 'ipv4')).toBeNull();
    expect(canonicalNetwork('10.0.0.256', 'ipv4')).toBeNull();
    expect(canonicalAddress('1.2.3', 'ipv4')).toBeNull();
  });
});
