import type { Diagnostic, Family, Result, Table, TableName } from '../model/index.js';
import {
  applyRuleCommand,
  ChainIndex,
  LEGACY_WARNING_PREFIX,
  lineError,
  parsePolicy,
  parseRuleCommand,
  type LineContext,
} from './dump-lines.js';
import { DumpRuleLines } from './dump-rule-lines.js';
import { Interner } from './intern.js';
import { Lexer } from './tokenize.js';

/**
 * `iptables -S [CHAIN]` output (also with `-v`, which appends `-c PKTS BYTES`): `-P` for built-in
 * chains, `-N` for user chains, `-A` for rules. A rule for a chain not listed creates it.
 */

export interface ListRulesOptions {
  file: string;
  family: Family;
  table: TableName;
}

export function parseIptablesS(text: string, opts: ListRulesOptions): Result<Table> {
  const diagnostics: Diagnostic[] = [];
  const table: Table = { name: opts.table, chains: [] };
  const intern = new Interner();
  const ruleLines = new DumpRuleLines(text, { file: opts.file, family: opts.family, intern });
  const chains = new ChainIndex(table, (c) => ruleLines.chain(c));
  const ctx: LineContext = {
    file: opts.file,
    line: 0,
    family: opts.family,
    diagnostics,
    intern,
    allowCounters: true,
  };
  const lookup = (name: string) => chains.resolve(name, true);
  const lx = new Lexer(true);
  let lineNo = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    ctx.line = ++lineNo;
    const at = start;
    start = end + 1;
    if (ruleLines.append(text, at, stop, ctx.line, lookup)) continue;
    const line = text.slice(at, stop);
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (!line.startsWith(LEGACY_WARNING_PREFIX)) {
        lineError(ctx, 'parse.unexpected-line', 'unexpected comment in iptables -S output', 1, line.length);
      }
      continue;
    }
    if (line.includes('\0')) {
      lineError(
        ctx,
        'parse.control-character',
        'NUL character in the line: expected text',
        line.indexOf('\0') + 1,
      );
      continue;
    }
    if (!lx.lex(text, at, stop)) {
      diagnostics.push(lx.error(opts.file, ctx.line));
      continue;
    }
    const tokens = Array.from({ length: Math.min(lx.count, 4) }, (_, k) => lx.token(k));
    const cmd = tokens[0]!;
    if (cmd.text === '-A' || cmd.text === '-I') {
      const before = diagnostics.length;
      const rc = parseRuleCommand(lx, 0, ctx);
      if (!rc) continue;
      const chain = chains.resolve(rc.chain, true)!;
      const clean = diagnostics.length === before;
      if (!rc.insert && ruleLines.accept(chain, text, at, stop, ctx.line, clean)) continue;
      applyRuleCommand(chain, rc, ctx, cmd.column);
      continue;
    }
    const name = tokens[1];
    if (cmd.text === '-N' && name && lx.count === 2) {
      if (chains.get(name.text)) {
        lineError(
          ctx,
          'parse.duplicate-chain',
          `chain ${name.text} listed twice`,
          name.column,
          name.text.length,
        );
      } else {
        chains.add(
          ruleLines.chain({
            name: name.text,
            policy: null,
            pos: { file: opts.file, line: ctx.line, column: 1 },
          }),
        );
      }
      continue;
    }
    if (cmd.text === '-P' && name && tokens[2]) {
      const policy = parsePolicy(tokens[2].text);
      const rest = lx.texts.slice(3, lx.count);
      const countersOk =
        rest.length === 0 ||
        (rest.length === 3 && rest[0] === '-c' && /^\d+$/.test(rest[1]!) && /^\d+$/.test(rest[2]!));
      if (!policy || !countersOk) {
        lineError(
          ctx,
          'parse.bad-policy',
          `bad policy line: expected "-P CHAIN ACCEPT|DROP [-c PKTS BYTES]"`,
          cmd.column,
          line.length,
        );
        continue;
      }
      const chain = chains.resolve(name.text, true)!;
      chain.policy = policy;
      if (rest.length === 3) chain.counters = { packets: rest[1]!, bytes: rest[2]! };
      continue;
    }
    lineError(
      ctx,
      'parse.unexpected-line',
      `unexpected "${cmd.text}": expected -P, -N or -A lines`,
      cmd.column,
      cmd.text.length,
    );
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { value: table, diagnostics };
}
