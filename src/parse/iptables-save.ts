import type {
  Chain,
  Diagnostic,
  Family,
  IptablesVariant,
  Result,
  Rule,
  Ruleset,
  Table,
} from '../model/index.js';
import {
  applyRuleCommand,
  ChainIndex,
  guessFamily,
  isTableName,
  LEGACY_WARNING_PREFIX,
  lineError,
  parseBracketCounters,
  parsePolicy,
  parseRuleCommand,
  type LineContext,
} from './dump-lines.js';
import { DumpRuleLines } from './dump-rule-lines.js';
import { Interner } from './intern.js';
import { Lexer } from './tokenize.js';

/**
 * iptables-save / ip6tables-save output (nf_tables and legacy, with or without `-c` counters), and
 * hand-written iptables-restore files (`-A`, `-I`, `-N`, `-P` lines). Printing a parsed dump gives
 * back its lines.
 */

export interface SaveParseOptions {
  file: string;
  /** Defaults to what the header says (`ip6tables-save`) or the addresses in the rules. */
  family?: Family;
}

function headerInfo(line: string): { variant?: IptablesVariant } {
  const out: { variant?: IptablesVariant } = {};
  const v = /\bv\d+(?:\.\d+)+(?: \(([a-z_]+)\))?/.exec(line);
  if (v) out.variant = v[1] === 'nf_tables' ? 'nf_tables' : 'legacy';
  return out;
}

class SaveParser {
  readonly tables: Table[] = [];
  readonly diagnostics: Diagnostic[] = [];
  variant: IptablesVariant | undefined;
  legacyTablesPresent = false;
  private table: Table | undefined;
  private chains: ChainIndex | undefined;
  private tableLine = 0;
  private pending: string[] = [];
  /** After COMMIT, comments belong to the table just closed until a `# Generated` line. */
  private afterCommit: Table | undefined;
  private readonly ctx: LineContext;
  private readonly lx = new Lexer(true);
  private readonly lines: DumpRuleLines;
  private readonly makeChain = (c: Omit<Chain, 'rules'>): Chain => this.lines.chain(c);
  private readonly lookup = (name: string): Chain | undefined => this.chains?.resolve(name);
  // The command line being read by the full parser.
  private text = '';
  private start = 0;
  private stop = 0;

  constructor(file: string, family: Family, text: string) {
    const intern = new Interner();
    this.ctx = {
      file,
      line: 0,
      family,
      diagnostics: this.diagnostics,
      intern,
      allowCounters: true,
    };
    this.lines = new DumpRuleLines(text, { file, family, intern });
  }

  parse(text: string): void {
    let start = 0;
    let lineNo = 0;
    const n = text.length;
    let nul = text.indexOf('\0');
    while (start < n) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      let stop = end;
      if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
      lineNo++;
      this.ctx.line = lineNo;
      if (nul >= 0 && nul < end) {
        lineError(
          this.ctx,
          'parse.control-character',
          'NUL character in the line: expected text',
          nul - start + 1,
        );
        nul = text.indexOf('\0', end);
      } else if (stop > start) {
        const c = text.charCodeAt(start);
        if (c === 35 /* # */ || c === 42 /* * */ || c === 58 /* : */ || c === 67 /* C */) {
          this.line(start === 0 && stop === n ? text : text.slice(start, stop));
        } else {
          this.command(text, start, stop);
        }
      }
      start = end + 1;
    }
    if (this.table) {
      this.ctx.line = this.tableLine;
      lineError(
        this.ctx,
        'parse.missing-commit',
        `table ${this.table.name} is not closed: expected COMMIT before the end of the input`,
        1,
        1 + this.table.name.length,
      );
    }
    if (this.pending.length > 0) {
      const last = this.tables[this.tables.length - 1];
      if (last) (last.commentsAfter ??= []).push(...this.pending);
    }
  }

  private line(line: string): void {
    const c = line.charCodeAt(0);
    if (c === 35 /* # */) return this.comment(line);
    if (c === 42 /* * */) return this.startTable(line);
    if (c === 58 /* : */) return this.chainLine(line);
    if (line === 'COMMIT') return this.commit();
    this.command(line, 0, line.length);
  }

  /** A command line (`-A …`, `[p:b] -A …`, `-N`, `-P`) held in text[start, stop). */
  private command(text: string, start: number, stop: number): void {
    if (this.table && this.lines.append(text, start, stop, this.ctx.line, this.lookup)) return;
    this.text = text;
    this.start = start;
    this.stop = stop;
    const lx = this.lx;
    if (!lx.lex(text, start, stop)) {
      this.diagnostics.push(lx.error(this.ctx.file, this.ctx.line));
      return;
    }
    if (lx.count === 0) return;
    let at = 0;
    let counters: Rule['counters'];
    const first = lx.texts[0]!;
    if (first.charCodeAt(0) === 91 /* [ */ && !lx.quoted[0]) {
      const parsed = this.ctx.intern!.bracketCounters(first);
      if (!parsed) {
        lineError(
          this.ctx,
          'parse.bad-counters',
          `bad counters "${first}": expected [packets:bytes]`,
          lx.columns[0]!,
          first.length,
        );
        return;
      }
      counters = parsed;
      at = 1;
    }
    if (at >= lx.count) {
      lineError(
        this.ctx,
        'parse.unexpected-line',
        'counters without a rule: expected -A CHAIN after them',
        1,
        stop - start,
      );
      return;
    }
    const cmd = lx.texts[at]!;
    const cmdCol = lx.columns[at]!;
    if (!this.table || !this.chains) {
      lineError(
        this.ctx,
        'parse.outside-table',
        `"${cmd}" outside a table: expected a *filter (or *nat, …) line first`,
        cmdCol,
        cmd.length,
      );
      return;
    }
    switch (cmd) {
      case '-A':
      case '--append':
      case '-I':
      case '--insert':
        return this.ruleLine(at, counters);
      case '-N':
      case '--new-chain':
        if (at === 0) return this.newChain();
        break;
      case '-P':
      case '--policy':
        if (at === 0) return this.policy();
        break;
    }
    lineError(
      this.ctx,
      'parse.unexpected-line',
      `unexpected "${cmd}": expected -A CHAIN …, :CHAIN POLICY [p:b], COMMIT or a # comment`,
      cmdCol,
      cmd.length,
    );
  }

  private comment(line: string): void {
    if (line.startsWith(LEGACY_WARNING_PREFIX)) {
      this.legacyTablesPresent = true;
      return;
    }
    if (line.startsWith('# Generated by')) {
      const info = headerInfo(line);
      if (info.variant) this.variant ??= info.variant;
      this.afterCommit = undefined;
    }
    if (this.table) (this.table.commentsBefore ??= []).push(line);
    else if (this.afterCommit) (this.afterCommit.commentsAfter ??= []).push(line);
    else this.pending.push(line);
  }

  private startTable(line: string): void {
    const name = line.slice(1).trim();
    if (this.table) {
      lineError(
        this.ctx,
        'parse.missing-commit',
        `"${line}" inside table ${this.table.name}: expected COMMIT first`,
        1,
        line.length,
      );
      return;
    }
    if (!isTableName(name)) {
      lineError(
        this.ctx,
        'parse.unknown-table',
        `unknown table "${name}": expected filter, nat, mangle, raw or security`,
        2,
        Math.max(1, name.length),
      );
      return;
    }
    if (this.tables.some((t) => t.name === name)) {
      lineError(
        this.ctx,
        'parse.duplicate-table',
        `table ${name} appears twice: expected each table once`,
        1,
        line.length,
      );
      return;
    }
    const table: Table = { name, chains: [] };
    if (this.pending.length > 0) table.commentsBefore = this.pending;
    this.pending = [];
    this.afterCommit = undefined;
    this.table = table;
    this.chains = new ChainIndex(table, this.makeChain);
    this.lines.newTable();
    this.tableLine = this.ctx.line;
    this.tables.push(table);
  }

  private chainLine(line: string): void {
    if (!this.table || !this.chains) {
      lineError(
        this.ctx,
        'parse.outside-table',
        'chain line outside a table: expected a *filter (or *nat, …) line first',
        1,
        line.length,
      );
      return;
    }
    const parts = line
      .slice(1)
      .trim()
      .split(/[ \t]+/);
    const [name, policyText, countersText] = parts;
    if (!name || policyText === undefined || parts.length > 3) {
      lineError(
        this.ctx,
        'parse.bad-chain-line',
        `bad chain line: expected ":NAME POLICY [packets:bytes]"`,
        1,
        line.length,
      );
      return;
    }
    const policy = parsePolicy(policyText);
    const policyCol = 2 + name.length + 1;
    if (policy === undefined) {
      lineError(
        this.ctx,
        'parse.bad-policy',
        `bad policy "${policyText}": expected ACCEPT, DROP or - (user chain)`,
        policyCol,
        Math.max(1, policyText.length),
      );
      return;
    }
    const chain = this.makeChain({
      name,
      policy,
      pos: { file: this.ctx.file, line: this.ctx.line, column: 1 },
    });
    if (countersText !== undefined) {
      const counters = parseBracketCounters(countersText);
      if (!counters) {
        lineError(
          this.ctx,
          'parse.bad-counters',
          `bad counters "${countersText}": expected [packets:bytes]`,
          policyCol + policyText.length + 1,
          countersText.length,
        );
        return;
      }
      chain.counters = counters;
    }
    if (this.chains.get(name)) {
      lineError(
        this.ctx,
        'parse.duplicate-chain',
        `chain ${name} declared twice in table ${this.table.name}`,
        2,
        name.length,
      );
      return;
    }
    this.chains.add(chain);
  }

  private ruleLine(at: number, counters: Rule['counters']): void {
    const lx = this.lx;
    const before = this.diagnostics.length;
    const cmd = parseRuleCommand(lx, at, this.ctx);
    if (!cmd) return;
    const chain = this.chains!.resolve(cmd.chain);
    if (!chain) {
      lineError(
        this.ctx,
        'parse.unknown-chain',
        `chain ${cmd.chain} is not declared in table ${this.table!.name}: expected ":${cmd.chain} - [0:0]" before its rules`,
        lx.columns[at + 1]!,
        cmd.chain.length,
      );
      return;
    }
    const clean = this.diagnostics.length === before;
    if (!cmd.insert && this.lines.accept(chain, this.text, this.start, this.stop, this.ctx.line, clean))
      return;
    if (counters) cmd.rule.counters = counters;
    applyRuleCommand(chain, cmd, this.ctx, lx.columns[at]!);
  }

  private newChain(): void {
    const lx = this.lx;
    if (lx.count !== 2) {
      lineError(this.ctx, 'parse.bad-chain-line', '-N expects exactly one chain name', lx.columns[0]!, 2);
      return;
    }
    const name = lx.texts[1]!;
    if (this.chains!.get(name)) {
      lineError(
        this.ctx,
        'parse.duplicate-chain',
        `chain ${name} already exists in table ${this.table!.name}`,
        lx.columns[1]!,
        name.length,
      );
      return;
    }
    this.chains!.add(
      this.makeChain({ name, policy: null, pos: { file: this.ctx.file, line: this.ctx.line, column: 1 } }),
    );
  }

  private policy(): void {
    const lx = this.lx;
    if (lx.count !== 3) {
      lineError(
        this.ctx,
        'parse.bad-policy',
        '-P expects a built-in chain and ACCEPT or DROP',
        lx.columns[0]!,
        2,
      );
      return;
    }
    const name = lx.texts[1]!;
    const pol = lx.texts[2]!;
    const policy = parsePolicy(pol);
    if (!policy) {
      lineError(
        this.ctx,
        'parse.bad-policy',
        `bad policy "${pol}": expected ACCEPT or DROP`,
        lx.columns[2]!,
        pol.length,
      );
      return;
    }
    const chain = this.chains!.resolve(name);
    if (!chain) {
      lineError(
        this.ctx,
        'parse.unknown-chain',
        `-P on ${name}: expected a built-in chain of table ${this.table!.name}`,
        lx.columns[1]!,
        name.length,
      );
      return;
    }
    chain.policy = policy;
  }

  private commit(): void {
    if (!this.table) {
      lineError(
        this.ctx,
        'parse.unexpected-line',
        'COMMIT outside a table: expected a *table line before it',
        1,
        6,
      );
      return;
    }
    this.afterCommit = this.table;
    this.table = undefined;
    this.chains = undefined;
  }
}

export function parseIptablesSave(text: string, opts: SaveParseOptions): Result<Ruleset> {
  const family = opts.family ?? guessFamily(text);
  const p = new SaveParser(opts.file, family, text);
  p.parse(text);
  if (p.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: p.diagnostics };
  const rs: Ruleset = { family, tables: p.tables };
  if (p.variant) rs.variant = p.variant;
  if (p.legacyTablesPresent) rs.legacyTablesPresent = true;
  return { value: rs, diagnostics: p.diagnostics };
}

export { printIptablesSave } from './iptables-save-print.js';
