import type { DaemonJsonFact } from './facts.js';

/**
 * Reading Docker's daemon.json: a JSON object. When it is not valid JSON, dockerd refuses to start;
 * the error is located (line and column) by a small scanner, because JSON.parse's messages do not
 * always carry a position.
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

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset and description of the first JSON syntax error in `text`; undefined when it is valid. */
export function locateJsonError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(at, message);
  };
  const describe = (): string => (i >= text.length ? 'end of file' : `'${text[i]}'`);
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe()}: expected a value`);
  };
  const string = (): void => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape in string');
        continue;
      }
      if (c < ' ') fail('control character (e.g. a line break) inside a string');
      i++;
    }
    fail('string is not closed', start);
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail('bad number');
      i = NUMBER.lastIndex;
    } else fail(`unexpected ${describe()}: expected a value`);
  };
  /** After a member: true at `,` (another follows), false at the closing bracket (consumed). */
  const more = (close: '}' | ']'): boolean => {
    ws();
    if (text[i] === ',') {
      const comma = i;
      i++;
      ws();
      if (text[i] === close) fail(`trailing comma before ${close}`, comma);
      return true;
    }
    if (text[i] === close) {
      i++;
      return false;
    }
    return fail(`unexpected ${describe()}: expected ',' or '${close}'`);
  };
  const object = (): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    do {
      ws();
      if (text[i] !== '"') fail(`unexpected ${describe()}: expected a double-quoted property name`);
      string();
      ws();
      if (text[i] !== ':') fail(`unexpected ${describe()}: expected ':' after the property name`);
      i++;
      value();
    } while (more('}'));
  };
  const array = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    do value();
    while (more(']'));
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { offset: e.offset, message: e.message };
    throw e;
  }
}
