import { keyedRecord } from '../model/own-key.js';
import type { IncomingMessage } from 'node:http';
import type { ApiEvent } from './api-types.js';
import type { CallOptions, DockerEngineClient } from './engine-client.js';
import { DockerError, DockerUnavailableError } from './errors.js';
import { JsonStreamParser } from './json-stream.js';

/** One Docker event, flattened from the Engine API's `{Type, Action, Actor: {ID, Attributes}}`. */
export interface DockerEvent {
  type: string;
  action: string;
  /** Container or network id. */
  actorId: string;
  /** e.g. `name`, `container` (network connect/disconnect), `type`, image labels. */
  attributes: Record<string, string>;
  scope?: string;
  /** Unix seconds. */
  time?: number;
  /** Unix nanoseconds; beyond 2^53, so only approximate as a JS number. */
  timeNano?: number;
}

/** Which actions to follow, per object type. */
export type EventSpec = Partial<Record<string, readonly string[]>>;

/** The events that change what the firewall must know: network wiring and container lifecycle. */
export const DEFAULT_EVENT_SPEC: EventSpec = {
  network: ['create', 'destroy', 'connect', 'disconnect'],
  container: ['start', 'die', 'destroy'],
};

/**
 * The `filters` query value for a spec. Docker ANDs different keys and ORs values of one key, so
 * the query may admit extra pairs (e.g. container `create`); {@link matchesEventSpec} removes them.
 */
export function eventFiltersQuery(spec: EventSpec): string {
  const types = Object.keys(spec).filter((t) => (spec[t]?.length ?? 0) > 0);
  const actions = [...new Set(types.flatMap((t) => spec[t] ?? []))];
  return JSON.stringify({ type: types, event: actions });
}

export function matchesEventSpec(event: DockerEvent, spec: EventSpec): boolean {
  return spec[event.type]?.includes(event.action) ?? false;
}

/** Flattens one Engine API event object; undefined when it lacks a type or action. */
export function parseDockerEvent(raw: unknown): DockerEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as ApiEvent;
  if (typeof e.Type !== 'string' || typeof e.Action !== 'string') return undefined;
  const attributes = keyedRecord<string>();
  for (const [key, value] of Object.entries(e.Actor?.Attributes ?? {})) {
    if (typeof value === 'string') attributes[key] = value;
  }
  const event: DockerEvent = {
    type: e.Type,
    action: e.Action,
    actorId: typeof e.Actor?.ID === 'string' ? e.Actor.ID : '',
    attributes,
  };
  if (typeof e.scope === 'string') event.scope = e.scope;
  if (typeof e.time === 'number') event.time = e.time;
  if (typeof e.timeNano === 'number') event.timeNano = e.timeNano;
  return event;
}

export interface EventStreamOptions extends CallOptions {
  /** Events to follow (default {@link DEFAULT_EVENT_SPEC}). */
  spec?: EventSpec;
  /** Replay events since this Unix time (seconds) before following. */
  since?: number;
}

/** An open `GET /events` stream: iterate it for events; `close()` ends it. */
export interface EventStream extends AsyncIterable<DockerEvent> {
  close(): void;
}

/**
 * Opens `GET /events` and resolves once the daemon accepted it (response headers received), so the
 * caller knows the stream is live. Iteration yields events as they arrive and ends when the daemon
 * ends the stream, `close()` is called or `signal` aborts; a broken connection throws
 * {@link DockerUnavailableError}, and malformed JSON {@link DockerProtocolError}.
 */
export async function openEventStream(
  client: DockerEngineClient,
  options: EventStreamOptions = {},
): Promise<EventStream> {
  const spec = options.spec ?? DEFAULT_EVENT_SPEC;
  const query: Record<string, string | number> = { filters: eventFiltersQuery(spec) };
  if (options.since !== undefined) query['since'] = options.since;
  const response = await client.openStream('/events', query, options);
  return new LiveEventStream(response.body, spec, client.endpoint.url, options.signal);
}

class LiveEventStream implements EventStream {
  private closed = false;

  constructor(
    private readonly body: IncomingMessage,
    private readonly spec: EventSpec,
    private readonly endpoint: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.close();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => this.close();

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.body.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DockerEvent> {
    const parser = new JsonStreamParser();
    try {
      for await (const chunk of this.body) {
        for (const value of parser.push(chunk as Buffer)) {
          const event = parseDockerEvent(value);
          if (event && matchesEventSpec(event, this.spec)) yield event;
          if (this.closed) return;
        }
      }
    } catch (error) {
      if (this.closed) return;
      if (error instanceof DockerError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new DockerUnavailableError(
        this.endpoint,
        `the Docker event stream from ${this.endpoint} broke: ${(error as Error).message}`,
        typeof code === 'string' ? code : undefined,
        { cause: error },
      );
    } finally {
      this.close();
    }
  }
}

/** Opens the event stream and yields its events; convenience over {@link openEventStream}. */
export async function* streamEvents(
  client: DockerEngineClient,
  options: EventStreamOptions = {},
): AsyncGenerator<DockerEvent> {
  let stream: EventStream;
  try {
    stream = await openEventStream(client, options);
  } catch (error) {
    if (options.signal?.aborted) return;
    throw error;
  }
  yield* stream;
}
