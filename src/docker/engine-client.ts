import type { DockerFirewallBackend } from '../model/index.js';
import type {
  ApiContainerInspect,
  ApiContainerSummary,
  ApiInfo,
  ApiNetwork,
  ApiVersion,
} from './api-types.js';
import {
  loadTlsMaterial,
  resolveEndpoint,
  type DockerConnectionOptions,
  type DockerEndpoint,
  type Env,
} from './connection.js';
import { abortReason, DockerApiError, DockerProtocolError } from './errors.js';
import {
  apiErrorMessage,
  DockerTransport,
  jsonBody,
  type Query,
  type StreamResponse,
} from './http-transport.js';
import { mapFirewallBackend } from './inventory-map.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface DockerClientOptions extends DockerConnectionOptions {
  /** Use this API version instead of negotiating (like `DOCKER_API_VERSION`). */
  apiVersion?: string;
  /** Never use an API version above this one, even if the daemon offers it. */
  maxApiVersion?: string;
  /** Default limit for each request, in milliseconds (10 s). */
  timeoutMs?: number;
  /** The most a buffered answer may hold, in bytes (DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface PingResult {
  /** The daemon's API version (`API-Version` header). */
  apiVersion?: string;
  osType?: string;
  experimental?: boolean;
  builderVersion?: string;
}

export interface InfoResult {
  serverVersion?: string;
  /** The firewall backend (API 1.49+); undefined on older daemons or unknown drivers. */
  firewallBackend?: DockerFirewallBackend;
  /** The backend driver name exactly as the daemon reported it. */
  firewallDriver?: string;
  raw: ApiInfo;
}

/** Compares dotted versions numerically: `1.9` < `1.41`. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function header(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

/** Resolves like `promise`, or rejects as soon as `signal` aborts (the promise keeps running). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function expectArray<T>(path: string, value: unknown): T[] {
  if (!Array.isArray(value)) throw new DockerProtocolError(`GET ${path} did not answer a JSON array`);
  return value as T[];
}

function expectObject<T>(path: string, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DockerProtocolError(`GET ${path} did not answer a JSON object`);
  }
  return value as T;
}

/**
 * A Docker Engine API client over node:http/https. The API version is negotiated once (lazily)
 * from `/_ping` (or `/version`) and used as the `/vX.Y` path prefix; if the daemon reports none,
 * paths stay unversioned.
 */
export class DockerEngineClient {
  readonly endpoint: DockerEndpoint;
  private readonly transport: DockerTransport;
  private readonly pinnedVersion: string | undefined;
  private readonly maxApiVersion: string | undefined;
  private negotiation: Promise<string | undefined> | undefined;

  constructor(options: DockerClientOptions = {}, env: Env = process.env) {
    this.endpoint = resolveEndpoint(options, env);
    this.transport = new DockerTransport(
      this.endpoint,
      loadTlsMaterial(this.endpoint, options),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      options.maxResponseBytes,
    );
    this.pinnedVersion = options.apiVersion || env['DOCKER_API_VERSION'] || undefined;
    this.maxApiVersion = options.maxApiVersion;
  }

  /** `GET /_ping` (unversioned). */
  async ping(options: CallOptions = {}): Promise<PingResult> {
    const response = await this.transport.request('GET', '/_ping', options);
    if (response.status < 200 || response.status >= 300) {
      throw new DockerApiError(
        response.status,
        'GET',
        '/_ping',
        apiErrorMessage(response.status, response.body),
      );
    }
    const result: PingResult = {};
    const apiVersion = header(response.headers['api-version']);
    const osType = header(response.headers['ostype']);
    const experimental = header(response.headers['docker-experimental']);
    const builderVersion = header(response.headers['builder-version']);
    if (apiVersion) result.apiVersion = apiVersion;
    if (osType) result.osType = osType;
    if (experimental) result.experimental = experimental === 'true';
    if (builderVersion) result.builderVersion = builderVersion;
    return result;
  }

  /** The API version used as path prefix (undefined: unversioned paths). Negotiates on first use. */
  apiVersion(options: CallOptions = {}): Promise<string | undefined> {
    if (this.pinnedVersion) return Promise.resolve(this.pinnedVersion);
    if (!this.negotiation) {
      const attempt = this.discoverVersion(options.timeoutMs);
      this.negotiation = attempt;
      // A failed negotiation is forgotten so the next call (e.g. after dockerd restarts) tries again.
      attempt.catch(() => {
        if (this.negotiation === attempt) this.negotiation = undefined;
      });
    }
    return raceAbort(this.negotiation, options.signal);
  }

  /** Forgets the negotiated version (a restarted daemon may be a different version). */
  resetNegotiation(): void {
    this.negotiation = undefined;
  }

  private async discoverVersion(timeoutMs: number | undefined): Promise<string | undefined> {
    let server: string | undefined;
    try {
      server = (await this.ping({ timeoutMs })).apiVersion;
    } catch (error) {
      if (!(error instanceof DockerApiError)) throw error;
    }
    if (!server) {
      try {
        const response = await this.transport.request('GET', '/version', { timeoutMs });
        const version = jsonBody('GET', '/version', response) as ApiVersion | undefined;
        server =
          typeof version?.ApiVersion === 'string' && version.ApiVersion ? version.ApiVersion : undefined;
      } catch (error) {
        if (!(error instanceof DockerApiError || error instanceof DockerProtocolError)) throw error;
      }
    }
    if (server && this.maxApiVersion && compareApiVersions(server, this.maxApiVersion) > 0) {
      return this.maxApiVersion;
    }
    return server;
  }

  private async versioned(path: string, options: CallOptions): Promise<string> {
    const version = await this.apiVersion(options);
    return version ? `/v${version}${path}` : path;
  }

  /** GET a JSON document from a (versioned) API path. */
  async getJson(path: string, query?: Query, options: CallOptions = {}): Promise<unknown> {
    const full = await this.versioned(path, options);
    const response = await this.transport.request('GET', full, { ...options, query });
    return jsonBody('GET', full, response);
  }

  /** Opens a streaming GET on a (versioned) API path; resolves when the response headers arrive. */
  async openStream(path: string, query?: Query, options: CallOptions = {}): Promise<StreamResponse> {
    const full = await this.versioned(path, options);
    return this.transport.openStream('GET', full, { ...options, query });
  }

  /** `GET /version`. */
  async version(options: CallOptions = {}): Promise<ApiVersion> {
    return expectObject<ApiVersion>('/version', await this.getJson('/version', undefined, options));
  }

  /** `GET /info`, with the firewall backend mapped when the daemon reports it. */
  async info(options: CallOptions = {}): Promise<InfoResult> {
    const raw = expectObject<ApiInfo>('/info', await this.getJson('/info', undefined, options));
    const result: InfoResult = { raw };
    if (typeof raw.ServerVersion === 'string' && raw.ServerVersion) result.serverVersion = raw.ServerVersion;
    const fw = raw.FirewallBackend;
    const driver = typeof fw === 'string' ? fw : typeof fw?.Driver === 'string' ? fw.Driver : undefined;
    if (driver) result.firewallDriver = driver;
    const backend = mapFirewallBackend(fw);
    if (backend) result.firewallBackend = backend;
    return result;
  }

  /** `GET /networks`. */
  async listNetworks(options: CallOptions = {}): Promise<ApiNetwork[]> {
    return expectArray<ApiNetwork>('/networks', await this.getJson('/networks', undefined, options));
  }

  /** `GET /containers/json` (`all`: stopped containers too). */
  async listContainers(options: CallOptions & { all?: boolean } = {}): Promise<ApiContainerSummary[]> {
    const query = options.all ? { all: '1' } : undefined;
    return expectArray<ApiContainerSummary>(
      '/containers/json',
      await this.getJson('/containers/json', query, options),
    );
  }

  /** `GET /containers/{id}/json`. */
  async inspectContainer(id: string, options: CallOptions = {}): Promise<ApiContainerInspect> {
    const path = `/containers/${encodeURIComponent(id)}/json`;
    return expectObject<ApiContainerInspect>(path, await this.getJson(path, undefined, options));
  }
}
