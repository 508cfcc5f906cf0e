import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classifySans,
  coveringSan,
  createCa,
  hostnameErrorMessage,
  issueServerCert,
  parseIp,
  type SanSet,
} from '../../../src/tls/index.js';
import { ok } from './helpers.js';

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['FD00:0:0::AB:1', 'fd00::ab:1'],
    ['::ffff:192.168.99.100', '192.168.99.100'],
    ['0:0:0:0:0:0:0:1', '::1'],
  ])('%s is %s', (text, ip) => expect(parseIp(text)).toBe(ip));

  it.each(['localhost', '127.1', '0x7f.0.0.1', '1.2.3.4.5', 'fe80::1%eth0', '', 'docker-vm'])(
    '%s is not an IP address',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});

describe('classifySans', () => {
  it('tells DNS names from IP addresses, splits lists, drops duplicates and adds loopback', () => {
    const r = classifySans(['docker-vm, 192.168.99.100', 'DOCKER-VM', '*.vm.example', '::1 10.0.2.15']);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({
      dns: ['docker-vm', '*.vm.example', 'localhost'],
      ip: ['192.168.99.100', '::1', '10.0.2.15', '127.0.0.1'],
    });
  });

  it('adds nothing when loopback is turned off, and needs at least one name then', () => {
    expect(classifySans(['vm'], { includeLoopback: false }).value).toEqual({ dns: ['vm'], ip: [] });
    expect(classifySans([], { includeLoopback: false }).diagnostics.map((d) => d.code)).toEqual([
      'tls.no-sans',
    ]);
  });

  it.each([
    'a.*.example',
    '*',
    'foo*.example',
    '-lead.example',
    'trailing.',
    'sp ace!',
    `${'a'.repeat(64)}.x`,
  ])('rejects %s', (name) => {
    const r = classifySans([name], { includeLoopback: false });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.some((d) => d.code === 'tls.invalid-san')).toBe(true);
  });
});

/** Hosts, and whether a certificate with SANS below covers them (Go's rules). */
const SANS = ['docker-vm', '*.vm.example', 'Mixed.Case.Example', '192.168.99.100', 'fd00::1'];
const TABLE: Array<[string, string | undefined]> = [
  ['docker-vm', 'docker-vm'],
  ['DOCKER-VM', 'docker-vm'],
  ['localhost', undefined],
  ['a.vm.example', '*.vm.example'],
  ['vm.example', undefined],
  ['a.b.vm.example', undefined],
  ['mixed.case.example', 'Mixed.Case.Example'],
  ['case.example', undefined],
  ['192.168.99.100', '192.168.99.100'],
  ['192.168.99.101', undefined],
  ['127.0.0.1', undefined],
  ['fd00::1', 'fd00::1'],
  ['fd00:0::1', 'fd00::1'],
  ['::1', undefined],
];

describe('coveringSan agrees with Node (OpenSSL) host checks', () => {
  let cert: X509Certificate;
  let sans: SanSet;
  beforeAll(async () => {
    const ca = ok(await createCa({ commonName: 'docker-vm', days: 1 }));
    const s = ok(
      await issueServerCert(ca, { commonName: 'localhost', sans: SANS, days: 1, includeLoopback: false }),
    );
    cert = new X509Certificate(s.certPem);
    sans = s.sans;
  });

  it.each(TABLE)('%s → %s', (host, expected) => {
    expect(coveringSan(host, sans)).toBe(expected);
    const nodeSays =
      parseIp(host) !== undefined
        ? cert.checkIP(host) !== undefined
        : cert.checkHost(host, { subject: 'never', partialWildcards: false, multiLabelWildcards: false }) !==
          undefined;
    expect(nodeSays).toBe(expected !== undefined);
  });

  it('never uses the common name (the subject CN is localhost here)', () => {
    expect(coveringSan('localhost', sans)).toBeUndefined();
  });

  it('strips a trailing dot and brackets like Go', () => {
    expect(coveringSan('docker-vm.', sans)).toBe('docker-vm');
    expect(coveringSan('[fd00::1]', sans)).toBe('fd00::1');
  });
});

describe("hostnameErrorMessage (Go's HostnameError)", () => {
  const facts = (dns: string[], ip: string[], hasSanExtension = true, commonName?: string) => ({
    sans: { dns, ip },
    hasSanExtension,
    ...(commonName !== undefined ? { commonName } : {}),
  });

  it('lists DNS SANs for a name', () => {
    expect(hostnameErrorMessage('localhost', facts(['docker-vm', 'vm.local'], ['192.168.99.100']))).toBe(
      'x509: certificate is valid for docker-vm, vm.local, not localhost',
    );
  });

  it('lists IP SANs for an address', () => {
    expect(hostnameErrorMessage('127.0.0.1', facts(['docker-vm'], ['192.168.99.100', 'fd00::1']))).toBe(
      'x509: certificate is valid for 192.168.99.100, fd00::1, not 127.0.0.1',
    );
  });

  it('says so when there are no IP SANs or no names at all', () => {
    expect(hostnameErrorMessage('[::1]', facts(['docker-vm'], []))).toBe(
      "x509: cannot validate certificate for ::1 because it doesn't contain any IP SANs",
    );
    // docker-machine's certificate had only an IP SAN; the write-up shows older Go's "valid for , not localhost".
    expect(hostnameErrorMessage('localhost', facts([], ['192.168.99.100']))).toBe(
      'x509: certificate is not valid for any names, but wanted to match localhost',
    );
  });

  it('points at the legacy common name when only the CN would match', () => {
    expect(hostnameErrorMessage('localhost', facts([], [], false, 'localhost'))).toBe(
      'x509: certificate relies on legacy Common Name field, use SANs instead',
    );
  });
});
