import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lineColumn, locateJsonError, parseDaemonJson } from '../../../src/doctor/index.js';

describe('parseDaemonJson', () => {
  it('reads a valid object', () => {
    expect(parseDaemonJson('/d.json', '{ "iptables": false, "bip": "10.200.0.1/24" }\n')).toEqual({
      path: '/d.json',
      state: 'ok',
      config: { iptables: false, bip: '10.200.0.1/24' },
    });
  });

  it.each([
    ['{\n  "iptables": false,\n}\n', 2, 20, 'trailing comma before }'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "unexpected '\"': expected ',' or '}'"],
    ['{\n  // a comment\n  "a": 1\n}', 2, 3, "unexpected '/': expected a double-quoted property name"],
    ['{ "a": tru }', 1, 8, "unexpected 't': expected a value"],
    ['{ "a": "x', 1, 8, 'string is not closed'],
    ['{ "a": 1 }\n}', 2, 1, "unexpected '}' after the end of the JSON value"],
    ['', 1, 1, 'unexpected end of file: expected a value'],
  ])('locates the error in %j at %i:%i', (text, line, column, error) => {
    expect(parseDaemonJson('/d.json', text)).toEqual({
      path: '/d.json',
      state: 'invalid',
      error,
      line,
      column,
    });
  });

  it('wants an object', () => {
    expect(parseDaemonJson('/d.json', '\n  ["iptables"]')).toMatchObject({
      state: 'invalid',
      line: 2,
      column: 3,
    });
  });

  it('lineColumn counts 1-based lines and columns', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('the locator agrees with JSON.parse on what is valid', () => {
    const json = fc.json().map((j) => j);
    const mangled = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', '"', ':', ']', 'x'))
      .map(([j, at, ins]) => {
        const i = at % (j.length + 1);
        return j.slice(0, i) + ins + j.slice(i);
      });
    fc.assert(
      fc.property(fc.oneof(json, mangled), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(locateJsonError(text) === undefined).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
