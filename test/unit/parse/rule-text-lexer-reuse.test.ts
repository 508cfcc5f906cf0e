import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/model/index.js';
import { parseRuleText, parseRuleTokens } from '../../../src/parse/rule-parser.js';
import { Lexer } from '../../../src/parse/tokenize.js';

/** parseRuleText reuses one lexer from rule to rule: each result is that of a lexer of its own. */
function alone(text: string) {
  const lx = new Lexer();
  if (!lx.lex(text, 0, text.length, 3)) return { error: lx.error('f', 7) };
  const diagnostics: Diagnostic[] = [];
  const rule = parseRuleTokens(lx, 0, { family: 'ipv4', file: 'f', line: 7, diagnostics });
  return { rule, diagnostics };
}

const TEXTS = [
  '-s 10.0.0.1 -p tcp -m tcp --dport 22 -j ACCEPT',
  '-p tcp --dport "2 2" -j ACCEPT',
  '-m comment --comment "unterminated -j DROP',
  '-p udp -m multiport --dports 53,123 -j ACCEPT',
  '-m comment --comment \'a b\' -j LOG --log-prefix "x: "',
  '-p tcp --dport 22 -j ACCEPT',
  '--bogus -j ACCEPT',
  ...Array.from({ length: 300 }, (_, i) => `-s 10.1.${i >> 8}.${i & 255} -p tcp --dport ${i + 1} -j ACCEPT`),
  '-s 10.0.0.1 -p tcp -m tcp --dport 22 -j ACCEPT',
];

describe('rule texts parsed one after another', () => {
  it('give the rule and diagnostics a fresh lexer gives', () => {
    for (const text of TEXTS) {
      const res = parseRuleText(text, { family: 'ipv4', file: 'f', line: 7, column: 3 });
      const ref = alone(text);
      if ('error' in ref) {
        expect(res.value).toBeUndefined();
        expect(res.diagnostics).toEqual([ref.error]);
        continue;
      }
      expect(res.diagnostics).toEqual(ref.diagnostics);
      if (ref.rule) ref.rule.pos = { file: 'f', line: 7, column: 3 };
      expect(res.value).toEqual(ref.rule ?? undefined);
    }
  });
});
