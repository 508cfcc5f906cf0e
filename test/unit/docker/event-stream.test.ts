import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_SPEC,
  DockerEngineClient,
  DockerUnavailableError,
  eventFiltersQuery,
  openEventStream,
  parseDockerEvent,
  streamEvents,
  type DockerEvent,
} from '../../../src/docker/index.js';
import { FakeEngine, tempDir } from './fake-engine.js';

const wireEvents = [
  {
    status: 'connect',
    Type: 'network',
    Action: 'connect',
    Actor: { ID: 'b3bc30109fba', Attributes: { container: 'f295e3d908e5', name: 'esnet', type: 'bridge' } },
    scope: 'local',
    time: 1795424979,
    timeNano: 1795424979000000000,
  },
  // Admitted by Docker's AND-of-ORs filter but not asked for: must be dropped.
  { Type: 'container', Action: 'create', Actor: { ID: 'f295e3d908e5', Attributes: { name: 'es' } } },
  {
    Type: 'container',
    Action: 'start',
    Actor: { ID: 'f295e3d908e5', Attributes: { name: 'es', 'com.x': 'ü' } },
  },
  {
    Type: 'container',
    Action: 'die',
    Actor: { ID: 'f295e3d908e5', Attributes: { exitCode: '137', name: 'es' } },
  },
];

describe('event filters', () => {
  it('asks Docker for network and container types and the union of actions', () => {
    expect(JSON.parse(eventFiltersQuery(DEFAULT_EVENT_SPEC))).toEqual({
      type: ['network', 'container'],
      event: ['create', 'destroy', 'connect', 'disconnect', 'start', 'die'],
    });
  });

  it('flattens an Engine API event', () => {
    expect(parseDockerEvent(wireEvents[0])).toEqual({
      type: 'network',
      action: 'connect',
      actorId: 'b3bc30109fba',
      attributes: { container: 'f295e3d908e5', name: 'esnet', type: 'bridge' },
      scope: 'local',
      time: 1795424979,
      timeNano: 1795424979000000000,
    });
    expect(parseDockerEvent({ status: 'old-style' })).toBeUndefined();
  });
});

describe('GET /events', () => {
  let dir: string;
  let cleanup: () => void;
  let engine: FakeEngine;
  let client: DockerEngineClient;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  afterEach(async () => engine.close());

  async function start(): Promise<void> {
    const socket = join(dir, `e-${Math.random().toString(36).slice(2)}.sock`);
    engine = new FakeEngine({ apiVersion: '1.43' });
    await engine.listen(socket);
    client = new DockerEngineClient({ host: `unix://${socket}` }, {});
  }

  /** Writes `text` in pieces of the given sizes, letting each reach the client separately. */
  async function writeInPieces(text: Buffer, sizes: number[]): Promise<void> {
    let at = 0;
    for (let i = 0; at < text.length; i++) {
      const size = sizes[i % sizes.length]!;
      engine.writeEvents(text.subarray(at, at + size));
      at += size;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  it('streams events split across arbitrary chunk boundaries and ends when the daemon ends it', async () => {
    await start();
    const stream = await openEventStream(client);
    const request = engine.requests.find((r) => r.path === '/events')!;
    expect(request.version).toBe('1.43');
    expect(JSON.parse(request.query.get('filters')!)).toMatchObject({ type: ['network', 'container'] });

    const collected: DockerEvent[] = [];
    const reading = (async () => {
      for await (const event of stream) collected.push(event);
    })();
    const text = Buffer.from(wireEvents.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
    // Uneven raw byte pieces; json-stream.test.ts covers every single split point.
    await writeInPieces(text, [1, 17, 3, 150, 2, 64]);
    engine.endEvents();
    await reading;
    expect(collected.map((e) => `${e.type}:${e.action}:${e.actorId}`)).toEqual([
      'network:connect:b3bc30109fba',
      'container:start:f295e3d908e5',
      'container:die:f295e3d908e5',
    ]);
    expect(collected[1]!.attributes['com.x']).toBe('ü');
  });

  it('reads several events delivered in one chunk', async () => {
    await start();
    engine.onEventsClient = (res) => {
      res.end(wireEvents.map((e) => JSON.stringify(e)).join('\n'));
    };
    const actions: string[] = [];
    for await (const event of streamEvents(client)) actions.push(event.action);
    expect(actions).toEqual(['connect', 'start', 'die']);
  });

  it('throws DockerUnavailableError when the connection breaks mid-stream', async () => {
    await start();
    const stream = await openEventStream(client);
    engine.writeEvents(JSON.stringify(wireEvents[0]) + '\n{"Type":"cont');
    const got: string[] = [];
    const reading = (async () => {
      for await (const event of stream) {
        got.push(event.action);
        for (const res of engine.eventClients) res.socket?.destroy();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(DockerUnavailableError);
    expect(got).toEqual(['connect']);
  });

  it('ends quietly when aborted, and does not open when the daemon is away', async () => {
    await start();
    const controller = new AbortController();
    const iterate = (async () => {
      const seen: string[] = [];
      for await (const event of streamEvents(client, { signal: controller.signal })) seen.push(event.action);
      return seen;
    })();
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    expect(await iterate).toEqual([]);
    await engine.close();
    await expect(openEventStream(client)).rejects.toBeInstanceOf(DockerUnavailableError);
  });
});
