import { EventEmitter } from 'node:events';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { DockerEngineClient } from './engine-client.js';
import { DockerError, DockerTimeoutError, DockerUnavailableError } from './errors.js';
import { openEventStream, type DockerEvent, type EventSpec, type EventStream } from './event-stream.js';

export interface EventFollowerOptions extends BackoffOptions {
  /** Events to follow (default: network create/destroy/connect/disconnect, container start/die/destroy). */
  spec?: EventSpec;
  /** Stops the follower when aborted. */
  signal?: AbortSignal;
  /** Time allowed for each connection attempt to get response headers (client default otherwise). */
  connectTimeoutMs?: number;
  /** Source of randomness for the jitter (tests pass a constant). */
  random?: () => number;
  /**
   * While the stream is live, `GET /_ping` on a separate connection this often (10 s; 0: never).
   * Docker sends nothing on an idle event stream, so silence alone says nothing: a daemon that does
   * not answer the ping (its peer vanished without closing, or it hangs) ends the stream as dead.
   */
  livenessIntervalMs?: number;
  /** How long a liveness ping may take (10 s). Detection takes at most interval + timeout. */
  livenessTimeoutMs?: number;
}

export const DEFAULT_LIVENESS_INTERVAL_MS = 10_000;
export const DEFAULT_LIVENESS_TIMEOUT_MS = 10_000;

export interface FollowerEventMap {
  /** The event stream is live. `first: false` after a break means dockerd restarted and rebuilt its rules. */
  connected: [{ first: boolean }];
  event: [DockerEvent];
  /** A live stream ended or broke. */
  disconnected: [{ error: Error }];
  /** Waiting `delayMs` before connection attempt `attempt` (counted since the last success). */
  retry: [{ attempt: number; delayMs: number; error: Error }];
  /** The follower stopped (aborted or `stop()`); nothing more is emitted. */
  stopped: [];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Waits `ms`, or less if `signal` aborts first; leaves no timer or listener behind. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follows `GET /events` for as long as it runs, reconnecting with exponential back-off whenever the
 * daemon is unreachable or the stream breaks. Docker errors never escape; only an exception thrown by
 * one of this object's listeners ends `start()`'s promise with a rejection.
 */
export class EventFollower extends EventEmitter<FollowerEventMap> {
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: DockerEngineClient,
    private readonly options: EventFollowerOptions = {},
  ) {
    super();
  }

  /** Starts following (once); the promise settles when the follower has stopped. */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  stop(): void {
    this.controller.abort();
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const external = this.options.signal;
    const stopOnAbort = (): void => this.stop();
    if (external?.aborted) this.stop();
    else external?.addEventListener('abort', stopOnAbort, { once: true });
    try {
      await this.loop(this.controller.signal);
    } finally {
      external?.removeEventListener('abort', stopOnAbort);
      this.controller.abort();
      this.emit('stopped');
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { spec, connectTimeoutMs, random } = this.options;
    let everConnected = false;
    let attempt = 0;
    while (!signal.aborted) {
      let stream: EventStream;
      try {
        stream = await openEventStream(this.client, { spec, signal, timeoutMs: connectTimeoutMs });
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof DockerError)) throw error;
        // The daemon may come back as another version: negotiate again on the next attempt.
        this.client.resetNegotiation();
        attempt++;
        await this.wait(attempt, error, signal, random);
        continue;
      }

      this.emit('connected', { first: !everConnected });
      everConnected = true;
      const ended = await this.pump(stream);
      if (signal.aborted) return;
      this.emit('disconnected', { error: ended });
      this.client.resetNegotiation();
      // The reconnect after a break is attempt 1 again: back-off restarts from the shortest delay.
      attempt = 1;
      await this.wait(attempt, ended, signal, random);
    }
  }

  /** Relays the stream's events until it ends; returns why it ended. Listener exceptions propagate. */
  private async pump(stream: EventStream): Promise<Error> {
    const iterator = stream[Symbol.asyncIterator]();
    const liveness = this.checkLiveness(stream);
    try {
      for (;;) {
        let next: IteratorResult<DockerEvent>;
        try {
          next = await iterator.next();
        } catch (error) {
          return liveness.dead() ?? asError(error);
        }
        if (next.done) {
          return (
            liveness.dead() ??
            new DockerUnavailableError(this.client.endpoint.url, 'the Docker event stream ended')
          );
        }
        this.emit('event', next.value);
      }
    } finally {
      liveness.stop();
      stream.close();
    }
  }

  /**
   * Pings the daemon on a separate connection while `stream` is live; closes the stream when a ping
   * gets no answer (an HTTP error is an answer: the daemon is there).
   */
  private checkLiveness(stream: EventStream): { dead(): Error | undefined; stop(): void } {
    const every = this.options.livenessIntervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
    const timeoutMs = this.options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS;
    let dead: Error | undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const aborter = new AbortController();
    const url = this.client.endpoint.url;
    const probe = (): void => {
      this.client.ping({ timeoutMs, signal: aborter.signal }).then(schedule, (error: unknown) => {
        if (stopped) return;
        if (!(error instanceof DockerUnavailableError || error instanceof DockerTimeoutError)) {
          schedule();
          return;
        }
        dead = new DockerUnavailableError(
          url,
          `the Docker daemon at ${url} did not answer a liveness ping (${error.message}): the event stream is taken for dead`,
          error instanceof DockerUnavailableError ? error.code : 'ETIMEDOUT',
          { cause: error },
        );
        stream.close();
      });
    };
    const schedule = (): void => {
      if (!stopped) timer = setTimeout(probe, every);
    };
    if (every > 0) schedule();
    return {
      dead: () => dead,
      stop: () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        aborter.abort();
      },
    };
  }

  private async wait(
    attempt: number,
    error: Error,
    signal: AbortSignal,
    random: (() => number) | undefined,
  ): Promise<void> {
    const delayMs = backoffDelay(attempt, this.options, random);
    this.emit('retry', { attempt, delayMs, error });
    await pause(delayMs, signal);
  }
}

/**
 * Creates an {@link EventFollower} and starts it. Listeners attached in the same tick see every
 * emission. Await `follower.start()` (the same promise) to learn when it stopped.
 */
export function followEvents(client: DockerEngineClient, options: EventFollowerOptions = {}): EventFollower {
  const follower = new EventFollower(client, options);
  void follower.start();
  return follower;
}
