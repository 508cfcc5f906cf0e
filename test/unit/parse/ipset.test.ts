import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalMember, parseIpsetSave, printIpsetSave } from '../../../src/parse/index.js';

const fixture = readFileSync(
  new URL('../../fixtures/docker-20.10/07-seed003-wishes-applied.ipset-save', import.meta.url),
  'utf8',
);

describe('ipset save', () => {
  it('round-trips the fixture', () => {
    const r = parseIpsetSave(fixture, { file: 'ipset' });
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.sets).toEqual([
      {
        name: 'allowed_hosts',
        type: 'hash:ip',
        family: 'inet',
        options: [
          ['hashsize', '1024'],
          ['maxelem', '65536'],
          ['bucketsize', '12'],
          ['initval', '0xa6b1a53a'],
        ],
        members: ['192.168.122.193'],
        pos: { file: 'ipset', line: 1, column: 1 },
      },
    ]);
    expect(printIpsetSave(r.value!)).toBe(fixture);
  });

  it('reads flags, families and several sets (as ipset 7.17 saves them)', () => {
    const text = [
      'create b hash:net family inet6 hashsize 1024 maxelem 65536 counters comment bucketsize 12 initval 0xd6ed31e5',
      'add b fd00::1 packets 0 bytes 0 comment "hello world"',
      'add b fd00:dead::/48 packets 3 bytes 4',
      'create h bitmap:port range 1-1000',
      'add h 22',
      'create f list:set size 8',
      'add f h',
      '',
    ].join('\n');
    const r = parseIpsetSave(text, { file: 'ipset' });
    const [b, h, f] = r.value!.sets;
    expect(b!.family).toBe('inet6');
    expect(b!.options).toEqual([
      ['hashsize', '1024'],
      ['maxelem', '65536'],
      ['counters', true],
      ['comment', true],
      ['bucketsize', '12'],
      ['initval', '0xd6ed31e5'],
    ]);
    expect(b!.members).toEqual(['fd00::1', 'fd00:dead::/48']);
    expect(h!.members).toEqual(['22']);
    expect(f!.members).toEqual(['h']);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['info', 'parse.ipset-member-options']]);
    expect(printIpsetSave(r.value!)).toContain('create h bitmap:port range 1-1000\nadd h 22\n');
  });

  it('canonicalizes members as ipset prints them', () => {
    expect(canonicalMember('hash:ip', '10.0.0.1/32', 'ipv4')).toBe('10.0.0.1');
    expect(canonicalMember('hash:ip', '2001:db8:0:0::1/128', 'ipv6')).toBe('2001:db8::1');
    expect(canonicalMember('hash:net', '10.1.2.3/24', 'ipv4')).toBe('10.1.2.0/24');
    expect(canonicalMember('hash:net', '10.9.9.9/32', 'ipv4')).toBe('10.9.9.9');
    expect(canonicalMember('hash:ip,port', '1.2.3.4,80', 'ipv4')).toBe('1.2.3.4,tcp:80');
    expect(canonicalMember('hash:ip,port', '1.2.3.5,ssh', 'ipv4')).toBe('1.2.3.5,tcp:22');
    expect(canonicalMember('hash:ip,port', '1.2.3.4,udp:domain', 'ipv4')).toBe('1.2.3.4,udp:53');
    expect(canonicalMember('hash:ip,port', '1.2.3.6,icmp:echo-request', 'ipv4')).toBe(
      '1.2.3.6,icmp:echo-request',
    );
    expect(canonicalMember('hash:net,iface', '10.0.0.0/8,eth0', 'ipv4')).toBe('10.0.0.0/8,eth0');
    expect(canonicalMember('bitmap:port', 'http', 'ipv4')).toBe('80');
    expect(canonicalMember('list:set', 'other', 'ipv4')).toBe('other');
  });

  it('reports junk with a position', () => {
    const r = parseIpsetSave('create a hash:ip\nadd b 1.2.3.4\nflush a\n', { file: 'ipset' });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.column])).toEqual([
      ['parse.unknown-set', 2, 5],
      ['parse.ipset-line', 3, 1],
    ]);
  });
});
