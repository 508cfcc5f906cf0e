import { describe, expect, it } from 'vitest';
import { listeningPorts, ssSockets } from '../../../src/cli/listening.js';
import { formatIpv6, parseProcNet, procListening } from '../../../src/host/proc-sockets.js';

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const line = (local: string, st: string) =>
  `   0: ${local} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n`;
const v6 = (hex: string) => hex.padEnd(32, '0');

describe('listening sockets from /proc/net', () => {
  it('writes IPv6 addresses as inet_ntop (and so ss) does', () => {
    const b = (...words: number[]) => words.flatMap((w) => [w >> 8, w & 0xff]);
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 1))).toBe('::1');
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 0))).toBe('::');
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001))).toBe('::ffff:10.0.0.1');
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0, 0x0102, 0x0304))).toBe('::1.2.3.4');
    expect(formatIpv6(b(0xfe80, 0, 0, 0, 0x1, 0x2, 0x3, 0x4))).toBe('fe80::1:2:3:4');
    expect(formatIpv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(b(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0))).toBe('2001:db8:0:1::');
    expect(formatIpv6(b(0x2001, 0, 1, 0, 1, 0, 1, 0))).toBe('2001:0:1:0:1:0:1:0');
  });

  it('reads the words of an address in host byte order, and only sockets in the state asked for', () => {
    const text =
      HEAD +
      line('0100007F:1F40', '0A') +
      line('00000000:0016', '0A') +
      line('0100007F:0050', '01') + // established: not listening
      line('0101A8C0:0035', '0A');
    expect(parseProcNet(text, 'ipv4', '0A', true)).toEqual([
      { address: '127.0.0.1', port: 8000, family: 'ipv4' },
      { address: '0.0.0.0', port: 22, family: 'ipv4' },
      { address: '192.168.1.1', port: 53, family: 'ipv4' },
    ]);
    expect(parseProcNet(HEAD + line('7F000001:1F40', '0A'), 'ipv4', '0A', false)).toEqual([
      { address: '127.0.0.1', port: 8000, family: 'ipv4' },
    ]);
    // ::1 and ::ffff:10.0.0.1, each 32-bit word little-endian.
    const six =
      HEAD +
      line(`${v6('')}`.slice(0, 24) + '01000000:1F41', '0A') +
      line('0000000000000000FFFF00000100000A:1F42', '0A');
    expect(parseProcNet(six, 'ipv6', '0A', true)).toEqual([
      { address: '::1', port: 8001, family: 'ipv6' },
      { address: '::ffff:10.0.0.1', port: 8002, family: 'ipv6' },
    ]);
  });

  it('a socket on :: (IPv6 only or both families? /proc does not say) leaves it to ss', () => {
    const files: Record<string, string> = {
      '/proc/net/tcp': HEAD + line('00000000:0016', '0A'),
      '/proc/net/tcp6': HEAD + line(v6(''), '0A').replace(v6(''), `${v6('')}:0016`),
      '/proc/net/udp': HEAD + line('00000000:0035', '07'),
      '/proc/net/udp6': HEAD,
    };
    const read = (f: string) => {
      const t = files[f];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    };
    expect(procListening('tcp', read, true)).toBeUndefined();
    expect(procListening('udp', read, true)).toEqual([{ address: '0.0.0.0', port: 53, family: 'ipv4' }]);
    delete files['/proc/net/udp6'];
    expect(procListening('udp', read, true)).toBeUndefined();
  });

  it('the ports are the same from either source', () => {
    const ss = [
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*',
      'LISTEN 0 128 127.0.0.53%lo:53 0.0.0.0:*',
      'LISTEN 0 128 [::1]:8000 [::]:*',
      'LISTEN 0 128 [::]%eth0:9000 [::]:*',
      'LISTEN 0 128 *:80 *:*',
      '',
    ].join('\n');
    expect(ssSockets(0, ss)).toEqual([
      { address: '0.0.0.0', port: 22 },
      { address: '127.0.0.53', port: 53 },
      { address: '::1', port: 8000 },
      { address: '::', port: 9000 },
      { address: '*', port: 80 },
    ]);
    expect(ssSockets(1, ss)).toEqual([]);
    expect(listeningPorts(ssSockets(0, ss), [{ address: '0.0.0.0', port: 22 }])).toEqual([
      { port: 22, proto: 'tcp', family: 'ipv4' },
      { port: 53, proto: 'tcp', address: '127.0.0.53' },
      { port: 8000, proto: 'tcp', address: '::1' },
      { port: 9000, proto: 'tcp', family: 'ipv6' },
      { port: 80, proto: 'tcp' },
      { port: 22, proto: 'udp', family: 'ipv4' },
    ]);
  });
});
