import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { makePki, type Pki } from './helpers.js';

/** The built CLI, run without blocking this process (the TLS server below answers meanwhile). */
function dockwall(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/dockwall.cjs'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', HOME: tmpdir(), ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('tls check honours DOCKER_HOST and DOCKER_CERT_PATH, as doctor does', () => {
  let pki: Pki;
  let server: Server;
  let port: number;
  let certDir: string;

  beforeAll(async () => {
    pki = await makePki('ECDSA-P256');
    // A daemon that requires a client certificate from the CA, on TLS 1.2 (where it aborts without one).
    server = createServer(
      {
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        ca: pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        maxVersion: 'TLSv1.2',
      },
      (sock) => sock.end('pong'),
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    certDir = mkdtempSync(join(tmpdir(), 'dockwall-certs-'));
    writeFileSync(join(certDir, 'ca.pem'), pki.ca.certPem);
    writeFileSync(join(certDir, 'cert.pem'), pki.client.certPem);
    writeFileSync(join(certDir, 'key.pem'), pki.client.keyPem);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('with no flags: connects to DOCKER_HOST, presents the client certificate and verifies with ca.pem', async () => {
    const r = await dockwall(['tls', 'check'], {
      DOCKER_HOST: `tcp://localhost:${port}`,
      DOCKER_CERT_PATH: certDir,
    });
    expect(r.out).toContain('✓ localhost: covered by localhost');
    expect(r.out).toContain('✓ chain: verified against ca.pem');
    expect(r.code, r.out).toBe(0);
  });

  it('flags override the environment', async () => {
    const r = await dockwall(['tls', 'check', '--host', `tcp://localhost:${port}`, '--cert-dir', certDir], {
      DOCKER_HOST: 'tcp://localhost:1',
      DOCKER_CERT_PATH: join(certDir, 'missing'),
    });
    expect(r.code, r.out).toBe(0);
  });

  it('says why when DOCKER_HOST is not a daemon on TCP', async () => {
    const r = await dockwall(['tls', 'check'], { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'give --host tcp://NAME:PORT or --cert FILE (DOCKER_HOST is unix:///var/run/docker.sock, not a daemon on TCP)',
    );
  });
});
