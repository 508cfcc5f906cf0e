import { X509Certificate } from 'node:crypto';
import { expect } from 'vitest';
import type { Result } from '../../../src/model/index.js';
import {
  createCa,
  issueClientCert,
  issueServerCert,
  type KeyAlgorithm,
  type PemPair,
} from '../../../src/tls/index.js';

/** The value of a Result that must have succeeded (fails the test with its diagnostics otherwise). */
export function ok<T>(r: Result<T>): T {
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.value).toBeDefined();
  return r.value as T;
}

export function node(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

export interface Pki {
  ca: PemPair;
  server: PemPair;
  client: PemPair;
}

/** A CA with a server certificate for `sans` and a client certificate, all of one key type. */
export async function makePki(
  keyAlgorithm: KeyAlgorithm,
  sans: string[] = ['docker-vm', '192.168.99.100'],
  includeLoopback = true,
): Promise<Pki> {
  const ca = ok(await createCa({ commonName: `test CA ${keyAlgorithm}`, days: 36500, keyAlgorithm }));
  const server = ok(
    await issueServerCert(ca, { commonName: 'docker-vm', sans, days: 365, keyAlgorithm, includeLoopback }),
  );
  const client = ok(await issueClientCert(ca, { commonName: 'client', days: 365, keyAlgorithm }));
  return { ca, server, client };
}
