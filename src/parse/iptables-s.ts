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
  const chains = new ChainIndex(table);
  const ctx: LineContext = {
    file: opts.file,
    line: 0,
    family: opts.family,
    diagnostics,
    intern: new Interner(),
    allowCounters: true,
  };
  const lines = text.split('\n');
  const lx = new Lexer(true);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    ctx.line = i + 1;
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
    if (!lx.lex(line)) {
      diagnostics.push(lx.error(opts.file, ctx.line));
      continue;
    }
    const tokens = Array.from({ length: Math.min(lx.count, 4) }, (_, k) => lx.token(k));
    const cmd = tokens[0]!;
    if (cmd.text === '-A' || cmd.text === '-I') {
      const rc = parseRuleCommand(lx, 0, ctx);
      if (!rc) continue;
      const chain = chains.resolve(rc.chain, true)!;
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
        chains.add({
          name: name.text,
          policy: null,
          rules: [],
          pos: { file: opts.file, line: ctx.line, column: 1 },
        });
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
