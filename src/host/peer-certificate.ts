import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { encodePem } from '../tls/pem.js';
import type { FetchPeerCertificate } from '../tls/types.js';

export interface PeerCertificateOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Client certificate and key (PEM), for servers that refuse clients without one over TLS 1.2. */
  clientCertPem?: string;
  clientKeyPem?: string;
}

/**
 * A fetcher that opens a TLS connection, reads the certificate chain the server presents (without
 * verifying it: the point is to inspect it), and closes. The chain is PEM, leaf first.
 */
export function createPeerCertificateFetcher(opts: PeerCertificateOptions = {}): FetchPeerCertificate {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return (host, port, servername) =>
    new Promise<string>((resolve, reject) => {
      let settled = false;
      const sni = servername ?? (isIP(host) ? undefined : host);
      const socket = connect({
        host,
        port,
        rejectUnauthorized: false,
        ...(sni !== undefined && isIP(sni) === 0 ? { servername: sni } : {}),
        ...(opts.clientCertPem !== undefined ? { cert: opts.clientCertPem } : {}),
        ...(opts.clientKeyPem !== undefined ? { key: opts.clientKeyPem } : {}),
      });
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        const wrapped = new Error(`TLS connection to ${host}:${port} failed: ${err.message}`, { cause: err });
        reject(wrapped);
      };
      socket.setTimeout(timeoutMs, () => fail(new Error(`no TLS handshake within ${timeoutMs} ms`)));
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        if (settled) return;
        const pems = chainPems(socket.getPeerCertificate(true));
        settled = true;
        socket.destroy();
        if (pems.length === 0) reject(new Error(`${host}:${port} presented no certificate`));
        else resolve(pems.join(''));
      });
      // Errors after the chain was read (the server rejecting us for lack of a client cert) are fine.
      socket.on('error', () => undefined);
    });
}

function chainPems(first: DetailedPeerCertificate): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = first;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(encodePem('CERTIFICATE', cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}

/** Reads a server's certificate chain without a client certificate. */
export const fetchPeerCertificate: FetchPeerCertificate = createPeerCertificateFetcher();
