import { diag, type Diagnostic, type Family, type Result, type Rule } from '../model/index.js';
import { RuleParser, type RuleParseContext } from './body-parser.js';
import type { Interner } from './intern.js';
import { Lexer } from './tokenize.js';

export { parseRuleTokens, RuleParser, type RuleParseContext } from './body-parser.js';

export interface RuleTextOptions {
  family: Family;
  file: string;
  line: number;
  column: number;
  /**
   * Shares (and freezes) equal tokens, options, matches and targets between the rules read with
   * it, as a dump's rules share them: for many rules read at once (a plan's inserted rules).
   */
  intern?: Interner;
}

/** Parses a rule body written by a person (`-p tcp --dport 22 -j ACCEPT`, no `-A CHAIN`). */
export function parseRuleText(text: string, opts: RuleTextOptions): Result<Rule> {
  const diagnostics: Diagnostic[] = [];
  const pos = { file: opts.file, line: opts.line, column: opts.column };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0) {
      const what = c === 0 ? 'a NUL character' : 'a line break';
      diagnostics.push(
        diag(
          'error',
          'parse.control-character',
          `a rule is one line: found ${what} in the rule text; expected options on a single line`,
          { ...pos, column: opts.column + i },
          { length: 1 },
        ),
      );
      return { diagnostics };
    }
  }
  const lx = takeLexer();
  const parser = spareParser ?? new RuleParser();
  spareParser = undefined;
  try {
    return parseLexed(lx, parser, text, opts, pos, diagnostics);
  } finally {
    spare = lx;
    spareParser = parser;
  }
}

// One lexer serves every rule text in turn (a policy's rules share most words): a lexer per rule was
// most of the garbage of loading a large policy. Its table only shares strings between the rules; a
// call made while another is under way (none is) would get a lexer of its own.
let spare: Lexer | undefined;
// The parser resets its per-rule state in `parse`: one serves every rule text in turn too.
let spareParser: RuleParser | undefined;
const MAX_WORDS = 1 << 16;

function takeLexer(): Lexer {
  const lx = spare && spare.wordsHeld < MAX_WORDS ? spare : new Lexer();
  spare = undefined;
  return lx;
}

function parseLexed(
  lx: Lexer,
  parser: RuleParser,
  text: string,
  opts: RuleTextOptions,
  pos: { file: string; line: number; column: number },
  diagnostics: Diagnostic[],
): Result<Rule> {
  if (!lx.lex(text, 0, text.length, opts.column)) return { diagnostics: [lx.error(opts.file, opts.line)] };
  if (lx.count === 0) {
    diagnostics.push(
      diag(
        'error',
        'parse.empty-rule',
        'empty rule: expected options such as "-p tcp --dport 22 -j ACCEPT"',
        pos,
        {
          length: Math.max(1, text.length),
        },
      ),
    );
    return { diagnostics };
  }
  const ctx: RuleParseContext = { family: opts.family, file: opts.file, line: opts.line, diagnostics };
  if (opts.intern) ctx.intern = opts.intern;
  const rule = parser.parse(lx, 0, ctx);
  if (!rule) return { diagnostics };
  rule.pos = pos;
  return { value: rule, diagnostics };
}
