/**
 * A JSON reader that remembers where every object and array started, so a problem found later in
 * a value (a rule of `nft -j list ruleset` the simulator does not model) can name its line and
 * column. `JSON.parse` keeps no positions and does not always say where a syntax error is.
 */

export interface JsonLocation {
  line: number;
  column: number;
}

export type JsonParse =
  | { ok: true; value: unknown; where: (node: object) => JsonLocation | undefined }
  | { ok: false; message: string; line: number; column: number };

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
/** Deeper nesting is refused instead of exhausting the stack. */
const MAX_DEPTH = 512;

/** Line and column (1-based) of an offset, from the offsets where lines start. */
function locator(text: string): (offset: number) => JsonLocation {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** Parses `text` as one JSON value; never throws. */
export function parseJsonWithPositions(text: string): JsonParse {
  const offsets = new WeakMap<object, number>();
  const at = locator(text);
  let i = 0;
  const fail = (message: string, where = i): never => {
    throw new JsonSyntaxError(where, message);
  };
  const describe = (): string =>
    i >= text.length ? 'end of input' : `'${text[i] === '\n' ? '\\n' : text[i]}'`;
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    let out = '';
    let run = i;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c === '\\') {
        out += text.slice(run, i);
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape in string');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && e in ESCAPES) {
          out += ESCAPES[e]!;
          i += 2;
        } else fail('bad escape in string');
        run = i;
        continue;
      }
      if (c < ' ') fail('control character in string');
      i++;
    }
    return fail('unterminated string', start);
  };
  const value = (depth: number): unknown => {
    ws();
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = text[i];
    if (c === '{') {
      const obj: Record<string, unknown> = {};
      offsets.set(obj, i);
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`unexpected ${describe()}: expected a key in quotes`);
        const k = string();
        ws();
        if (text[i] !== ':') fail(`unexpected ${describe()}: expected ':'`);
        i++;
        const v = value(depth + 1);
        Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`unexpected ${describe()}: expected ',' or '}'`);
      }
    }
    if (c === '[') {
      const arr: unknown[] = [];
      offsets.set(arr, i);
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`unexpected ${describe()}: expected ',' or ']'`);
      }
    }
    if (c === '"') return string();
    if (c === 't' && text.startsWith('true', i)) return ((i += 4), true);
    if (c === 'f' && text.startsWith('false', i)) return ((i += 5), false);
    if (c === 'n' && text.startsWith('null', i)) return ((i += 4), null);
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    return fail(`unexpected ${describe()}: expected a value`);
  };
  try {
    const v = value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the JSON value`);
    return {
      ok: true,
      value: v,
      where: (node) => {
        const o = offsets.get(node);
        return o === undefined ? undefined : at(o);
      },
    };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { ok: false, message: e.message, ...at(e.offset) };
  }
}
