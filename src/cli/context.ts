import type { Diagnostic, Result } from '../model/index.js';
import { hasErrors } from '../model/index.js';
import { CliError } from './exit-codes.js';
import type { Output } from './output.js';
import { renderDiagnostics } from './render-diagnostics.js';

/** Options given before (or after) any command name. */
export interface GlobalFlags {
  /** `--tls-insecure`: do not verify dockerd's TLS certificate. */
  tlsInsecure?: boolean;
}

/** Per-invocation state: where to write, the texts read (for excerpts) and the diagnostics collected. */
export class CliContext {
  readonly sources = new Map<string, string>();
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly output: Output,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly flags: GlobalFlags = {},
  ) {}

  addSource(file: string, text: string): void {
    this.sources.set(file, text);
  }

  collect(diags: readonly Diagnostic[]): void {
    this.diagnostics.push(...diags);
  }

  /** Prints the diagnostics collected so far (to stderr) and forgets them. */
  flushDiagnostics(minimum: 'info' | 'warning' = 'info'): void {
    const shown = this.diagnostics.filter((d) => minimum === 'info' || d.severity !== 'info');
    if (shown.length > 0) this.output.err(renderDiagnostics(shown, this.sources, this.output.paint));
    this.diagnostics.length = 0;
  }

  /** Stops with exit 1 if any error was collected, after printing every diagnostic. */
  failOnErrors(what: string): void {
    if (!hasErrors(this.diagnostics)) return;
    const n = this.diagnostics.filter((d) => d.severity === 'error').length;
    this.flushDiagnostics();
    throw new CliError(`${what}: ${n} error${n === 1 ? '' : 's'}; nothing was changed`);
  }

  /** The value of a parse or load: its diagnostics collected, and exit 1 (`what`) on any error. */
  valueOf<T>(res: Result<T>, what: string): T {
    this.collect(res.diagnostics);
    this.failOnErrors(what);
    if (res.value === undefined) throw new CliError(what);
    return res.value;
  }
}
