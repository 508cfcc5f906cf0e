import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { errorWords } from '../model/index.js';
import type { DockerEndpoint, TlsMaterial } from './connection.js';
import {
  abortReason,
  DockerApiError,
  DockerTimeoutError,
  DockerUnavailableError,
  DockerProtocolError,
} from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * The most a buffered answer may hold (256 MiB): far above any inventory (a 10,000-container
 * listing is some 30 MB), so only a broken or hostile peer reaches it.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * TCP keepalive on connections to a tcp:// daemon: after this much silence the kernel probes the
 * peer, so a connection whose peer vanished is not kept forever (and middleboxes keep it open).
 */
export const TCP_KEEPALIVE_MS = 10_000;

export interface RequestOptions {
  query?: Query;
  /** Whole-request limit for buffered requests; time to response headers for streams. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BufferedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

export function buildPath(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The daemon's error message: `{"message": "..."}` or the body text. */
export function apiErrorMessage(status: number, body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message;
  } catch {
    // not JSON: fall through to the text
  }
  return text || `HTTP ${status}`;
}

/**
 * One HTTP exchange with dockerd over a unix socket, plain tcp or TLS. No connection reuse. A buffered
 * answer larger than `maxResponseBytes` is cut off with a {@link DockerProtocolError}.
 */
export class DockerTransport {
  readonly endpoint: DockerEndpoint;
  private readonly tls: TlsMaterial | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(
    endpoint: DockerEndpoint,
    tls: TlsMaterial | undefined,
    defaultTimeoutMs: number,
    maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES,
  ) {
    this.endpoint = endpoint;
    this.tls = tls;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** Sends a request and buffers the whole answer. HTTP errors are returned, not thrown. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<BufferedResponse> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return this.exchange(method, path, options, timeoutMs, 'buffer') as Promise<BufferedResponse>;
  }

  /**
   * Sends a request and resolves once the response headers arrive, with the body unread.
   * A non-2xx answer is read and thrown as {@link DockerApiError}.
   */
  async openStream(method: string, path: string, options: RequestOptions = {}): Promise<StreamResponse> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const response = (await this.exchange(method, path, options, timeoutMs, 'stream')) as StreamResponse;
    return response;
  }

  private exchange(
    method: string,
    path: string,
    options: RequestOptions,
    timeoutMs: number,
    mode: 'buffer' | 'stream',
  ): Promise<BufferedResponse | StreamResponse> {
    const endpoint = this.endpoint;
    const fullPath = buildPath((endpoint.kind === 'tcp' ? endpoint.basePath : '') + path, options.query);
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (fn: () => void): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (!settled) {
          settled = true;
          fn();
        }
      };
      // Over a unix socket there is no host name; over tcp the default Host (host:port) is kept,
      // since TLS checks the certificate against it.
      const headers: Record<string, string> =
        endpoint.kind === 'unix'
          ? { Host: 'docker', Accept: 'application/json' }
          : { Accept: 'application/json' };
      const common = { method, path: fullPath, headers, agent: false as const };
      const req =
        endpoint.kind === 'unix'
          ? http.request({ ...common, socketPath: endpoint.socketPath })
          : endpoint.tls
            ? https.request({ ...common, host: endpoint.host, port: endpoint.port, ...this.tls })
            : http.request({ ...common, host: endpoint.host, port: endpoint.port });

      const onAbort = (): void => {
        const reason = signal ? abortReason(signal) : new Error('aborted');
        req.destroy();
        finish(() => reject(reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          req.destroy();
          finish(() => reject(new DockerTimeoutError(endpoint.url, path, timeoutMs)));
        }, timeoutMs);
      }

      if (endpoint.kind === 'tcp') req.on('socket', (socket) => socket.setKeepAlive(true, TCP_KEEPALIVE_MS));

      req.on('error', (error) => {
        const code = systemCode(error);
        finish(() =>
          reject(
            new DockerUnavailableError(
              endpoint.url,
              `cannot talk to the Docker daemon at ${endpoint.url}: ${errorWords(error)}`,
              code,
              { cause: error },
            ),
          ),
        );
      });

      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (mode === 'stream' && status >= 200 && status < 300) {
          finish(() => resolve({ status, headers: res.headers, body: res }));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const tooLarge = (): void => {
          req.destroy();
          finish(() =>
            reject(
              new DockerProtocolError(
                `${method} ${path}: the Docker daemon at ${endpoint.url} answered more than ` +
                  `${this.maxResponseBytes} bytes; refusing to read further`,
              ),
            ),
          );
        };
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
          tooLarge();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) tooLarge();
          else chunks.push(chunk);
        });
        res.on('error', (error) => {
          finish(() =>
            reject(
              new DockerUnavailableError(
                endpoint.url,
                `connection to the Docker daemon at ${endpoint.url} broke: ${errorWords(error)}`,
                systemCode(error),
                { cause: error },
              ),
            ),
          );
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (mode === 'stream') {
            finish(() => reject(new DockerApiError(status, method, path, apiErrorMessage(status, body))));
          } else {
            finish(() => resolve({ status, headers: res.headers, body }));
          }
        });
      });
      req.end();
    });
  }
}

/** Parses a buffered answer as JSON, throwing {@link DockerApiError} for HTTP errors. */
export function jsonBody(method: string, path: string, response: BufferedResponse): unknown {
  const { status, body } = response;
  if (status < 200 || status >= 300) {
    throw new DockerApiError(status, method, path, apiErrorMessage(status, body));
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DockerProtocolError(`${method} ${path} answered invalid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
