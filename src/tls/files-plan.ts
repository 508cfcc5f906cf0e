import { posix as path } from 'node:path';
import { diag, type Result } from '../model/index.js';
import { parseIp } from './san.js';
import type { PemPair } from './types.js';

/**
 * Where the certificates go: the file names dockerd's `--tlscacert/--tlscert/--tlskey` are usually
 * given and the ones the docker CLI reads from DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
 */
export const TLS_FILE_NAMES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server-cert.pem',
  serverKey: 'server-key.pem',
  clientCert: 'cert.pem',
  clientKey: 'key.pem',
} as const;

/** Port the Docker daemon uses for TLS by convention. */
export const DOCKER_TLS_PORT = 2376;

export interface TlsMaterial {
  /** The CA; without `keyPem` only ca.pem is written (a client directory needs no CA key). */
  ca?: { certPem: string; keyPem?: string };
  server?: PemPair;
  client?: PemPair;
}

export interface PlannedFile {
  path: string;
  contents: string;
  /** Permission bits: 0o600 for private keys, 0o644 for certificates. */
  mode: number;
}

/** The files to write into `dir` for the given material, certificates before their keys. */
export function tlsFilesPlan(dir: string, material: TlsMaterial): PlannedFile[] {
  const files: PlannedFile[] = [];
  const add = (name: string, contents: string | undefined, mode: number): void => {
    if (contents !== undefined) files.push({ path: path.join(dir, name), contents, mode });
  };
  add(TLS_FILE_NAMES.caCert, material.ca?.certPem, 0o644);
  add(TLS_FILE_NAMES.caKey, material.ca?.keyPem, 0o600);
  add(TLS_FILE_NAMES.serverCert, material.server?.certPem, 0o644);
  add(TLS_FILE_NAMES.serverKey, material.server?.keyPem, 0o600);
  add(TLS_FILE_NAMES.clientCert, material.client?.certPem, 0o644);
  add(TLS_FILE_NAMES.clientKey, material.client?.keyPem, 0o600);
  return files;
}

/** dockerd arguments for a TLS listener that requires client certificates from `dir`'s CA. */
export function dockerdTlsArgs(dir: string, listen = `0.0.0.0:${DOCKER_TLS_PORT}`): string[] {
  return [
    '--tlsverify',
    `--tlscacert=${path.join(dir, TLS_FILE_NAMES.caCert)}`,
    `--tlscert=${path.join(dir, TLS_FILE_NAMES.serverCert)}`,
    `--tlskey=${path.join(dir, TLS_FILE_NAMES.serverKey)}`,
    '-H',
    `tcp://${listen}`,
  ];
}

/** Environment for the docker CLI to reach the daemon at `host:port` with the client cert in `dir`. */
export function dockerClientEnv(
  dir: string,
  host = 'localhost',
  port = DOCKER_TLS_PORT,
): Record<string, string> {
  const h = parseIp(host)?.includes(':') ? `[${parseIp(host)}]` : host;
  return { DOCKER_HOST: `tcp://${h}:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir };
}

/**
 * Host and port from a DOCKER_HOST value (`tcp://localhost:2376`, `localhost:2376`, `[::1]`,
 * `192.168.99.100`); the port defaults to 2376. unix://, ssh:// and npipe:// have no certificate.
 */
export function parseDockerHost(value: string): Result<{ host: string; port: number }> {
  const v = value.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'tcp' && scheme !== 'https') {
    return {
      diagnostics: [
        diag(
          'error',
          'tls.not-tcp',
          `${value} is not a TCP address; only tcp:// daemons use TLS certificates`,
        ),
      ],
    };
  }
  let url: URL;
  try {
    url = new URL(scheme ? v.replace(/^[^:]+/, 'tcp') : `tcp://${v}`);
  } catch {
    return { diagnostics: [diag('error', 'tls.bad-docker-host', `cannot read '${value}' as host[:port]`)] };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? DOCKER_TLS_PORT : Number(url.port);
  if (host === '') return { diagnostics: [diag('error', 'tls.bad-docker-host', `'${value}' names no host`)] };
  return { value: { host, port }, diagnostics: [] };
}
