import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { errorsOf, FILE, yaml } from './helpers.js';

/** Issue 11, item 10: pyfw ipset names went to ipset unchecked (spaces, tabs, over 31 characters). */
describe('pyfw ipset names are checked as native names are', () => {
  const wishes = (name: string) =>
    yaml('pyfw_wishes:', '  ipsets:', `    ${name}:`, '      type: hash:ip', '      members_equal: []');

  it('refuses a name with a space, on the name', () => {
    expect(errorsOf(wishes('"bad name"'))).toEqual([
      {
        severity: 'error',
        code: 'policy.bad-name',
        message: 'an ipset name is 1 to 31 letters, digits, `_`, `.`, `:` or `-`, found `bad name`',
        line: 3,
        column: 5,
      },
    ]);
  });

  it('refuses a name of 32 characters and accepts one of 31', () => {
    expect(errorsOf(wishes('a'.repeat(32))).map((d) => [d.code, d.line, d.column])).toEqual([
      ['policy.bad-name', 3, 5],
    ]);
    expect(loadPolicy(wishes('a'.repeat(31)), FILE).diagnostics).toEqual([]);
  });

  it('refuses a name with a tab (a control character)', () => {
    expect(errorsOf(wishes('"a\\tb"')).map((d) => [d.code, d.line, d.column])).toEqual([
      ['policy.control-character', 3, 5],
    ]);
  });
});
