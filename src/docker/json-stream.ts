import { DockerProtocolError } from './errors.js';

/**
 * Splits a stream of concatenated JSON objects (or arrays) into values, whatever the chunk
 * boundaries: a value may span chunks, a chunk may hold several values, and values may or may not
 * be separated by newlines. Bytes are decoded as UTF-8 across chunks, so a character split between
 * two chunks is kept whole. One value may hold at most `maxValueChars` characters (16 Mi by default:
 * Docker's events are a few kilobytes), so a peer that never closes a value cannot fill the memory.
 */
export class JsonStreamParser {
  constructor(readonly maxValueChars = 16 * 1024 * 1024) {}

  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** Scan position in `buffer`, and the scanner's state there. */
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds a chunk; returns the values it completed, in order. */
  push(chunk: Uint8Array | string): unknown[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const values: unknown[] = [];
    let start = 0;
    const text = this.buffer;
    for (let i = this.pos; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c /* \ */) this.escaped = true;
        else if (ch === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) {
          start = i + 1;
          continue;
        }
        if (ch !== 0x7b /* { */ && ch !== 0x5b /* [ */) {
          throw new DockerProtocolError(
            `JSON stream: expected an object, found ${JSON.stringify(text.slice(i, i + 20))}`,
          );
        }
        start = i;
      }
      if (ch === 0x22) this.inString = true;
      else if (ch === 0x7b || ch === 0x5b) this.depth++;
      else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
        this.depth--;
        if (this.depth === 0) {
          const slice = text.slice(start, i + 1);
          try {
            values.push(JSON.parse(slice));
          } catch (error) {
            throw new DockerProtocolError(`JSON stream: invalid value: ${(error as Error).message}`, {
              cause: error,
            });
          }
          start = i + 1;
        } else if (this.depth < 0) {
          throw new DockerProtocolError('JSON stream: unbalanced closing bracket');
        }
      }
    }
    // Keep only the unfinished value; resume scanning where this chunk stopped.
    const keepFrom = this.depth === 0 && !this.inString ? text.length : start;
    this.buffer = text.slice(keepFrom);
    this.pos = this.buffer.length;
    if (this.buffer.length > this.maxValueChars) {
      throw new DockerProtocolError(
        `JSON stream: a value longer than ${this.maxValueChars} characters; refusing to read further`,
      );
    }
    return values;
  }

  /** True when an unfinished value is buffered. */
  get pending(): boolean {
    return this.buffer.trim() !== '';
  }
}
