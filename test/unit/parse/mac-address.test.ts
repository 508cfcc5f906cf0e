import { describe, expect, it } from 'vitest';
import { canonicalMac, parseMac } from '../../../src/parse/mac-address.js';
import { parseIptablesSave } from '../../../src/parse/index.js';

/**
 * What iptables-restore 1.8.9 did with each spelling (`iptables-restore --test` in a fresh
 * namespace, and iptables-save after a restore): refused (null) or the address it stored.
 */
const IPTABLES_1_8_9_MACS: Array<[string, string | null]> = [
  ['00:11:22:33:44:55', '00:11:22:33:44:55'],
  ['AA:bb:CC:dd:EE:ff', 'aa:bb:cc:dd:ee:ff'],
  ['0:1:22:33:44:55', '00:01:22:33:44:55'],
  ['+0:11:22:33:44:55', '00:11:22:33:44:55'],
  ['AA:bb::dd:-1:+f', 'aa:bb:00:dd:ff:0f'],
  ['0:1:22:33:44:', '00:01:22:33:44:00'],
  ['00-11-22-33-44-55', null],
  ['00.11.22.33.44.55', null],
  ['00:11:22:33:44:5g', null],
  ['00:11:22:33:44:55:66', null],
  ['0x:11:22:33:44:55', null],
  ['001:11:22:33:44:55', null],
];

describe('MAC addresses as iptables reads them', () => {
  it.each(IPTABLES_1_8_9_MACS)('%s', (text, stored) => {
    expect(canonicalMac(text)).toBe(stored);
  });

  it('bytes', () => {
    expect(parseMac('52:54:00:ab:cd:ef')).toEqual([0x52, 0x54, 0, 0xab, 0xcd, 0xef]);
  });

  it('a dump with dashes is refused at the value, with the hint to use colons', () => {
    const text =
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mac --mac-source 00-11-22-33-44-55 -j DROP\nCOMMIT\n';
    const d = parseIptablesSave(text, { file: 'd', family: 'ipv4' }).diagnostics;
    expect(d.map((x) => [x.code, x.pos?.line, x.pos?.column, x.hint])).toEqual([
      ['parse.bad-value', 3, 30, 'iptables separates the pairs with colons only (00:11:22:33:44:55)'],
    ]);
  });

  it('a short spelling iptables takes is kept and read as the address it stands for', () => {
    const text =
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mac --mac-source 0:1:22:33:44:55 -j DROP\nCOMMIT\n';
    const r = parseIptablesSave(text, { file: 'd', family: 'ipv4' });
    expect(r.diagnostics).toEqual([]);
  });
});
