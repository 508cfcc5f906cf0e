import { diag, type Diagnostic, type Result } from '../model/index.js';
import { encodePem, splitCertificates } from './pem.js';
import { classifySans, type SanSet } from './san.js';
import { generationParams, importSigningKey, signingAlgorithmFor, type SigningKey } from './signing-key.js';
import type { KeyAlgorithm, PemPair } from './types.js';
import { webcrypto, x509, type CryptoKey, type CryptoKeyPair } from './x509-setup.js';

/**
 * Certificates for a Docker daemon listening on TCP with `--tlsverify`: a CA, server certificates
 * (serverAuth, with the names clients connect to) and client certificates (clientAuth).
 */

interface CommonOptions {
  commonName: string;
  /** Validity in days, counted from `now`. */
  days: number;
  /** Key type of the new key (default `ECDSA-P256`). */
  keyAlgorithm?: KeyAlgorithm;
  /** Issue time (default: the current time). */
  now?: Date;
}

export type CaOptions = CommonOptions;
export type ClientCertOptions = CommonOptions;

export interface ServerCertOptions extends CommonOptions {
  /** DNS names and IP addresses (told apart automatically); commas and blanks separate several. */
  sans: readonly string[];
  /** Add `localhost`, `127.0.0.1` and `::1` (default true): what a port-forward connects to. */
  includeLoopback?: boolean;
}

export interface IssuedServerCert extends PemPair {
  /** The SANs written into the certificate. */
  sans: SanSet;
}

/** notBefore lies this far before `now`, so a client whose clock lags a little still accepts it. */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_DAYS = 36500;

function checkCommon(opts: CommonOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (opts.commonName.trim() === '' || opts.commonName.length > 64) {
    out.push(diag('error', 'tls.invalid-common-name', 'the common name must be 1 to 64 characters long'));
  }
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_DAYS) {
    out.push(
      diag('error', 'tls.invalid-days', `validity must be a whole number of days from 1 to ${MAX_DAYS}`),
    );
  }
  return out;
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280: at most 20 octets). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

function validity(opts: CommonOptions): { notBefore: Date; notAfter: Date } {
  const now = (opts.now ?? new Date()).getTime();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + opts.days * DAY_MS) };
}

async function newKeyPair(kind: KeyAlgorithm = 'ECDSA-P256'): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(generationParams(kind), true, ['sign', 'verify']);
}

async function exportKey(key: CryptoKey): Promise<string> {
  return encodePem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

/** A self-signed CA: basicConstraints CA:TRUE, keyUsage keyCertSign + cRLSign + digitalSignature. */
export async function createCa(opts: CaOptions): Promise<Result<PemPair>> {
  const diagnostics = checkCommon(opts);
  if (diagnostics.length > 0) return { diagnostics };
  const keys = await newKeyPair(opts.keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [opts.commonName] }],
    keys,
    ...validity(opts),
    signingAlgorithm: signingAlgorithmFor(keys.publicKey.algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    value: { certPem: encodePem('CERTIFICATE', cert.rawData), keyPem: await exportKey(keys.privateKey) },
    diagnostics,
  };
}

interface LoadedCa {
  cert: x509.X509Certificate;
  key: SigningKey;
}

/** Reads the CA pair given to `issue*`; problems with it are diagnostics. */
async function loadCa(ca: PemPair): Promise<Result<LoadedCa>> {
  const pem = splitCertificates(ca.certPem)[0];
  if (!pem)
    return { diagnostics: [diag('error', 'tls.no-certificate', 'the CA file holds no CERTIFICATE block')] };
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem);
  } catch (e) {
    return {
      diagnostics: [
        diag('error', 'tls.bad-certificate', `the CA certificate cannot be read: ${(e as Error).message}`),
      ],
    };
  }
  const diagnostics: Diagnostic[] = [];
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) {
    diagnostics.push(
      diag(
        'error',
        'tls.not-a-ca',
        `${cert.subject} is not a CA certificate (basicConstraints CA:TRUE missing)`,
      ),
    );
    return { diagnostics };
  }
  const key = await importSigningKey(ca.keyPem, cert);
  if (!key.value) return { diagnostics: [...diagnostics, ...key.diagnostics] };
  return { value: { cert, key: key.value }, diagnostics };
}

async function issueLeaf(
  ca: PemPair,
  opts: CommonOptions,
  usage: { keyUsage: number; eku: string; san?: SanSet },
): Promise<Result<PemPair>> {
  const loaded = await loadCa(ca);
  if (!loaded.value) return { diagnostics: loaded.diagnostics };
  const { cert: caCert, key: caKey } = loaded.value;
  const keys = await newKeyPair(opts.keyAlgorithm);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage.keyUsage, true),
    new x509.ExtendedKeyUsageExtension([usage.eku]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  const caSki = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki.keyId));
  if (usage.san) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...usage.san.dns.map((value) => ({ type: 'dns' as const, value })),
        ...usage.san.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [opts.commonName] }],
    // The issuer is the CA's subject byte for byte: Go and OpenSSL match issuers by encoded name.
    issuer: new x509.Name(caCert.subjectName.toArrayBuffer()),
    publicKey: keys.publicKey,
    signingKey: caKey.privateKey,
    signingAlgorithm: caKey.signingAlgorithm,
    ...validity(opts),
    extensions,
  });
  return {
    value: { certPem: encodePem('CERTIFICATE', cert.rawData), keyPem: await exportKey(keys.privateKey) },
    diagnostics: [],
  };
}

/**
 * A server certificate for dockerd (`--tlscert`/`--tlskey`): serverAuth, keyUsage digitalSignature +
 * keyEncipherment, SANs as requested plus the loopback names unless `includeLoopback` is false.
 */
export async function issueServerCert(
  ca: PemPair,
  opts: ServerCertOptions,
): Promise<Result<IssuedServerCert>> {
  const sans = classifySans(opts.sans, { includeLoopback: opts.includeLoopback !== false });
  const diagnostics = [...checkCommon(opts), ...sans.diagnostics];
  if (!sans.value || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const issued = await issueLeaf(ca, opts, {
    keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    eku: x509.ExtendedKeyUsage.serverAuth,
    san: sans.value,
  });
  if (!issued.value) return { diagnostics: [...diagnostics, ...issued.diagnostics] };
  return {
    value: { ...issued.value, sans: sans.value },
    diagnostics: [...diagnostics, ...issued.diagnostics],
  };
}

/** A client certificate for the docker CLI (`cert.pem`/`key.pem`): clientAuth, digitalSignature. */
export async function issueClientCert(ca: PemPair, opts: ClientCertOptions): Promise<Result<PemPair>> {
  const diagnostics = checkCommon(opts);
  if (diagnostics.length > 0) return { diagnostics };
  return issueLeaf(ca, opts, {
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    eku: x509.ExtendedKeyUsage.clientAuth,
  });
}
