import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DockerEngineClient,
  DockerUnavailableError,
  EventFollower,
  followEvents,
  type DockerEvent,
  type FollowerEventMap,
} from '../../../src/docker/index.js';
import { FakeEngine, nextEmission, tempDir } from './fake-engine.js';

const start = { Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { name: 'web' } } };
const connect = { Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { container: 'c1' } } };

type Log = { name: keyof FollowerEventMap; arg: unknown }[];

function record(follower: EventFollower): Log {
  const log: Log = [];
  for (const name of ['connected', 'event', 'disconnected', 'retry', 'stopped'] as const) {
    follower.on(name, (arg?: unknown) => log.push({ name, arg }));
  }
  return log;
}

describe('backoffDelay', () => {
  it('grows by the factor up to the maximum', () => {
    const opts = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('takes off at most the jitter fraction', () => {
    const opts = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(3, opts, () => 0)).toBe(400);
    expect(backoffDelay(3, opts, () => 0.999999)).toBe(200);
    expect(backoffDelay(9, opts, () => 0.5)).toBe(750);
  });
});

describe('EventFollower', () => {
  let dir: string;
  let cleanup: () => void;
  let socket: string;
  let engine: FakeEngine;
  let client: DockerEngineClient;
  const fast = { minDelayMs: 20, maxDelayMs: 160, factor: 2, jitter: 0 };

  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  afterEach(async () => engine.close());

  async function up(): Promise<void> {
    socket = join(dir, `f-${Math.random().toString(36).slice(2)}.sock`);
    engine = new FakeEngine({ apiVersion: '1.44' });
    await engine.listen(socket);
    client = new DockerEngineClient({ host: `unix://${socket}` }, {});
  }

  it('relays events, and after the daemon closes the stream reconnects with connected {first:false}', async () => {
    await up();
    const controller = new AbortController();
    const follower = followEvents(client, { ...fast, signal: controller.signal });
    const log = record(follower);

    await nextEmission(follower, 'connected');
    engine.writeEvents(JSON.stringify(start) + '\n' + JSON.stringify(connect) + '\n');
    await nextEmission<DockerEvent>(follower, 'event', (e) => e.action === 'connect');
    engine.endEvents();
    await nextEmission<{ first: boolean }>(follower, 'connected', (c) => !c.first);
    controller.abort();
    await follower.start();

    expect(log.map((l) => l.name)).toEqual([
      'connected',
      'event',
      'event',
      'disconnected',
      'retry',
      'connected',
      'stopped',
    ]);
    expect(log[0]!.arg).toEqual({ first: true });
    expect((log[1]!.arg as DockerEvent).attributes).toEqual({ name: 'web' });
    expect((log[3]!.arg as { error: Error }).error).toBeInstanceOf(DockerUnavailableError);
    expect(log[4]!.arg).toMatchObject({ attempt: 1, delayMs: 20 });
    expect(log[5]!.arg).toEqual({ first: false });
    expect(engine.requests.filter((r) => r.path === '/events')).toHaveLength(2);
  });

  it('retries with growing delays while the daemon is down, then recovers', async () => {
    await up();
    const follower = new EventFollower(client, fast);
    const log = record(follower);
    const done = follower.start();
    await nextEmission(follower, 'connected');

    await engine.close(); // dockerd stops: the stream breaks, the socket goes away
    await nextEmission<{ attempt: number }>(follower, 'retry', (r) => r.attempt >= 5);
    engine = new FakeEngine({ apiVersion: '1.45' });
    await engine.listen(socket); // dockerd is back (a newer version)
    await nextEmission<{ first: boolean }>(follower, 'connected', (c) => !c.first);
    follower.stop();
    await done;

    const names = log.map((l) => l.name);
    expect(names[0]).toBe('connected');
    expect(names[1]).toBe('disconnected');
    expect(names.slice(-2)).toEqual(['connected', 'stopped']);
    const retries = log.filter((l) => l.name === 'retry').map((l) => l.arg as FollowerEventMap['retry'][0]);
    expect(retries.length).toBeGreaterThanOrEqual(5);
    expect(retries.slice(0, 5).map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 20],
      [2, 40],
      [3, 80],
      [4, 160],
      [5, 160],
    ]);
    // Attempts after the first one failed to connect at all.
    expect(retries[1]!.error).toMatchObject({ name: 'DockerUnavailableError', code: 'ENOENT' });
    // The version was negotiated again with the restarted daemon.
    expect(engine.requests.map((r) => r.url)[0]).toBe('/_ping');
    expect(engine.requests.find((r) => r.path === '/events')!.version).toBe('1.45');
  });

  it('keeps retrying from the start when dockerd is not there yet', async () => {
    await up();
    await engine.close();
    const follower = new EventFollower(client, fast);
    const log = record(follower);
    const done = follower.start();
    await nextEmission<{ attempt: number }>(follower, 'retry', (r) => r.attempt >= 2);
    await engine.listen(socket);
    const connected = await nextEmission<{ first: boolean }>(follower, 'connected');
    follower.stop();
    await done;
    expect(connected).toEqual({ first: true });
    expect(log.some((l) => l.name === 'disconnected')).toBe(false);
  });

  it('stops while waiting to retry, and while connected, without rejecting', async () => {
    await up();
    await engine.close();
    const controller = new AbortController();
    const waiting = new EventFollower(client, { minDelayMs: 60_000, signal: controller.signal });
    const promise = waiting.start();
    await nextEmission(waiting, 'retry');
    const t0 = Date.now();
    controller.abort();
    await expect(promise).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);

    await engine.listen(socket);
    const live = new EventFollower(client, fast);
    const livePromise = live.start();
    await nextEmission(live, 'connected');
    expect(engine.eventClients.size).toBe(1);
    live.stop();
    await livePromise;
    await new Promise((r) => setTimeout(r, 20));
    expect(engine.eventClients.size).toBe(0);
  });

  it('lets a listener exception end start() (a bug is not a transient error)', async () => {
    await up();
    const follower = new EventFollower(client, fast);
    follower.on('event', () => {
      throw new Error('listener bug');
    });
    const done = follower.start();
    await nextEmission(follower, 'connected');
    engine.writeEvents(JSON.stringify(start) + '\n');
    await expect(done).rejects.toThrow('listener bug');
    expect(follower.stopped).toBe(true);
  });
});

describe('EventFollower in a separate process', () => {
  it('leaves nothing behind: the process exits on its own after abort', async () => {
    const t = tempDir();
    try {
      const src = resolve('src/docker/index.ts');
      const fake = resolve('test/unit/docker/fake-engine.ts');
      const script = join(t.dir, 'follow.mts');
      writeFileSync(
        script,
        `
import { DockerEngineClient, EventFollower } from ${JSON.stringify(src)};
import { FakeEngine } from ${JSON.stringify(fake)};
const baseline = process.getActiveResourcesInfo().sort();
const socket = ${JSON.stringify(join(t.dir, 'p.sock'))};
const engine = new FakeEngine();
await engine.listen(socket);
const client = new DockerEngineClient({ host: 'unix://' + socket }, {});
const controller = new AbortController();
const follower = new EventFollower(client, { minDelayMs: 10, maxDelayMs: 50, signal: controller.signal });
let connects = 0;
follower.on('connected', () => {
  connects++;
  if (connects === 1) setTimeout(() => engine.endEvents(), 10);
  else controller.abort();
});
await follower.start();
await engine.close();
// Daemon gone: abort while the follower waits a minute to retry; a live timer would hold the process.
const c2 = new AbortController();
const waiting = new EventFollower(client, { minDelayMs: 60_000, signal: c2.signal });
waiting.on('retry', () => setTimeout(() => c2.abort(), 20));
await waiting.start();
// Closed handles go away within a tick or two: compare with what the process held at the start.
await new Promise((r) => setTimeout(r, 100));
const now = process.getActiveResourcesInfo().sort();
console.log('connects=' + connects + ' same=' + (JSON.stringify(now) === JSON.stringify(baseline)));
`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          done(c);
        });
      });
      expect(out).toContain('connects=2 same=true');
      expect(code).toBe(0);
    } finally {
      t.cleanup();
    }
  }, 20_000);
});
