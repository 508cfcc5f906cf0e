import { webcrypto, x509 } from './x509-setup.js';

/**
 * Chain verification the way the docker client's Go TLS stack reports it: issuers are found by
 * encoded name and signature, every certificate on the path must be valid at `now`, and failures
 * carry Go's messages (`x509: certificate signed by unknown authority`, `x509: certificate has
 * expired or is not yet valid: …`).
 */

export interface ChainVerification {
  verified: boolean;
  /** Go's error text when not verified. */
  error?: string;
  /** Subjects from the leaf to the trusted CA, when verified. */
  path: string[];
}

const MAX_DEPTH = 8;

/** Go's `time.RFC3339` for a UTC instant: no fractional seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's `x509: certificate has expired or is not yet valid: …`, or undefined when valid at `now`. */
export function validityError(cert: x509.X509Certificate, now: Date): string | undefined {
  const prefix = 'x509: certificate has expired or is not yet valid: current time';
  if (now < cert.notBefore) return `${prefix} ${rfc3339(now)} is before ${rfc3339(cert.notBefore)}`;
  if (now > cert.notAfter) return `${prefix} ${rfc3339(now)} is after ${rfc3339(cert.notAfter)}`;
  return undefined;
}

function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

function sameCert(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

async function signedBy(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  try {
    return await child.verify({ publicKey: parent.publicKey, signatureOnly: true }, webcrypto);
  } catch {
    return false;
  }
}

function isCa(cert: x509.X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

/** Go's wording of a failed signature check, by the candidate issuer's key type. */
function signatureFailure(parent: x509.X509Certificate): string {
  return parent.publicKey.algorithm.name === 'ECDSA'
    ? 'x509: ECDSA verification failure'
    : 'crypto/rsa: verification error';
}

function displayName(cert: x509.X509Certificate): string {
  return cert.subjectName.getField('CN')[0] ?? cert.subject;
}

/**
 * Verifies `leaf` up to one of `roots`, using `intermediates` (what the server sent after its leaf)
 * on the way. Without roots nothing can verify.
 */
export async function verifyChain(
  leaf: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  roots: readonly x509.X509Certificate[],
  now: Date,
): Promise<ChainVerification> {
  const path: x509.X509Certificate[] = [leaf];
  let current = leaf;
  let hint: { error: string; candidate: string } | undefined;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const expired = validityError(current, now);
    if (expired) return { verified: false, error: expired, path: [] };
    if (roots.some((r) => sameCert(r, current))) return { verified: true, path: path.map((c) => c.subject) };
    let next: x509.X509Certificate | undefined;
    let trusted = false;
    for (const [candidates, isRoot] of [
      [roots, true],
      [intermediates, false],
    ] as const) {
      for (const cand of candidates) {
        if (sameCert(cand, current) || !sameName(cand.subjectName, current.issuerName)) continue;
        if (!isRoot && !isCa(cand)) continue;
        if (await signedBy(current, cand)) {
          next = cand;
          trusted = isRoot;
          break;
        }
        hint ??= { error: signatureFailure(cand), candidate: displayName(cand) };
      }
      if (next) break;
    }
    if (!next) {
      const base = 'x509: certificate signed by unknown authority';
      const error = hint
        ? `${base} (possibly because of ${JSON.stringify(hint.error)} while trying to verify candidate authority certificate ${JSON.stringify(hint.candidate)})`
        : base;
      return { verified: false, error, path: [] };
    }
    path.push(next);
    if (trusted) {
      const rootExpired = validityError(next, now);
      if (rootExpired) return { verified: false, error: rootExpired, path: [] };
      return { verified: true, path: path.map((c) => c.subject) };
    }
    current = next;
  }
  return { verified: false, error: 'x509: too many intermediates for path length constraint', path: [] };
}
