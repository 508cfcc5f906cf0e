import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the fake daemon answers for a path (without the `/vX.Y` prefix). */
export type Reply =
  | { status?: number; json: unknown }
  | { status: number; text: string }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface FakeEngineOptions {
  /** `API-Version` header of `/_ping`; null sends none. */
  apiVersion?: string | null;
  routes?: Record<string, Reply>;
  tls?: { key: Buffer; cert: Buffer; ca: Buffer; requestClientCert: boolean };
}

export interface SeenRequest {
  method: string;
  url: string;
  /** The `/vX.Y` prefix used, if any. */
  version?: string;
  path: string;
  query: URLSearchParams;
}

/** A stand-in for dockerd's Engine API, on a unix socket or tcp (optionally TLS). */
export class FakeEngine {
  readonly requests: SeenRequest[] = [];
  readonly eventClients = new Set<ServerResponse>();
  readonly routes: Record<string, Reply>;
  apiVersion: string | null;
  /** Called with each new `/events` response once its headers are flushed. */
  onEventsClient: ((res: ServerResponse) => void) | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly options: FakeEngineOptions;
  private listenTarget: string | number | undefined;

  constructor(options: FakeEngineOptions = {}) {
    this.options = options;
    this.apiVersion = options.apiVersion === undefined ? '1.47' : options.apiVersion;
    this.routes = { ...options.routes };
  }

  /** Listens on a unix socket (path) or on 127.0.0.1 (port 0 = any free port). */
  async listen(target: string | number): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const tls = this.options.tls;
    const server = tls
      ? https.createServer(
          {
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca,
            requestCert: tls.requestClientCert,
            rejectUnauthorized: tls.requestClientCert,
          },
          handler,
        )
      : http.createServer(handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof target === 'string') server.listen(target, () => resolve());
      else server.listen(target, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.listenTarget = typeof target === 'string' ? target : (server.address() as AddressInfo).port;
  }

  get port(): number {
    if (typeof this.listenTarget !== 'number') throw new Error('not listening on tcp');
    return this.listenTarget;
  }

  /** Stops listening and drops every connection (like dockerd going away). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const res of this.eventClients) res.destroy();
    this.eventClients.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Writes raw bytes or text to every open `/events` stream. */
  writeEvents(text: string | Uint8Array): void {
    for (const res of this.eventClients) res.write(text);
  }

  /** Ends every open `/events` stream cleanly. */
  endEvents(): void {
    for (const res of this.eventClients) res.end();
    this.eventClients.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    const match = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = match ? (match[2] ?? '/') : url.pathname;
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '',
      path,
      query: url.searchParams,
    };
    if (match?.[1]) seen.version = match[1];
    this.requests.push(seen);

    if (path === '/_ping' && !(path in this.routes)) {
      const headers: Record<string, string> = { 'Content-Type': 'text/plain', OSType: 'linux' };
      if (this.apiVersion) headers['API-Version'] = this.apiVersion;
      res.writeHead(200, headers).end('OK');
      return;
    }
    if (path === '/events' && !(path in this.routes)) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      this.eventClients.add(res);
      res.on('close', () => this.eventClients.delete(res));
      this.onEventsClient?.(res);
      return;
    }
    const reply = this.routes[path];
    if (reply === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `page not found: ${path}` }));
      return;
    }
    if (typeof reply === 'function') {
      reply(req, res);
      return;
    }
    if ('json' in reply) {
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply.json));
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'text/plain' }).end(reply.text);
  }
}

/** A temp folder for sockets and certificates; `cleanup()` removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-docker-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves when `emitter` emits `name` for which `accept` holds; rejects after `timeoutMs`. */
export function nextEmission<T>(
  emitter: {
    on(name: string, fn: (arg: T) => void): unknown;
    off(name: string, fn: (arg: T) => void): unknown;
  },
  name: string,
  accept: (arg: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      reject(new Error(`no "${name}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (arg: T): void => {
      if (!accept(arg)) return;
      clearTimeout(timer);
      emitter.off(name, listener);
      resolve(arg);
    };
    emitter.on(name, listener);
  });
}
