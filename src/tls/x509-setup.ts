// @peculiar/x509 relies on decorator metadata: the polyfill must load before the library does.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { webcrypto as wc } from 'node:crypto';

/** WebCrypto types (the project's TypeScript lib has no DOM). */
export type Crypto = wc.Crypto;
export type CryptoKey = wc.CryptoKey;
export type CryptoKeyPair = wc.CryptoKeyPair;
export type Algorithm = wc.Algorithm;
export type EcdsaParams = wc.EcdsaParams;
export type EcKeyAlgorithm = wc.EcKeyAlgorithm;
export type RsaKeyAlgorithm = wc.RsaKeyAlgorithm;
export type EcKeyGenParams = wc.EcKeyGenParams;
export type RsaHashedKeyGenParams = wc.RsaHashedKeyGenParams;

/** Node's WebCrypto (no I/O): key generation, signing and verification for every certificate here. */
export const webcrypto: Crypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
