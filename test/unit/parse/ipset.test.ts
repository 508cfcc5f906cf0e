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
    expect(b!.members).toEqual(['fd00::1 comment "hello world"', 'fd00:dead::/48']);
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

  it('keeps the member options that change what a member is, in the order ipset prints them', () => {
    const text = [
      'create a hash:net family inet hashsize 1024 maxelem 65536 timeout 300 counters comment skbinfo',
      'add a 10.0.0.0/8 timeout 299 nomatch packets 0 bytes 0 comment "hello world" skbmark 0x10',
      'add a 10.1.0.0/16 timeout 0 packets 5 bytes 7',
      'add a 10.2.0.0/16 skbprio 1:A skbqueue 3 skbmark 0x010/0xffffffff comment ""',
      '',
    ].join('\n');
    const r = parseIpsetSave(text, { file: 'ipset' });
    expect(r.value!.sets[0]!.members).toEqual([
      '10.0.0.0/8 nomatch comment "hello world" skbmark 0x10',
      '10.1.0.0/16',
      '10.2.0.0/16 skbmark 0x10 skbprio 1:a skbqueue 3',
    ]);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "set a: the members' remaining timeouts and counters are not kept",
    ]);
    // What it prints, ipset restore reads back to the same members.
    const again = parseIpsetSave(printIpsetSave(r.value!), { file: 'again' });
    expect(again.value!.sets[0]!.members).toEqual(r.value!.sets[0]!.members);
    expect(printIpsetSave(r.value!)).toContain(
      'add a 10.0.0.0/8 nomatch comment "hello world" skbmark 0x10\n',
    );
  });

  it('reads a comment as ipset prints it: a backslash is a backslash', () => {
    const text = 'create a hash:net comment\nadd a 10.0.0.0/8 comment "a\\b c" skbmark 0x1\n';
    const r = parseIpsetSave(text, { file: 'ipset' });
    expect(r.value!.sets[0]!.members).toEqual(['10.0.0.0/8 comment "a\\b c" skbmark 0x1']);
    expect(printIpsetSave(r.value!)).toContain('add a 10.0.0.0/8 comment "a\\b c" skbmark 0x1\n');
  });

  it('refuses an unknown member option, a repeated one and one without its value, with a column', () => {
    const r = parseIpsetSave(
      'create a hash:net\nadd a 10.0.0.0/8 frob\nadd a 10.0.0.0/8 nomatch nomatch\nadd a 10.0.0.0/8 skbmark\n',
      { file: 'ipset' },
    );
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.column, d.message])).toEqual([
      [
        'parse.ipset-member',
        2,
        18,
        'unknown member option "frob": expected nomatch, comment, skbmark, skbprio, skbqueue, timeout, packets or bytes',
      ],
      ['parse.ipset-member', 3, 26, 'member option "nomatch" given twice'],
      ['parse.ipset-member', 4, 18, 'member option "skbmark" needs a value'],
    ]);
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
