/** Key types dockwall generates. Existing CAs may also use ECDSA P-384/P-521 or other RSA sizes. */
export type KeyAlgorithm = 'ECDSA-P256' | 'RSA-2048';

/** A certificate and its private key, both PEM (the key as PKCS#8 `PRIVATE KEY` when generated here). */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/**
 * Reads the certificate chain a TLS server presents, without verifying it. `servername` is the SNI
 * name to send (omit it for an IP address). Resolves to the chain as PEM, leaf first; rejects when no
 * TLS session could be set up (refused, timed out, not TLS).
 */
export type FetchPeerCertificate = (host: string, port: number, servername?: string) => Promise<string>;
