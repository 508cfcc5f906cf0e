/** Exit codes: the public interface for scripts, cron and monitoring. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** `plan`: changes pending; `status`: drifted; `check`: an expectation failed. */
export const EXIT_CHANGES = 2;
/** apply, rollback, confirm: another dockwall holds the state directory's lock (see `--wait`). */
export const EXIT_LOCKED = 3;

/** An error the CLI reports in one line (plus diagnostics) and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT_ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
