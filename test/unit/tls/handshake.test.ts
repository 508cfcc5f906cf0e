import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer, type Server, type SecureVersion } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeerCertificateFetcher, fetchPeerCertificate } from '../../../src/host/peer-certificate.js';
import { checkCertificate, splitCertificates, type KeyAlgorithm } from '../../../src/tls/index.js';
import { makePki, type Pki } from './helpers.js';

/**
 * Real TLS with the generated material: a node:tls server standing in for dockerd --tlsverify
 * (server cert, client certificates required and checked against the CA) and clients like the
 * docker CLI (client cert, CA, server name checked).
 */

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * A server with `pki.server`. With `clientAuth` (default) it requires client certificates from the
 * CA; OpenSSL then also sends the CA after its own certificate (it completes the chain from `ca`).
 */
async function startServer(
  pki: Pki,
  opts: { clientAuth?: boolean; maxVersion?: SecureVersion } = {},
): Promise<number> {
  const clientAuth = opts.clientAuth ?? true;
  const server = createServer(
    {
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      ...(clientAuth ? { ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true } : {}),
      ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
    },
    (sock) => {
      sock.on('error', () => undefined);
      sock.end(sock.authorized ? 'pong' : 'unauthorized');
    },
  );
  server.on('tlsClientError', () => undefined);
  server.on('connection', (sock: Socket) => sockets.push(sock));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

interface Outcome {
  authorized?: boolean;
  data?: string;
  errorCode?: string;
}

/** Connects to 127.0.0.1 while checking the certificate for `servername`, as DOCKER_HOST=tcp://localhost does. */
function dial(port: number, pki: Pki, servername: string, withClientCert = true): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect({
      host: '127.0.0.1',
      port,
      servername,
      ca: pki.ca.certPem,
      ...(withClientCert ? { cert: pki.client.certPem, key: pki.client.keyPem } : {}),
    });
    sockets.push(sock);
    let data = '';
    sock.on('secureConnect', () => sock.write('ping'));
    sock.on('data', (d) => (data += d.toString()));
    sock.on('end', () => resolve({ authorized: sock.authorized, data }));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve({ errorCode: e.code ?? e.message }));
  });
}

describe.each<KeyAlgorithm>(['ECDSA-P256', 'RSA-2048'])('mutual TLS with %s certificates', (alg) => {
  it('succeeds for localhost with the client certificate', async () => {
    const pki = await makePki(alg);
    const port = await startServer(pki);
    expect(await dial(port, pki, 'localhost')).toEqual({ authorized: true, data: 'pong' });
  });

  it('fails for localhost when the server certificate lacks it, as checkCertificate predicts', async () => {
    const pki = await makePki(alg, ['docker-vm', '192.168.99.100'], false);
    const port = await startServer(pki);
    expect(await dial(port, pki, 'localhost')).toEqual({ errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const r = await checkCertificate(pki.server.certPem, { host: 'localhost', caPem: pki.ca.certPem });
    expect(r.value?.covered).toBe(false);
    expect(r.value?.hostError).toMatch(/, not localhost$/);
    expect(r.value?.chain.verified).toBe(true);
    // The name the certificate does carry is accepted.
    expect(await dial(port, pki, 'docker-vm')).toEqual({ authorized: true, data: 'pong' });
  });
});

describe('client certificates are enforced by the server', () => {
  it('does not serve a client without one', async () => {
    const pki = await makePki('ECDSA-P256');
    const port = await startServer(pki);
    const out = await dial(port, pki, 'localhost', false);
    expect(out).toEqual({ errorCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  });
});

describe('fetchPeerCertificate', () => {
  it('returns exactly the certificate a server without client authentication sends', async () => {
    const pki = await makePki('ECDSA-P256');
    const port = await startServer(pki, { clientAuth: false });
    expect(splitCertificates(await fetchPeerCertificate('127.0.0.1', port))).toEqual([pki.server.certPem]);
  });

  it("returns a mutual-TLS server's chain, leaf first, even without a client certificate (TLS 1.3)", async () => {
    const pki = await makePki('ECDSA-P256');
    const port = await startServer(pki);
    const pem = await fetchPeerCertificate('127.0.0.1', port);
    expect(splitCertificates(pem)).toEqual([pki.server.certPem, pki.ca.certPem]);
    const r = await checkCertificate(pem, { host: 'localhost', caPem: pki.ca.certPem });
    expect(r.value?.chain).toMatchObject({ presented: 2, verified: true });
    expect(r.value?.covered).toBe(true);
  });

  it('can present a client certificate to a TLS 1.2 server that requires one', async () => {
    const pki = await makePki('RSA-2048');
    const port = await startServer(pki, { maxVersion: 'TLSv1.2' });
    const fetch = createPeerCertificateFetcher({
      clientCertPem: pki.client.certPem,
      clientKeyPem: pki.client.keyPem,
    });
    const chain = splitCertificates(await fetch('127.0.0.1', port, 'localhost'));
    expect(chain).toEqual([pki.server.certPem, pki.ca.certPem]);
    // Without the client certificate a TLS 1.2 server aborts the handshake before it completes.
    await expect(fetchPeerCertificate('127.0.0.1', port)).rejects.toThrow(
      /TLS connection to 127.0.0.1:\d+ failed/,
    );
  });

  it('rejects when nothing listens', async () => {
    const pki = await makePki('ECDSA-P256');
    const port = await startServer(pki);
    await new Promise((r) => servers.pop()?.close(r));
    await expect(fetchPeerCertificate('127.0.0.1', port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
