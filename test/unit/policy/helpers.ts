import { expect } from 'vitest';
import type { Diagnostic } from '../../../src/model/diagnostic.js';
import { loadPolicy } from '../../../src/policy/index.js';

export const FILE = 'policy.yaml';

/** A compact view of a diagnostic: what the tests compare. */
export function brief(d: Diagnostic): {
  severity: string;
  code: string;
  message: string;
  line?: number;
  column?: number;
} {
  return { severity: d.severity, code: d.code, message: d.message, line: d.pos?.line, column: d.pos?.column };
}

/** Loads `text`; asserts it fails and returns its diagnostics, briefly. */
export function errorsOf(text: string): ReturnType<typeof brief>[] {
  const r = loadPolicy(text, FILE);
  expect(r.value).toBeUndefined();
  for (const d of r.diagnostics) expect(d.pos?.file).toBe(FILE);
  return r.diagnostics.map(brief);
}

/** Lines joined with newlines, so a test reads like the file it loads. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
