import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DockerConfigError } from './errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const DEFAULT_HTTP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

/** How to reach dockerd. Every field overrides its environment variable. */
export interface DockerConnectionOptions {
  /** Like `DOCKER_HOST`: `unix:///path`, `tcp://host:port`, `http://…`, `https://…`. */
  host?: string;
  /** Like `DOCKER_TLS_VERIFY`: use TLS (and verify the daemon's certificate, as every TLS connection does). */
  tlsVerify?: boolean;
  /** Like `DOCKER_TLS`: use TLS. Unlike the docker CLI's `--tls`, the daemon's certificate is still verified. */
  tls?: boolean;
  /**
   * Talk TLS without checking the daemon's certificate: anyone on the path could then answer in its
   * place and decide the container rules. Only on an explicit request (`--tls-insecure`).
   */
  tlsInsecure?: boolean;
  /** Like `DOCKER_CERT_PATH`: folder holding `ca.pem`, `cert.pem`, `key.pem` (default `~/.docker`). */
  certPath?: string;
  /** PEM material given directly; takes precedence over the files in `certPath`. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface TlsFiles {
  /** Whether the daemon's certificate is verified: always, unless `tlsInsecure` was asked for. */
  verify: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export type DockerEndpoint =
  | { kind: 'unix'; socketPath: string; url: string }
  | { kind: 'tcp'; host: string; port: number; basePath: string; tls?: TlsFiles; url: string };

export type Env = Record<string, string | undefined>;

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/**
 * Resolves where dockerd listens the way the docker CLI does: explicit options, then `DOCKER_HOST`,
 * `DOCKER_TLS_VERIFY`, `DOCKER_TLS`, `DOCKER_CERT_PATH`, then `unix:///var/run/docker.sock`.
 * One difference: a TLS connection always verifies the daemon's certificate (against `ca.pem` in
 * the cert path, or the system's CAs when there is none), unless `tlsInsecure` is given.
 * Reads no files; see {@link loadTlsMaterial}.
 */
export function resolveEndpoint(
  options: DockerConnectionOptions = {},
  env: Env = process.env,
): DockerEndpoint {
  const host = options.host || env['DOCKER_HOST'] || DEFAULT_DOCKER_HOST;
  const tlsVerify = options.tlsVerify ?? envFlag(env['DOCKER_TLS_VERIFY']);
  const tls = tlsVerify || (options.tls ?? envFlag(env['DOCKER_TLS']));
  const verify = options.tlsInsecure !== true;
  const certPath = options.certPath || env['DOCKER_CERT_PATH'] || join(homedir(), '.docker');

  const sep = host.indexOf('://');
  if (sep < 0)
    throw new DockerConfigError(`Docker host "${host}" has no scheme (expected unix:// or tcp://)`);
  const scheme = host.slice(0, sep).toLowerCase();
  const rest = host.slice(sep + 3);

  if (scheme === 'unix') {
    if (rest === '') throw new DockerConfigError(`Docker host "${host}" names no socket path`);
    return { kind: 'unix', socketPath: rest, url: `unix://${rest}` };
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') {
    throw new DockerConfigError(
      `Docker host scheme "${scheme}://" is not supported (use unix:// or tcp://; forward ssh with ssh -L)`,
    );
  }
  const useTls = scheme === 'https' || (scheme === 'tcp' && tls);
  let parsed: URL;
  try {
    parsed = new URL(`http://${rest}`);
  } catch {
    throw new DockerConfigError(`Docker host "${host}" is not a valid address`);
  }
  if (parsed.hostname === '') throw new DockerConfigError(`Docker host "${host}" names no host`);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : useTls ? DEFAULT_TLS_PORT : DEFAULT_HTTP_PORT;
  const basePath = parsed.pathname.replace(/\/+$/, '');
  const shownHost = hostname.includes(':') ? `[${hostname}]` : hostname;
  const endpoint: DockerEndpoint = {
    kind: 'tcp',
    host: hostname,
    port,
    basePath,
    url: `${useTls ? 'https' : 'tcp'}://${shownHost}:${port}${basePath}`,
  };
  if (useTls) {
    endpoint.tls = {
      verify,
      caFile: join(certPath, 'ca.pem'),
      certFile: join(certPath, 'cert.pem'),
      keyFile: join(certPath, 'key.pem'),
    };
  }
  return endpoint;
}

/** What node:https needs for a TLS endpoint. */
export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
}

function readPem(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new DockerConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads the CA, client certificate and key for a TLS endpoint (undefined for unix and plain tcp).
 * Missing files are left out (the system CAs then apply); a certificate without its key is an error.
 */
export function loadTlsMaterial(
  endpoint: DockerEndpoint,
  options: DockerConnectionOptions = {},
): TlsMaterial | undefined {
  if (endpoint.kind !== 'tcp' || !endpoint.tls) return undefined;
  const files = endpoint.tls;
  const material: TlsMaterial = { rejectUnauthorized: files.verify };
  const ca = options.ca ?? readPem(files.caFile);
  const cert = options.cert ?? readPem(files.certFile);
  const key = options.key ?? readPem(files.keyFile);
  if (ca !== undefined) material.ca = ca;
  if ((cert === undefined) !== (key === undefined)) {
    throw new DockerConfigError(
      `TLS client certificate and key must be given together (looked for ${files.certFile} and ${files.keyFile})`,
    );
  }
  if (cert !== undefined && key !== undefined) {
    material.cert = cert;
    material.key = key;
  }
  return material;
}
