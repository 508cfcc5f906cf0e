import { beforeAll, describe, expect, it } from 'vitest';
import { checkCertificate, createCa, issueServerCert, type PemPair } from '../../../src/tls/index.js';
import { makePki, ok, type Pki } from './helpers.js';

const NOW = new Date('2031-06-01T00:00:00Z');

describe('checkCertificate', () => {
  let pki: Pki;
  let vmOnly: PemPair;
  beforeAll(async () => {
    pki = await makePki('ECDSA-P256');
    vmOnly = ok(
      await issueServerCert(pki.ca, {
        commonName: 'docker-vm',
        sans: ['docker-vm', '192.168.99.100'],
        days: 365,
        includeLoopback: false,
        now: NOW,
      }),
    );
  });

  it('reports subject, issuer, validity and SANs, and the SAN that covers the host', async () => {
    const r = ok(await checkCertificate(pki.server.certPem, { host: 'localhost', caPem: pki.ca.certPem }));
    expect(r).toMatchObject({
      subject: 'CN=docker-vm',
      issuer: 'CN=test CA ECDSA-P256',
      keyAlgorithm: 'ECDSA P-256',
      dnsNames: ['docker-vm', 'localhost'],
      ipAddresses: ['192.168.99.100', '127.0.0.1', '::1'],
      covered: true,
      matchedSan: 'localhost',
      serverAuth: true,
      expired: false,
      chain: { presented: 1, verified: true, path: ['CN=docker-vm', 'CN=test CA ECDSA-P256'] },
    });
    expect(r.hostError).toBeUndefined();
    expect(r.fix).toBeUndefined();
  });

  it('says what the docker client says when the host is not covered, and how to fix it', async () => {
    const r = await checkCertificate(vmOnly.certPem, { host: 'localhost', caPem: pki.ca.certPem, now: NOW });
    expect(r.value?.covered).toBe(false);
    expect(r.value?.hostError).toBe('x509: certificate is valid for docker-vm, not localhost');
    expect(r.value?.fix).toEqual({
      sans: ['docker-vm', '192.168.99.100', 'localhost', '127.0.0.1', '::1'],
      command:
        'dockwall tls server --san docker-vm --san 192.168.99.100 --san localhost --san 127.0.0.1 --san ::1',
    });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['tls.host-not-covered', 'error']]);
    expect(r.diagnostics[0]?.hint).toContain('dockwall tls server --san docker-vm');
    expect(r.value?.chain.verified).toBe(true);
  });

  it('adds only the missing address for a non-loopback host', async () => {
    const r = await checkCertificate(vmOnly.certPem, { host: '10.0.2.15', now: NOW });
    expect(r.value?.hostError).toBe('x509: certificate is valid for 192.168.99.100, not 10.0.2.15');
    expect(r.value?.fix?.sans).toEqual(['docker-vm', '192.168.99.100', '10.0.2.15']);
    expect(r.value?.chain.verified).toBeNull();
  });

  it('does not verify against another CA, even one with the same name', async () => {
    const other = ok(await createCa({ commonName: 'unrelated', days: 30 }));
    const r = await checkCertificate(pki.server.certPem, { host: 'localhost', caPem: other.certPem });
    expect(r.value?.chain).toMatchObject({
      verified: false,
      error: 'x509: certificate signed by unknown authority',
    });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['tls.chain-unverified']);

    const twin = ok(await createCa({ commonName: 'test CA ECDSA-P256', days: 30 }));
    const t = await checkCertificate(pki.server.certPem, { host: 'localhost', caPem: twin.certPem });
    expect(t.value?.chain.error).toBe(
      'x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "test CA ECDSA-P256")',
    );
  });

  it('trusts a CA the server sends along only when the client has it too', async () => {
    const bundle = pki.server.certPem + pki.ca.certPem;
    const r = ok(await checkCertificate(bundle, { host: 'docker-vm', caPem: pki.ca.certPem }));
    expect(r.chain).toMatchObject({ presented: 2, verified: true });
    const other = ok(await createCa({ commonName: 'unrelated', days: 30 }));
    const u = await checkCertificate(bundle, { host: 'docker-vm', caPem: other.certPem });
    expect(u.value?.chain.verified).toBe(false);
    expect(u.diagnostics.map((d) => d.code)).toEqual(['tls.chain-unverified']);
  });

  it('reports expiry with Go wording, and warns ahead of it', async () => {
    const later = new Date(NOW.getTime() + 400 * 86400_000);
    const r = await checkCertificate(vmOnly.certPem, {
      host: 'docker-vm',
      caPem: pki.ca.certPem,
      now: later,
    });
    expect(r.value?.expired).toBe(true);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['tls.expired']);
    expect(r.diagnostics[0]?.message).toBe(
      'x509: certificate has expired or is not yet valid: current time 2032-07-05T00:00:00Z is after 2032-05-31T00:00:00Z',
    );
    const soon = new Date(NOW.getTime() + 350 * 86400_000);
    const s = await checkCertificate(vmOnly.certPem, { host: 'docker-vm', now: soon });
    expect(s.value).toMatchObject({ expired: false, expiresSoon: true, daysLeft: 15 });
    expect(s.diagnostics.map((d) => [d.code, d.severity])).toEqual([['tls.expires-soon', 'warning']]);
    const early = new Date(NOW.getTime() - 2 * 3600_000);
    const e = await checkCertificate(vmOnly.certPem, { host: 'docker-vm', now: early });
    expect(e.value?.notYetValid).toBe(true);
    expect(e.diagnostics.map((d) => d.code)).toEqual(['tls.not-yet-valid']);
  });

  it('flags a client certificate used as a server certificate', async () => {
    const r = await checkCertificate(pki.client.certPem, { host: 'localhost' });
    expect(r.value?.serverAuth).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain('tls.no-server-auth');
  });

  it('returns no report for text without a readable certificate', async () => {
    expect((await checkCertificate('hello', { host: 'x' })).diagnostics.map((d) => d.code)).toEqual([
      'tls.no-certificate',
    ]);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const b = await checkCertificate(broken, { host: 'x' });
    expect(b.value).toBeUndefined();
    expect(b.diagnostics.map((d) => d.code)).toEqual(['tls.bad-certificate']);
    const badCa = await checkCertificate(pki.server.certPem, { host: 'localhost', caPem: 'nothing' });
    expect(badCa.value?.chain.verified).toBeNull();
    expect(badCa.diagnostics.map((d) => d.code)).toEqual(['tls.bad-ca']);
  });
});
