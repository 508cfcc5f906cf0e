/** Exponential back-off with jitter for reconnecting to dockerd. */
export interface BackoffOptions {
  /** First delay, in milliseconds (500). */
  minDelayMs?: number;
  /** Longest delay, in milliseconds (30 000). */
  maxDelayMs?: number;
  /** Growth per attempt (2). */
  factor?: number;
  /** Fraction of each delay taken off at random, 0..1 (0.2): spreads reconnects of many watchers. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/**
 * The delay before reconnect attempt `attempt` (1-based): `min × factor^(attempt−1)`, capped at
 * `max`, then reduced by up to `jitter` of itself. Never above `max`, never below `(1−jitter)×min`.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const minDelayMs = options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const factor = options.factor ?? DEFAULT_BACKOFF.factor;
  const jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(maxDelayMs, minDelayMs * Math.pow(factor, exponent));
  const spread = Math.min(1, Math.max(0, jitter));
  return Math.round(base * (1 - spread * random()));
}
