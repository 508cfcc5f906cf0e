import type { RunOptions, RunResult, Runner } from '../../../src/host/runner.js';

export interface Call {
  argv: string[];
  opts?: RunOptions;
}

type Reply = Partial<RunResult> | ((argv: string[], opts?: RunOptions) => Partial<RunResult>);

/**
 * A Runner that answers from a table keyed by the argument vector joined with spaces; commands
 * not in the table are "not found" (127). Records every call.
 */
export function fakeRunner(replies: Record<string, Reply>, wrap: string[] = []): Runner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    wrap,
    calls,
    run: async (argv, opts) => {
      calls.push(opts ? { argv: [...argv], opts } : { argv: [...argv] });
      const reply = replies[argv.join(' ')];
      const r = typeof reply === 'function' ? reply([...argv], opts) : reply;
      if (!r) return { code: 127, stdout: '', stderr: `${argv[0]}: command not found\n`, durationMs: 0 };
      return { code: 0, stdout: '', stderr: '', durationMs: 1, ...r };
    },
  };
}
