/** Base class of every failure talking to the Docker Engine API. */
export class DockerError extends Error {
  override name = 'DockerError';
}

/** The endpoint is unusable as configured (bad `DOCKER_HOST`, unreadable TLS files). */
export class DockerConfigError extends DockerError {
  override name = 'DockerConfigError';
}

/**
 * The daemon cannot be reached: the socket is missing, refused, not permitted, or the connection
 * broke before a response arrived. `code` is the system error code when there is one (`ENOENT`,
 * `ECONNREFUSED`, `EACCES`, `ECONNRESET`, …).
 */
export class DockerUnavailableError extends DockerError {
  override name = 'DockerUnavailableError';
  readonly endpoint: string;
  readonly code: string | undefined;

  constructor(endpoint: string, message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = endpoint;
    this.code = code;
  }
}

/** No answer (or no response headers) within the allotted time. */
export class DockerTimeoutError extends DockerError {
  override name = 'DockerTimeoutError';
  readonly endpoint: string;
  readonly path: string;
  readonly timeoutMs: number;

  constructor(endpoint: string, path: string, timeoutMs: number) {
    super(`Docker Engine API at ${endpoint} did not answer ${path} within ${timeoutMs} ms`);
    this.endpoint = endpoint;
    this.path = path;
    this.timeoutMs = timeoutMs;
  }
}

/** The daemon answered with an HTTP error status; `message` is the daemon's own message when it sent one. */
export class DockerApiError extends DockerError {
  override name = 'DockerApiError';
  readonly status: number;
  readonly method: string;
  readonly path: string;

  constructor(status: number, method: string, path: string, message: string) {
    super(message);
    this.status = status;
    this.method = method;
    this.path = path;
  }
}

/** The daemon answered something that is not what the Engine API documents (e.g. malformed JSON). */
export class DockerProtocolError extends DockerError {
  override name = 'DockerProtocolError';
}

/** The error an aborted operation rejects with: the signal's reason, or a standard `AbortError`. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
