/**
 * PEM text and the few DER structures needed to read private keys in the formats Docker tooling
 * writes: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, docker-machine and `openssl genrsa`) and
 * SEC1 (`EC PRIVATE KEY`). Pure: no WebCrypto here.
 */

export interface PemBlock {
  label: string;
  /** Header lines such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL encryption). */
  headers: string[];
  der: Uint8Array;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Text between blocks is ignored. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    const lines = (m[2] ?? '').split(/\r?\n/).map((l) => l.trim());
    const headers = lines.filter((l) => l.includes(':'));
    const body = lines.filter((l) => l !== '' && !l.includes(':')).join('');
    blocks.push({ label: m[1] ?? '', headers, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/** PEM with 64-character lines and a final newline. */
export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The `CERTIFICATE` blocks of a PEM bundle, each re-encoded on its own. */
export function splitCertificates(text: string): string[] {
  return decodePemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => encodePem('CERTIFICATE', b.der));
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array([tag, ...derLength(len), ...new Uint8Array(len)]);
  let at = out.length - len;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const VERSION_0 = new Uint8Array([0x02, 0x01, 0x00]);
/** AlgorithmIdentifier { rsaEncryption, NULL } */
const RSA_ALG_ID = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);
const EC_PUBLIC_KEY_OID = new Uint8Array([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
const CURVE_OIDS: Record<string, Uint8Array> = {
  'P-256': new Uint8Array([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
  'P-384': new Uint8Array([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]),
  'P-521': new Uint8Array([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]),
};

/** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return tlv(0x30, VERSION_0, RSA_ALG_ID, tlv(0x04, pkcs1));
}

/** PKCS#8 PrivateKeyInfo around a SEC1 ECPrivateKey on the named curve; undefined for other curves. */
export function sec1ToPkcs8(sec1: Uint8Array, namedCurve: string): Uint8Array | undefined {
  const curve = CURVE_OIDS[namedCurve];
  if (!curve) return undefined;
  return tlv(0x30, VERSION_0, tlv(0x30, EC_PUBLIC_KEY_OID, curve), tlv(0x04, sec1));
}
