import { diag, type Diagnostic, type Result } from '../model/index.js';
import { verifyChain, validityError } from './chain.js';
import { splitCertificates } from './pem.js';
import { coveringSan, hostnameErrorMessage, LOOPBACK_SANS, parseIp, type SanSet } from './san.js';
import { describeKeyAlgorithm } from './signing-key.js';
import { x509 } from './x509-setup.js';

/** What the docker client will think of a server certificate, and how to fix it. */

export interface CheckOptions {
  /** The name or IP address the client connects to (the host part of DOCKER_HOST). */
  host: string;
  /** The CA the client trusts (ca.pem in DOCKER_CERT_PATH); without it the chain is not checked. */
  caPem?: string;
  /** Time of the check (default: the current time). */
  now?: Date;
  /** Warn when the certificate expires within this many days (default 30). */
  expiryWarningDays?: number;
}

export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  expiresSoon: boolean;
  /** `ECDSA P-256`, `RSA 2048`, … */
  keyAlgorithm: string;
  dnsNames: string[];
  ipAddresses: string[];
  /** No extendedKeyUsage, or one that includes serverAuth (or anyExtendedKeyUsage). */
  serverAuth: boolean;
  host: string;
  /** `host` is covered by a SAN (exact DNS name, one-label wildcard, or IP SAN; never the CN). */
  covered: boolean;
  /** The SAN that covers `host`. */
  matchedSan?: string;
  /** The docker client's error when not covered, e.g. `x509: certificate is valid for docker-vm, not localhost`. */
  hostError?: string;
  chain: {
    /** Certificates in the input, leaf included. */
    presented: number;
    /** null when no CA was given. */
    verified: boolean | null;
    error?: string;
    /** Subjects from the leaf to the CA, when verified. */
    path: string[];
  };
  /** How to re-issue a certificate that covers `host` and keeps the names it already has. */
  fix?: { sans: string[]; command: string };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const ANY_EKU = '2.5.29.37.0';

function parseAll(pems: string[]): x509.X509Certificate[] | string {
  const out: x509.X509Certificate[] = [];
  for (const [i, pem] of pems.entries()) {
    try {
      out.push(new x509.X509Certificate(pem));
    } catch (e) {
      return `certificate ${i + 1} cannot be read: ${(e as Error).message}`;
    }
  }
  return out;
}

function sansOf(cert: x509.X509Certificate): { sans: SanSet; hasExtension: boolean } {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans: SanSet = { dns: [], ip: [] };
  for (const n of ext?.names.items ?? []) {
    if (n.type === 'dns') sans.dns.push(n.value);
    if (n.type === 'ip') sans.ip.push(parseIp(n.value) ?? n.value);
  }
  return { sans, hasExtension: ext !== null };
}

function isLoopback(host: string): boolean {
  return host.toLowerCase() === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9_.:*-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Checks a server certificate chain (PEM, leaf first, as `fetchPeerCertificate` returns it or as
 * server-cert.pem holds it) for use at `host`. Problems are diagnostics; the report is absent only
 * when no certificate could be read.
 */
export async function checkCertificate(
  pemChain: string,
  opts: CheckOptions,
): Promise<Result<CertificateReport>> {
  const pems = splitCertificates(pemChain);
  if (pems.length === 0) {
    return { diagnostics: [diag('error', 'tls.no-certificate', 'no CERTIFICATE block found')] };
  }
  const certs = parseAll(pems);
  if (typeof certs === 'string') return { diagnostics: [diag('error', 'tls.bad-certificate', certs)] };
  const [leaf, ...intermediates] = certs as [x509.X509Certificate, ...x509.X509Certificate[]];
  const now = opts.now ?? new Date();
  const diagnostics: Diagnostic[] = [];

  const { sans, hasExtension } = sansOf(leaf);
  const matchedSan = coveringSan(opts.host, sans);
  const covered = matchedSan !== undefined;
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  const serverAuth = !eku || eku.usages.some((u) => u === x509.ExtendedKeyUsage.serverAuth || u === ANY_EKU);
  const daysLeft = Math.floor((leaf.notAfter.getTime() - now.getTime()) / DAY_MS);
  const expired = now > leaf.notAfter;
  const notYetValid = now < leaf.notBefore;
  const expiresSoon = !expired && daysLeft < (opts.expiryWarningDays ?? 30);

  const report: CertificateReport = {
    subject: leaf.subject,
    issuer: leaf.issuer,
    serialNumber: leaf.serialNumber,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    daysLeft,
    expired,
    notYetValid,
    expiresSoon,
    keyAlgorithm: describeKeyAlgorithm(leaf.publicKey.algorithm),
    dnsNames: sans.dns,
    ipAddresses: sans.ip,
    serverAuth,
    host: opts.host,
    covered,
    chain: { presented: certs.length, verified: null, path: [] },
  };
  if (matchedSan !== undefined) report.matchedSan = matchedSan;

  if (!covered) {
    const commonName = leaf.subjectName.getField('CN')[0];
    report.hostError = hostnameErrorMessage(opts.host, {
      sans,
      hasSanExtension: hasExtension,
      ...(commonName !== undefined ? { commonName } : {}),
    });
    // A loopback host usually means a port-forward: then all loopback names go in, whichever the client uses.
    const bare = parseIp(opts.host) ?? opts.host;
    const wanted = isLoopback(bare) ? [bare, ...LOOPBACK_SANS] : [bare];
    const fixSans = [...sans.dns, ...sans.ip];
    for (const w of wanted) if (!fixSans.some((s) => s.toLowerCase() === w.toLowerCase())) fixSans.push(w);
    const command = ['dockwall tls server', ...fixSans.map((s) => `--san ${quoteArg(s)}`)].join(' ');
    report.fix = { sans: fixSans, command };
    diagnostics.push(
      diag('error', 'tls.host-not-covered', report.hostError, undefined, {
        hint: `re-issue the server certificate with ${opts.host} among its names: ${command}`,
      }),
    );
  }
  if (!serverAuth) {
    diagnostics.push(
      diag(
        'error',
        'tls.no-server-auth',
        'x509: certificate specifies an incompatible key usage',
        undefined,
        {
          hint: 'the certificate is not for TLS servers (extendedKeyUsage lacks serverAuth); issue a server certificate',
        },
      ),
    );
  }
  const validity = validityError(leaf, now);
  if (validity) {
    diagnostics.push(
      diag('error', expired ? 'tls.expired' : 'tls.not-yet-valid', validity, undefined, {
        hint: expired
          ? 'issue a new server certificate'
          : 'the clocks of client and server differ (a VM clock often lags after the host slept); sync them',
      }),
    );
  } else if (expiresSoon) {
    diagnostics.push(
      diag('warning', 'tls.expires-soon', `the certificate expires in ${daysLeft} days (${report.notAfter})`),
    );
  }

  if (opts.caPem !== undefined) {
    const roots = parseAll(splitCertificates(opts.caPem));
    if (typeof roots === 'string' || roots.length === 0) {
      const why = typeof roots === 'string' ? roots : 'no CERTIFICATE block found';
      diagnostics.push(diag('error', 'tls.bad-ca', `the CA file cannot be used: ${why}`));
    } else {
      const v = await verifyChain(leaf, intermediates, roots, now);
      report.chain.verified = v.verified;
      report.chain.path = v.path;
      if (v.error !== undefined) report.chain.error = v.error;
      // An expired leaf is already reported above; report the chain only for other reasons.
      if (!v.verified && v.error !== validity) {
        diagnostics.push(
          diag(
            'error',
            'tls.chain-unverified',
            v.error ?? 'x509: certificate signed by unknown authority',
            undefined,
            {
              hint: 'the server certificate was not issued by this CA: issue it from the CA the clients trust (ca.pem in DOCKER_CERT_PATH)',
            },
          ),
        );
      }
    }
  }
  return { value: report, diagnostics };
}
