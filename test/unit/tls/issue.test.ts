import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCa,
  decodePemBlocks,
  encodePem,
  issueClientCert,
  issueServerCert,
  type KeyAlgorithm,
} from '../../../src/tls/index.js';
import { makePki, node, ok, type Pki } from './helpers.js';

const SAN_PREFIX = (s: string): string => s.split(', ').sort().join(', ');

function sameKey(certPem: string, keyPem: string): boolean {
  const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return fromCert.equals(fromKey);
}

describe.each<KeyAlgorithm>(['ECDSA-P256', 'RSA-2048'])('certificates with %s keys', (alg) => {
  let pki: Pki;
  beforeAll(async () => {
    pki = await makePki(alg);
  });

  it('creates a CA that Node reads as a self-issued CA certificate', () => {
    const ca = node(pki.ca.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe(`CN=test CA ${alg}`);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.keyUsage).toBeUndefined(); // Node lists extended key usage here; a CA has none
  });

  it('writes keys as PKCS#8 that belong to their certificates', () => {
    for (const pair of [pki.ca, pki.server, pki.client]) {
      expect(decodePemBlocks(pair.keyPem).map((b) => b.label)).toEqual(['PRIVATE KEY']);
      expect(createPrivateKey(pair.keyPem).asymmetricKeyType).toBe(alg === 'RSA-2048' ? 'rsa' : 'ec');
      expect(sameKey(pair.certPem, pair.keyPem)).toBe(true);
    }
  });

  it('issues a server certificate with the requested SANs plus loopback, signed by the CA', () => {
    const cert = node(pki.server.certPem);
    const ca = node(pki.ca.certPem);
    expect(cert.ca).toBe(false);
    expect(SAN_PREFIX(cert.subjectAltName ?? '')).toBe(
      SAN_PREFIX(
        'DNS:docker-vm, DNS:localhost, IP Address:192.168.99.100, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      ),
    );
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extendedKeyUsage serverAuth
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.issuer).toBe(ca.subject);
  });

  it('issues a client certificate for clientAuth only', () => {
    const cert = node(pki.client.certPem);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBeUndefined();
    expect(cert.verify(node(pki.ca.certPem).publicKey)).toBe(true);
  });
});

describe('issued certificate details', () => {
  let ca: { certPem: string; keyPem: string };
  beforeAll(async () => {
    ca = ok(await createCa({ commonName: 'detail CA', days: 3650 }));
  });

  it('uses random, positive 16-byte serial numbers', async () => {
    const serials = await Promise.all(
      [1, 2, 3].map(
        async () => node(ok(await issueClientCert(ca, { commonName: 'c', days: 1 })).certPem).serialNumber,
      ),
    );
    expect(new Set(serials).size).toBe(3);
    for (const s of serials) expect(s).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('is valid from shortly before `now` for the requested number of days', async () => {
    const now = new Date('2030-01-01T12:00:00Z');
    const cert = node(ok(await issueClientCert(ca, { commonName: 'c', days: 90, now })).certPem);
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(cert.validTo).toISOString()).toBe('2030-04-01T12:00:00.000Z');
  });

  it('leaves out the loopback names when asked', async () => {
    const s = ok(
      await issueServerCert(ca, {
        commonName: 'vm',
        sans: ['docker-vm,192.168.99.100'],
        days: 1,
        includeLoopback: false,
      }),
    );
    expect(s.sans).toEqual({ dns: ['docker-vm'], ip: ['192.168.99.100'] });
    expect(node(s.certPem).subjectAltName).toBe('DNS:docker-vm, IP Address:192.168.99.100');
  });

  it('rejects invalid SANs, names and durations with diagnostics', async () => {
    const bad = await issueServerCert(ca, { commonName: 'vm', sans: ['docker_vm ok', 'bad host!'], days: 1 });
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['tls.invalid-san']);
    expect(bad.diagnostics[0]?.message).toContain("'host!'");
    const days = await issueClientCert(ca, { commonName: '', days: 0 });
    expect(days.value).toBeUndefined();
    expect(days.diagnostics.map((d) => d.code).sort()).toEqual([
      'tls.invalid-common-name',
      'tls.invalid-days',
    ]);
  });
});

describe('using an existing CA', () => {
  it('accepts a PKCS#1 RSA CA key (docker-machine writes these)', async () => {
    const ca = ok(await createCa({ commonName: 'machine CA', days: 30, keyAlgorithm: 'RSA-2048' }));
    const pkcs1 = createPrivateKey(ca.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    const s = ok(
      await issueServerCert({ certPem: ca.certPem, keyPem: pkcs1 }, { commonName: 'm', sans: [], days: 1 }),
    );
    expect(node(s.certPem).verify(node(ca.certPem).publicKey)).toBe(true);
  });

  it('accepts a SEC1 EC CA key, after an EC PARAMETERS block', async () => {
    const ca = ok(await createCa({ commonName: 'ec CA', days: 30 }));
    const sec1 = createPrivateKey(ca.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    const params = encodePem(
      'EC PARAMETERS',
      new Uint8Array([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
    );
    const c = ok(
      await issueClientCert({ certPem: ca.certPem, keyPem: params + sec1 }, { commonName: 'c', days: 1 }),
    );
    expect(node(c.certPem).verify(node(ca.certPem).publicKey)).toBe(true);
  });

  it('reports a key that belongs to another CA, an encrypted key and a non-CA certificate', async () => {
    const a = ok(await createCa({ commonName: 'a', days: 30 }));
    const b = ok(await createCa({ commonName: 'b', days: 30 }));
    const mismatch = await issueClientCert(
      { certPem: a.certPem, keyPem: b.keyPem },
      { commonName: 'c', days: 1 },
    );
    expect(mismatch.diagnostics.map((d) => d.code)).toEqual(['tls.ca-key-mismatch']);

    const encrypted = createPrivateKey(a.keyPem)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString();
    const enc = await issueClientCert(
      { certPem: a.certPem, keyPem: encrypted },
      { commonName: 'c', days: 1 },
    );
    expect(enc.diagnostics.map((d) => d.code)).toEqual(['tls.key-encrypted']);

    const leaf = ok(await issueClientCert(a, { commonName: 'leaf', days: 1 }));
    const notCa = await issueClientCert(leaf, { commonName: 'c', days: 1 });
    expect(notCa.value).toBeUndefined();
    expect(notCa.diagnostics.map((d) => d.code)).toEqual(['tls.not-a-ca']);

    const rsaKeyForEcCa = ok(await createCa({ commonName: 'r', days: 1, keyAlgorithm: 'RSA-2048' })).keyPem;
    const wrongKind = await issueClientCert(
      { certPem: a.certPem, keyPem: rsaKeyForEcCa },
      { commonName: 'c', days: 1 },
    );
    expect(wrongKind.diagnostics.map((d) => d.code)).toEqual(['tls.bad-private-key']);
  });
});
