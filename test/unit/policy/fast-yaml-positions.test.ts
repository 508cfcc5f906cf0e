import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { YamlSource } from '../../../src/policy/yaml-source.js';

/**
 * Policies the fast block reader takes, with mistakes in them: the diagnostics are the full path's,
 * positioned on the file's own line and column (the wording of a schema error reads yaml's nodes,
 * made only then).
 */
const HEAD = ['dockwall: 1', 'ipv4:', '  filter:', '    INPUT:'];

function check(lines: string[]): Array<[string, number, number]> {
  const text = `${lines.join('\n')}\n`;
  expect(new YamlSource(text, 'p.yaml').readFast).toBe(true);
  const fast = loadPolicy(text, 'p.yaml');
  expect(fast).toEqual(loadPolicy(text, 'p.yaml', { fullYaml: true }));
  for (const d of fast.diagnostics) expect(d.pos?.file).toBe('p.yaml');
  return fast.diagnostics.map((d) => [d.code, d.pos?.line ?? 0, d.pos?.column ?? 0]);
}

describe('positions of a fast-read policy', () => {
  it('a rule text that is a list: on the list', () => {
    const got = check([...HEAD, '      rules:', '        - ok: -j ACCEPT', '        - x: [a, b]']);
    expect(got).toEqual([['policy.wrong-type', 7, 14]]);
  });

  it('an unknown key of a chain: on the key', () => {
    const got = check([...HEAD, '      polcy: DROP', '      rules:', '        - ok: -j ACCEPT']);
    expect(got.map(([code, line, column]) => [code.startsWith('policy.'), line, column])).toEqual([
      [true, 5, 7],
    ]);
  });

  it('a name used twice: on the second, naming the first line', () => {
    const text = `${[...HEAD, '      rules:', '        - a: -j ACCEPT', '        - a: -j DROP'].join('\n')}\n`;
    expect(check(text.trimEnd().split('\n'))).toEqual([['policy.duplicate-name', 7, 11]]);
    expect(loadPolicy(text, 'p.yaml').diagnostics[0]!.message).toContain('first on line 6');
  });

  it('a rule text error: inside the text, after the quote of a quoted one', () => {
    const plain = check([...HEAD, '      rules:', '        - a: -p tcp --frobnicate 1 -j ACCEPT']);
    const quoted = check([...HEAD, '      rules:', "        - a: '-p tcp --frobnicate 1 -j ACCEPT'"]);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain[0]![1]).toBe(6);
    // The quote moves every position in the text one column on.
    expect(quoted.map(([c, l, col]) => [c, l, col - 1])).toEqual(plain);
    expect(plain[0]).toEqual(['parse.unknown-option', 6, 21]);
  });

  it('a valid policy: each rule at its key', () => {
    const text = `${[...HEAD, '      rules:', '        - a: -j ACCEPT', '        - "b": -j DROP'].join('\n')}\n`;
    const res = loadPolicy(text, 'p.yaml');
    expect(res).toEqual(loadPolicy(text, 'p.yaml', { fullYaml: true }));
    const rules = res.value!.families.ipv4!.tables[0]!.chains[0]!.rules;
    expect(rules.map((r) => [r.name, r.pos?.line, r.pos?.column])).toEqual([
      ['a', 6, 11],
      ['b', 7, 11],
    ]);
  });
});
