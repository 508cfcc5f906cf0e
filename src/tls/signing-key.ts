import { diag, type Result } from '../model/index.js';
import { decodePemBlocks, pkcs1ToPkcs8, sec1ToPkcs8 } from './pem.js';
import type { KeyAlgorithm } from './types.js';
import {
  webcrypto,
  x509,
  type Algorithm,
  type CryptoKey,
  type EcdsaParams,
  type EcKeyAlgorithm,
  type EcKeyGenParams,
  type RsaHashedKeyGenParams,
  type RsaKeyAlgorithm,
} from './x509-setup.js';

/** A private key ready to sign certificates, with the signature algorithm that goes with it. */
export interface SigningKey {
  privateKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
}

const HASH_FOR_CURVE: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/** WebCrypto parameters for generating a key of the given kind. */
export function generationParams(kind: KeyAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams {
  return kind === 'RSA-2048'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

/** The signature algorithm for certificates signed by a key of this (public key) algorithm. */
export function signingAlgorithmFor(alg: Algorithm): (Algorithm | EcdsaParams) | undefined {
  if (alg.name === 'ECDSA') {
    const hash = HASH_FOR_CURVE[(alg as EcKeyAlgorithm).namedCurve];
    return hash ? { name: 'ECDSA', hash } : undefined;
  }
  if (alg.name === 'RSASSA-PKCS1-v1_5') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return undefined;
}

/** `ECDSA P-256`, `RSA 2048`, or the algorithm's own name. */
export function describeKeyAlgorithm(alg: Algorithm): string {
  if (alg.name === 'ECDSA') return `ECDSA ${(alg as EcKeyAlgorithm).namedCurve}`;
  if (alg.name.startsWith('RSA')) return `RSA ${(alg as RsaKeyAlgorithm).modulusLength}`;
  return alg.name;
}

/**
 * Reads the private key that belongs to `cert` (a CA) from PEM, in PKCS#8, PKCS#1 or SEC1 form, and
 * checks that it really is the key of that certificate.
 */
export async function importSigningKey(
  keyPem: string,
  cert: x509.X509Certificate,
): Promise<Result<SigningKey>> {
  const pubAlg = cert.publicKey.algorithm;
  const signingAlgorithm = signingAlgorithmFor(pubAlg);
  if (!signingAlgorithm) {
    return {
      diagnostics: [
        diag(
          'error',
          'tls.unsupported-key',
          `CA key type ${describeKeyAlgorithm(pubAlg)} is not supported`,
          undefined,
          {
            hint: 'use an RSA or ECDSA (P-256, P-384, P-521) CA',
          },
        ),
      ],
    };
  }
  const blocks = decodePemBlocks(keyPem);
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || b.headers.some((h) => /ENCRYPTED/.test(h)))) {
    return {
      diagnostics: [
        diag('error', 'tls.key-encrypted', 'the CA key is encrypted', undefined, {
          hint: 'decrypt it to a temporary file first: openssl pkey -in ca-key.pem -out ca-key.plain.pem',
        }),
      ],
    };
  }
  const block = blocks.find((b) => /^(|RSA |EC )PRIVATE KEY$/.test(b.label));
  let pkcs8: Uint8Array | undefined;
  if (block?.label === 'PRIVATE KEY') pkcs8 = block.der;
  else if (block?.label === 'RSA PRIVATE KEY') pkcs8 = pkcs1ToPkcs8(block.der);
  else if (block?.label === 'EC PRIVATE KEY')
    pkcs8 = sec1ToPkcs8(block.der, (pubAlg as EcKeyAlgorithm).namedCurve);
  if (!pkcs8) {
    return { diagnostics: [diag('error', 'tls.no-private-key', 'no usable private key PEM block found')] };
  }
  const importAlg =
    pubAlg.name === 'ECDSA'
      ? { name: 'ECDSA', namedCurve: (pubAlg as EcKeyAlgorithm).namedCurve }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  let privateKey: CryptoKey;
  try {
    privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
  } catch (e) {
    return {
      diagnostics: [
        diag(
          'error',
          'tls.bad-private-key',
          `the CA key cannot be read: ${(e as Error).message}`,
          undefined,
          {
            hint: `the CA certificate has a ${describeKeyAlgorithm(pubAlg)} key; the key file must be of the same kind`,
          },
        ),
      ],
    };
  }
  const probe = webcrypto.getRandomValues(new Uint8Array(32));
  const sig = await webcrypto.subtle.sign(signingAlgorithm, privateKey, probe);
  const publicKey = await cert.publicKey.export(importAlg, ['verify'], webcrypto);
  if (!(await webcrypto.subtle.verify(signingAlgorithm, publicKey, sig, probe))) {
    return {
      diagnostics: [
        diag('error', 'tls.ca-key-mismatch', 'the CA key does not belong to the CA certificate', undefined, {
          hint: 'give the ca-key.pem that was created together with this ca.pem',
        }),
      ],
    };
  }
  return { value: { privateKey, signingAlgorithm }, diagnostics: [] };
}
