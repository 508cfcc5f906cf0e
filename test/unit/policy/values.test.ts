import { describe, expect, it } from 'vitest';
import { normalizePort, parseDestination, parseNetwork } from '../../../src/policy/index.js';

describe('ports', () => {
  it('normalises ports and ranges to iptables spelling', () => {
    expect(normalizePort(22)).toEqual({ port: '22' });
    expect(normalizePort('8000-8010')).toEqual({ port: '8000:8010' });
    expect(normalizePort('8000:8000')).toEqual({ port: '8000:8000' });
  });

  it('says what is wrong with a bad port', () => {
    expect(normalizePort(0)).toBe('port 0 is out of range: a port is a number from 1 to 65535');
    expect(normalizePort('65536')).toBe('port 65536 is out of range: a port is a number from 1 to 65535');
    expect(normalizePort('80:22')).toBe('the range `80:22` ends before it starts');
    expect(normalizePort('http')).toBe('`http` is not a port or a port range');
  });
});

describe('addresses', () => {
  it('reads addresses and networks of both families', () => {
    expect(parseNetwork('192.168.1.10')).toEqual({ family: 'ipv4', address: '192.168.1.10' });
    expect(parseNetwork('fd00::/64')).toEqual({ family: 'ipv6', address: 'fd00::', prefix: 64 });
  });

  it('rejects odd IPv4 spellings and bad prefixes', () => {
    expect(parseNetwork('10.1')).toBe('`10.1` is not an IPv4 or IPv6 address');
    expect(parseNetwork('0x7f.0.0.1')).toBe('`0x7f.0.0.1` is not an IPv4 or IPv6 address');
    expect(parseNetwork('fd00::/129')).toBe('`/129` is not a prefix length for an IPv6 address (0 to 128)');
  });
});

describe('expectation destinations', () => {
  it('reads ADDR[:PORT][/PROTO] with defaults', () => {
    expect(parseDestination('192.168.122.190:8000/tcp')).toEqual({
      family: 'ipv4',
      address: '192.168.122.190',
      port: 8000,
      proto: 'tcp',
    });
    expect(parseDestination('10.0.0.1:53/udp')).toMatchObject({ port: 53, proto: 'udp' });
    expect(parseDestination('10.0.0.1:80')).toMatchObject({ port: 80, proto: 'tcp' });
    expect(parseDestination('10.0.0.1')).toEqual({ family: 'ipv4', address: '10.0.0.1', proto: 'icmp' });
    expect(parseDestination('[fd00::1]:443/tcp')).toEqual({
      family: 'ipv6',
      address: 'fd00::1',
      port: 443,
      proto: 'tcp',
    });
    expect(parseDestination('fd00::1')).toEqual({ family: 'ipv6', address: 'fd00::1', proto: 'icmpv6' });
  });

  it('says what is wrong with a bad destination', () => {
    expect(parseDestination('fd00::1:80/icmp')).toBe(
      '`fd00::1:80/icmp`: use `/icmpv6` for an IPv6 destination',
    );
    expect(parseDestination('[fd00::1:80')).toBe('`[fd00::1:80`: missing `]` after the IPv6 address');
    expect(parseDestination('10.0.0.1:0')).toBe('`0` is not a port: a port is a number from 1 to 65535');
    expect(parseDestination('host:80')).toBe(
      '`host` is not an IPv4 or IPv6 address (write IPv6 with a port as `[ADDR]:PORT`)',
    );
  });
});
