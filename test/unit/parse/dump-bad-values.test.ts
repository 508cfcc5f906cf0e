import { describe, expect, it } from 'vitest';
import { parseIptablesSave, parseRuleText } from '../../../src/parse/index.js';

/** Issue 11, item 12: the dump reader took what the kernel refuses as opaque text. */
describe('addresses and MACs iptables refuses are positioned errors', () => {
  const dump = (...rules: string[]) =>
    ['*filter', ':INPUT ACCEPT [0:0]', ...rules.map((r) => `-A INPUT ${r}`), 'COMMIT', ''].join('\n');
  const errors = (text: string, family: 'ipv4' | 'ipv6' = 'ipv4') =>
    parseIptablesSave(text, { file: 'd', family }).diagnostics.map((d) => [
      d.code,
      d.pos?.line,
      d.pos?.column,
      d.message,
    ]);

  it('an address range after -d, even after clean lines of the same shape', () => {
    const text = dump('-d 10.0.1.1/32 -j DROP', '-d 10.0.1.2/32 -j DROP', '-d 10.0.1.15-10.0.1.17 -j DROP');
    expect(errors(text)).toEqual([
      [
        'parse.bad-value',
        5,
        13,
        '-d expects an IPv4 address or network (a.b.c.d, a.b.c.d/prefix), found "10.0.1.15-10.0.1.17"',
      ],
    ]);
    expect(parseIptablesSave(text, { file: 'd', family: 'ipv4' }).diagnostics[0]!.hint).toBe(
      'an address range is a match of its own: -m iprange --dst-range 10.0.1.15-10.0.1.17',
    );
  });

  it('a MAC that is not six hexadecimal pairs, after a clean one', () => {
    const text = dump(
      '-m mac --mac-source 00:11:22:33:44:55 -j DROP',
      '-m mac --mac-source XX:XX:XX:XX:XX:XX -j DROP',
    );
    expect(errors(text)).toEqual([
      [
        'parse.bad-value',
        4,
        30,
        '--mac-source expects a MAC address of six hexadecimal pairs (00:11:22:33:44:55), found "XX:XX:XX:XX:XX:XX"',
      ],
    ]);
  });

  it('an IPv6 address range after -s', () => {
    expect(errors(dump('-s fd00::1-fd00::5 -j DROP'), 'ipv6')).toEqual([
      [
        'parse.bad-value',
        3,
        13,
        '-s expects an IPv6 address or network (2001:db8::1, 2001:db8::/32), found "fd00::1-fd00::5"',
      ],
    ]);
  });

  it('an address of the other family', () => {
    expect(errors(dump('-s 10.0.0.1/32 -j DROP'), 'ipv6').map((e) => e[0])).toEqual(['parse.bad-value']);
    expect(errors(dump('-s fd00::1/128 -j DROP'), 'ipv6')).toEqual([]);
  });

  it('a host name in a policy rule', () => {
    const r = parseRuleText('-s db.example -j ACCEPT', { family: 'ipv4', file: 'p', line: 3, column: 9 });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.column])).toEqual([
      ['parse.bad-value', 3, 12],
    ]);
  });
});
