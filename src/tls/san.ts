import ipaddr from 'ipaddr.js';
import { diag, type Diagnostic, type Result } from '../model/index.js';

/**
 * Subject alternative names, and host matching as the docker client does it (Go's crypto/x509
 * `VerifyHostname`): DNS names are compared case-insensitively, a `*` is allowed only as the whole
 * leftmost label and covers exactly one label, IP addresses match only IP SANs, and the subject's
 * common name is never used.
 */

/** Added to every server certificate unless the caller opts out: the names a port-forward reaches. */
export const LOOPBACK_SANS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** SANs split by kind: DNS names (as written) and IP addresses (canonical text). */
export interface SanSet {
  dns: string[];
  ip: string[];
}

/**
 * Canonical text of an IP address: dotted quad for IPv4 (also for IPv4-mapped IPv6, as Go compares
 * them equal), RFC 5952 for IPv6. `[…]` brackets are accepted. Anything else gives `undefined`.
 */
export function parseIp(text: string): string | undefined {
  let t = text.trim();
  if (t.length >= 3 && t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t).toString();
  if (!t.includes(':') || t.includes('%') || !ipaddr.IPv6.isValid(t)) return undefined;
  const v6 = ipaddr.IPv6.parse(t);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}

/** Go's `validHostname`: letters, digits, `-` (not first), `_`; a pattern may start with `*.`. */
function validHostname(host: string, isPattern: boolean): boolean {
  const h = isPattern ? host : host.replace(/\.$/, '');
  if (h.length === 0 || h === '*') return false;
  return h.split('.').every((part, i) => {
    if (part === '') return false;
    if (isPattern && i === 0 && part === '*') return true;
    return /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(part);
  });
}

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function matchExactly(a: string, b: string): boolean {
  if (a === '' || a === '.' || b === '' || b === '.') return false;
  return lower(a) === lower(b);
}

/** Go's `matchHostnames`: same number of labels; a leading `*` label matches any one label. */
export function matchHostnames(pattern: string, host: string): boolean {
  const p = lower(pattern);
  const h = lower(host.replace(/\.$/, ''));
  if (p === '' || h === '') return false;
  const pp = p.split('.');
  const hp = h.split('.');
  if (pp.length !== hp.length) return false;
  return pp.every((part, i) => (i === 0 && part === '*') || part === hp[i]);
}

/**
 * The SAN that covers `host`, or `undefined` when none does. `host` is what the client connects to
 * (`localhost`, `192.168.99.100`, `[::1]`); DNS SANs never cover an IP address and vice versa.
 */
export function coveringSan(host: string, sans: SanSet): string | undefined {
  const ip = parseIp(host);
  if (ip !== undefined) return sans.ip.find((s) => parseIp(s) === ip);
  const validInput = validHostname(lower(host), false);
  return sans.dns.find((pattern) =>
    validInput && validHostname(pattern, true) ? matchHostnames(pattern, host) : matchExactly(pattern, host),
  );
}

/** The certificate facts Go's hostname error message depends on. */
export interface HostnameFacts {
  sans: SanSet;
  hasSanExtension: boolean;
  commonName?: string;
}

/**
 * The message the docker client prints when `host` is not covered (Go's `HostnameError`), e.g.
 * `x509: certificate is valid for docker-vm, not localhost`. For a DNS host only DNS SANs are listed,
 * for an IP host only IP SANs, exactly as Go does.
 */
export function hostnameErrorMessage(host: string, facts: HostnameFacts): string {
  const bare = host.length >= 3 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const isIp = parseIp(bare) !== undefined;
  const shown = isIp ? bare : host;
  if (!facts.hasSanExtension && facts.commonName !== undefined && matchHostnames(facts.commonName, shown)) {
    return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  }
  let valid: string;
  if (isIp) {
    if (facts.sans.ip.length === 0) {
      return `x509: cannot validate certificate for ${shown} because it doesn't contain any IP SANs`;
    }
    valid = facts.sans.ip.join(', ');
  } else {
    valid = facts.sans.dns.join(', ');
  }
  if (valid === '') return `x509: certificate is not valid for any names, but wanted to match ${shown}`;
  return `x509: certificate is valid for ${valid}, not ${shown}`;
}

export interface ClassifySansOptions {
  /** Add `localhost`, `127.0.0.1` and `::1` (default true). */
  includeLoopback?: boolean;
}

/**
 * Sorts names into DNS and IP SANs (each entry may hold several, separated by commas or blanks),
 * drops duplicates, and adds the loopback names. Invalid names are error diagnostics.
 */
export function classifySans(names: readonly string[], opts: ClassifySansOptions = {}): Result<SanSet> {
  const diagnostics: Diagnostic[] = [];
  const out: SanSet = { dns: [], ip: [] };
  const words = names.flatMap((n) => n.split(/[\s,]+/)).filter((w) => w !== '');
  const all = opts.includeLoopback === false ? words : [...words, ...LOOPBACK_SANS];
  for (const word of all) {
    const ip = parseIp(word);
    if (ip !== undefined) {
      if (!out.ip.includes(ip)) out.ip.push(ip);
      continue;
    }
    const tooLong = word.length > 253 || word.split('.').some((l) => l.length > 63);
    if (!validHostname(word, true) || tooLong) {
      diagnostics.push(
        diag(
          'error',
          'tls.invalid-san',
          `'${word}' is neither an IP address nor a valid DNS name`,
          undefined,
          {
            hint: 'DNS names use letters, digits, "-" and "."; a wildcard is only allowed as the first label ("*.example.com")',
          },
        ),
      );
      continue;
    }
    if (!out.dns.some((d) => lower(d) === lower(word))) out.dns.push(word);
  }
  if (out.dns.length === 0 && out.ip.length === 0 && diagnostics.length === 0) {
    diagnostics.push(
      diag('error', 'tls.no-sans', 'a server certificate needs at least one DNS name or IP address'),
    );
  }
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { value: out, diagnostics };
}
