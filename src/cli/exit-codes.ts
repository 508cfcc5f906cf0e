/**
 * Exit codes: the public interface for scripts, cron and monitoring. One meaning each, for every
 * command: 0 yes / done, 1 error (nothing was decided), 2 the answer is no or needs attention,
 * 3 nothing was found but not everything could be checked.
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** `plan`: changes pending; `status`: drifted; `check`: an expectation failed; `doctor`: findings; `audit --fail-on`: matched. */
export const EXIT_CHANGES = 2;
/** `doctor`: nothing found, but Docker did not answer, so its networks were not checked. */
export const EXIT_INCOMPLETE = 3;

/**
 * Every command's exit codes, in one table: the man page prints it and README.md's command table
 * holds the same words (a unit test compares them).
 */
export const EXIT_CODE_TABLE: readonly { commands: string; codes: string }[] = [
  {
    commands: 'plan',
    codes: '0 no changes, 2 changes pending, 1 error (an `expect:` failed, unless `--no-check`)',
  },
  {
    commands: 'apply',
    codes:
      "0 applied (or nothing to do), 1 error, refused or not confirmed, 4 another dockwall holds the state directory's lock (see `--wait`)",
  },
  {
    commands: 'rollback, confirm',
    codes:
      "0 done, 1 error (confirm: nothing to confirm), 4 another dockwall holds the state directory's lock (see `--wait`)",
  },
  { commands: 'status', codes: '0 in sync, 2 drifted, 1 error' },
  {
    commands: 'check',
    codes:
      '0 every expectation holds (or the policy has none: nothing to check), 2 an expectation failed, 1 error (expectations that could not be evaluated included)',
  },
  { commands: 'watch', codes: '0 stopped by SIGTERM/SIGINT, 1 error' },
  { commands: 'trace', codes: '0 traced (the verdict is in the output), 1 error (a bad address included)' },
  { commands: 'audit', codes: '0 reported, 2 a `--fail-on` condition holds, 1 error' },
  {
    commands: 'doctor',
    codes: '0 nothing found, 2 findings, 3 nothing found but Docker did not answer, 1 error',
  },
  { commands: 'tls check', codes: '0 the client accepts the certificate, 1 it does not, or error' },
  { commands: 'validate', codes: '0 valid, 1 errors' },
  {
    commands:
      'install-service, tls ca, tls server, tls client, export, import pyfw, show, schema, completion',
    codes: '0 done, 1 error',
  },
];

/** apply, rollback, confirm: another dockwall holds the state directory's lock (see `--wait`); iptables exits 4 likewise. */
export const EXIT_LOCKED = 4;

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
