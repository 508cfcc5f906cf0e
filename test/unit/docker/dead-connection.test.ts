import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DockerEngineClient,
  DockerProtocolError,
  DockerUnavailableError,
  EventFollower,
  JsonStreamParser,
  TCP_KEEPALIVE_MS,
} from '../../../src/docker/index.js';
import { FakeEngine, nextEmission } from './fake-engine.js';

/**
 * Issue 12 item 6 (Docker parts): the event stream must not hang forever on a connection whose
 * peer vanished without closing, and no answer from the daemon is read without bound.
 */
describe('a dead Docker connection is noticed and the follower reconnects', () => {
  let engine: FakeEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('a live event stream whose daemon stops answering /_ping is taken for dead, then reconnected', async () => {
    // The daemon goes silent: /_ping requests are accepted and never answered, like a peer that vanished.
    let silent = false;
    const hung: ServerResponse[] = [];
    engine = new FakeEngine({
      apiVersion: '1.44',
      routes: {
        '/_ping': (_req, res) => {
          if (silent) {
            hung.push(res);
            return;
          }
          res.writeHead(200, { 'API-Version': '1.44' }).end('OK');
        },
      },
    });
    await engine.listen(0);
    const client = new DockerEngineClient({ host: `tcp://127.0.0.1:${engine.port}`, timeoutMs: 300 }, {});
    const follower = new EventFollower(client, {
      minDelayMs: 20,
      maxDelayMs: 100,
      jitter: 0,
      livenessIntervalMs: 50,
      livenessTimeoutMs: 150,
    });
    const disconnected: Error[] = [];
    follower.on('disconnected', ({ error }) => disconnected.push(error));
    const running = follower.start();
    await nextEmission(follower, 'connected');
    // Pings answered: the idle stream stays up.
    await new Promise((r) => setTimeout(r, 300));
    expect(disconnected).toEqual([]);

    silent = true;
    await nextEmission(follower, 'disconnected', () => true, 3000);
    expect(disconnected[0]).toBeInstanceOf(DockerUnavailableError);
    expect(disconnected[0]!.message).toMatch(/did not answer a liveness ping .*taken for dead/);

    silent = false;
    await nextEmission<{ first: boolean }>(follower, 'connected', (c) => !c.first, 3000);
    follower.stop();
    await running;
    for (const res of hung) res.destroy();
  });

  it('turns on TCP keepalive for connections to a tcp:// daemon', async () => {
    engine = new FakeEngine({ apiVersion: '1.44' });
    await engine.listen(0);
    const spy = vi.spyOn(Socket.prototype, 'setKeepAlive');
    try {
      await new DockerEngineClient({ host: `tcp://127.0.0.1:${engine.port}` }, {}).ping();
      expect(spy).toHaveBeenCalledWith(true, TCP_KEEPALIVE_MS);
    } finally {
      spy.mockRestore();
    }
  });

  it('an HTTP error to /_ping is an answer: the stream stays up', async () => {
    engine = new FakeEngine({ apiVersion: '1.44' });
    await engine.listen(0);
    const client = new DockerEngineClient({ host: `tcp://127.0.0.1:${engine.port}`, timeoutMs: 300 }, {});
    const follower = new EventFollower(client, { livenessIntervalMs: 30, livenessTimeoutMs: 100 });
    const running = follower.start();
    await nextEmission(follower, 'connected');
    engine.routes['/_ping'] = { status: 500, text: 'busy' };
    let lost = false;
    follower.on('disconnected', () => (lost = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.requests.filter((r) => r.path === '/_ping').length).toBeGreaterThan(3);
    expect(lost).toBe(false);
    follower.stop();
    await running;
  });
});

describe('what is read from Docker is bounded', () => {
  let engine: FakeEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  const big = {
    json: [
      { Id: 'x'.repeat(4096) },
      ...Array.from({ length: 300 }, (_, i) => ({ Id: `n${i}`, Name: 'y'.repeat(100) })),
    ],
  };

  it('refuses a buffered answer over the limit, with Content-Length or chunked', async () => {
    engine = new FakeEngine({
      apiVersion: '1.44',
      routes: {
        '/networks': big,
        '/containers/json': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const chunk = '[' + '"0123456789",'.repeat(1000);
          const timer = setInterval(() => res.write(chunk), 1);
          res.on('close', () => clearInterval(timer));
        },
      },
    });
    await engine.listen(0);
    const client = new DockerEngineClient(
      { host: `tcp://127.0.0.1:${engine.port}`, maxResponseBytes: 20_000, timeoutMs: 5_000 },
      {},
    );
    await expect(client.listNetworks()).rejects.toThrow(DockerProtocolError);
    await expect(client.listNetworks()).rejects.toThrow(/answered more than 20000 bytes/);
    await expect(client.listContainers()).rejects.toThrow(/answered more than 20000 bytes/);
    // Within the limit the same answer is read.
    const roomy = new DockerEngineClient(
      { host: `tcp://127.0.0.1:${engine.port}`, maxResponseBytes: 100_000 },
      {},
    );
    expect(await roomy.listNetworks()).toHaveLength(301);
  });

  it('refuses an event-stream value that never ends', () => {
    const parser = new JsonStreamParser(1000);
    expect(parser.push('{"Type":"container"}{"a":"')).toHaveLength(1);
    expect(() => parser.push('x'.repeat(2000))).toThrow(/longer than 1000 characters/);
  });
});
