import { describe, expect, it } from 'vitest';
import { tokenizeLine } from '../../../src/parse/index.js';

const pos = { file: 'rules.v4', line: 7 };

function words(text: string) {
  const r = tokenizeLine(text, pos);
  expect(r.error).toBeUndefined();
  return r.tokens.map((t) => [t.text, t.quoted, t.column]);
}

describe('tokenizeLine', () => {
  it('splits on blanks and records 1-based columns', () => {
    expect(words('-p  tcp\t--dport 22')).toEqual([
      ['-p', false, 1],
      ['tcp', false, 5],
      ['--dport', false, 9],
      ['22', false, 17],
    ]);
  });

  it('reads double quotes with backslash escapes as iptables-restore does', () => {
    expect(words('--comment "say \\"hi\\" \\\\ it\\\'s"')).toEqual([
      ['--comment', false, 1],
      ['say "hi" \\ it\'s', true, 11],
    ]);
    // A backslash before any other character keeps that character only.
    expect(words('"a\\b"')).toEqual([['ab', true, 1]]);
    // Outside quotes a backslash is ordinary.
    expect(words('a\\b')).toEqual([['a\\b', false, 1]]);
  });

  it('joins a quoted part to the word it starts in and ends the word at the closing quote', () => {
    expect(words('x a"b c"d')).toEqual([
      ['x', false, 1],
      ['ab c', true, 3],
      ['d', false, 9],
    ]);
  });

  it('accepts single-quoted words shell-style, without escapes', () => {
    expect(words("--log-prefix 'fw: \\n' -j LOG")).toEqual([
      ['--log-prefix', false, 1],
      ['fw: \\n', true, 14],
      ['-j', false, 23],
      ['LOG', false, 26],
    ]);
    // A single quote inside a word is an ordinary character.
    expect(words("it's")).toEqual([["it's", false, 1]]);
  });

  it('keeps empty quoted words', () => {
    expect(words('--comment ""')).toEqual([
      ['--comment', false, 1],
      ['', true, 11],
    ]);
  });

  it('reports an unterminated quote with its position', () => {
    const r = tokenizeLine('-m comment --comment "open', { ...pos, column: 5 });
    expect(r.error).toMatchObject({
      severity: 'error',
      code: 'parse.unterminated-quote',
      pos: { file: 'rules.v4', line: 7, column: 26 },
    });
    expect(r.error!.message).toMatch(/closing "/);
    expect(tokenizeLine("--comment 'x", pos).error?.message).toMatch(/single quote/);
  });
});
