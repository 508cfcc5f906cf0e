import { describe, expect, it } from 'vitest';
import { formatToken, isBareValue, quoteValue, saveString, tokenizeLine } from '../../../src/parse/index.js';

describe('quoting', () => {
  it('prints a value bare only when it is non-empty A-Za-z0-9_-', () => {
    expect(isBareValue('allow_ssh-1')).toBe(true);
    expect(isBareValue('')).toBe(false);
    expect(isBareValue('dockwall:ssh')).toBe(false);
    expect(isBareValue('ünï')).toBe(false);
    expect(saveString('allow_ssh')).toBe('allow_ssh');
    expect(saveString('dockwall:allow-ssh')).toBe('"dockwall:allow-ssh"');
  });

  it('escapes double quote, backslash and single quote like iptables-save', () => {
    expect(quoteValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteValue('back\\slash')).toBe('"back\\\\slash"');
    expect(quoteValue("it's")).toBe('"it\\\'s"');
  });

  it('never prints a line break', () => {
    const q = quoteValue('a\nCOMMIT\r\n*filter\0');
    expect(q).not.toMatch(/[\r\n\0]/);
    expect(formatToken({ text: 'x\ny', quoted: false })).not.toMatch(/\n/);
  });

  it('keeps quoted tokens quoted and quotes tokens that need it', () => {
    expect(formatToken({ text: 'abc', quoted: true })).toBe('"abc"');
    expect(formatToken({ text: 'abc', quoted: false })).toBe('abc');
    expect(formatToken({ text: 'a b', quoted: false })).toBe('"a b"');
    expect(formatToken({ text: '', quoted: false })).toBe('""');
    expect(formatToken({ text: "'x", quoted: false })).toBe('"\\\'x"');
  });

  it('reads back what it prints', () => {
    for (const v of ['plain', 'a b', 'say "hi"', "it's", 'a\\b', '[fw] ', 'tab\there', '']) {
      const t = tokenizeLine(quoteValue(v), { file: 'x', line: 1 });
      expect(t.tokens.map((x) => x.text)).toEqual([v]);
    }
  });
});
