import { parseJsonWithPositions } from '../parse/json-positions.js';
import type { DaemonJsonFact } from './facts.js';

/**
 * Reading Docker's daemon.json: a JSON object. When it is not valid JSON, dockerd refuses to start;
 * the error is located (line and column) by the project's JSON reader (src/parse/json-positions.ts),
 * because JSON.parse's messages do not always carry a position.
 */

export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';

export function parseDaemonJson(path: string, text: string): DaemonJsonFact {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const located = locateJsonError(text) ?? { offset: text.length, message: (e as Error).message };
    const { line, column } = lineColumn(text, located.offset);
    return { path, state: 'invalid', error: located.message, line, column };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const offset = text.length - text.trimStart().length;
    const { line, column } = lineColumn(text, offset);
    return { path, state: 'invalid', error: 'the file must hold a JSON object ({ … })', line, column };
  }
  return { path, state: 'ok', config: value as Record<string, unknown> };
}

/** The configuration when daemon.json was read and valid, else an empty one. */
export function daemonConfig(fact: DaemonJsonFact): Record<string, unknown> {
  return fact.state === 'ok' ? fact.config : {};
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** Offset and description of the first JSON syntax error in `text`; undefined when it is valid. */
export function locateJsonError(text: string): { offset: number; message: string } | undefined {
  const r = parseJsonWithPositions(text);
  return r.ok ? undefined : { offset: r.offset, message: r.message };
}
