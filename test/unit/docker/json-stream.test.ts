import { describe, expect, it } from 'vitest';
import { DockerProtocolError, JsonStreamParser } from '../../../src/docker/index.js';

const values = [
  { Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { container: 'c1', name: 'esnet' } } },
  { Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { name: 'wéb {x}', 'a"b': '\\"}' } } },
  { Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { exitCode: '0', emoji: '🐳' } } },
];

/** Docker's encoder writes one object per line. */
const wire = Buffer.from(values.map((v) => JSON.stringify(v) + '\n').join(''), 'utf8');

function feed(parts: Uint8Array[]): unknown[] {
  const parser = new JsonStreamParser();
  const out = parts.flatMap((p) => parser.push(p));
  expect(parser.pending).toBe(false);
  return out;
}

describe('JsonStreamParser', () => {
  it('reads several objects from one chunk', () => {
    expect(feed([wire])).toEqual(values);
  });

  it('gives the same objects for every single split point (including inside multi-byte characters)', () => {
    for (let i = 1; i < wire.length; i++) {
      expect(feed([wire.subarray(0, i), wire.subarray(i)])).toEqual(values);
    }
  });

  it('gives the same objects byte by byte and for many three-way splits', () => {
    expect(feed([...wire].map((b) => Uint8Array.of(b)))).toEqual(values);
    for (let i = 1; i < wire.length; i += 7) {
      for (let j = i + 1; j < wire.length; j += 11) {
        expect(feed([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)])).toEqual(values);
      }
    }
  });

  it('needs no newline between objects and skips blank lines', () => {
    const parser = new JsonStreamParser();
    expect(parser.push('{"a":1}{"b":[1,{"c":"}"}]}\r\n\n  {"d"')).toEqual([{ a: 1 }, { b: [1, { c: '}' }] }]);
    expect(parser.pending).toBe(true);
    expect(parser.push(':2}')).toEqual([{ d: 2 }]);
    expect(parser.pending).toBe(false);
  });

  it('rejects a stream that is not JSON objects', () => {
    expect(() => new JsonStreamParser().push('OK\n')).toThrow(DockerProtocolError);
    expect(() => new JsonStreamParser().push('{"a":}')).toThrow(DockerProtocolError);
  });
});
