import {
  BUILTIN_CHAINS,
  diag,
  isBuiltinChain,
  TABLES,
  type Chain,
  type ChainPolicy,
  type Diagnostic,
  type Family,
  type Rule,
  type Table,
  type TableName,
} from '../model/index.js';
import type { Interner } from './intern.js';
import { RuleParser } from './body-parser.js';
import type { Lexer } from './tokenize.js';

/** Pieces shared by the iptables-save and `iptables -S` readers. */

export const LEGACY_WARNING_PREFIX = '# Warning: iptables-legacy tables present';

export interface LineContext {
  file: string;
  line: number;
  family: Family;
  diagnostics: Diagnostic[];
  intern?: Interner;
  /** Dumps may carry `-c PKTS BYTES` in rule bodies. */
  allowCounters: true;
  /** Reused for every rule line. */
  parser?: RuleParser;
}

export function lineError(
  ctx: LineContext,
  code: string,
  message: string,
  column: number,
  length = 1,
  hint?: string,
) {
  ctx.diagnostics.push(
    diag(
      'error',
      code,
      message,
      { file: ctx.file, line: ctx.line, column },
      hint === undefined ? { length } : { length, hint },
    ),
  );
}

export function isTableName(name: string): name is TableName {
  return (TABLES as readonly string[]).includes(name);
}

export { parseBracketCounters } from './intern.js';

export function parsePolicy(text: string): ChainPolicy | null | undefined {
  if (text === 'ACCEPT' || text === 'DROP') return text;
  if (text === '-') return null;
  return undefined;
}

/** A table's chains by name, creating built-in chains on first use as iptables-restore does. */
export class ChainIndex {
  private readonly byName = new Map<string, Chain>();
  constructor(
    readonly table: Table,
    /** Makes the chain objects this index creates (iptables-save's reader builds rules lazily). */
    private readonly make: (chain: Omit<Chain, 'rules'>) => Chain = (c) => ({ ...c, rules: [] }),
  ) {
    for (const c of table.chains) this.byName.set(c.name, c);
  }
  get(name: string): Chain | undefined {
    return this.byName.get(name);
  }
  add(chain: Chain): void {
    this.table.chains.push(chain);
    this.byName.set(chain.name, chain);
  }
  /** The chain, or a new built-in chain (policy unchanged: `-`), or undefined for an undeclared user chain. */
  resolve(name: string, implicitUserChains = false): Chain | undefined {
    let c = this.byName.get(name);
    if (!c && (implicitUserChains || isBuiltinChain(this.table.name, name))) {
      c = this.make({ name, policy: null });
      this.add(c);
    }
    return c;
  }
}

export interface RuleCommand {
  /** `-A` appends; `-I` inserts at `position` (1-based). */
  insert: boolean;
  position: number;
  chain: string;
  rule: Rule;
}

/**
 * Reads `-A CHAIN body`, `-I CHAIN [N] body` from the lexer's words, starting at word `at` (the
 * command). Errors go to ctx.diagnostics.
 */
export function parseRuleCommand(lx: Lexer, at: number, ctx: LineContext): RuleCommand | undefined {
  const cmd = lx.texts[at]!;
  const cmdCol = lx.columns[at]!;
  const insert = cmd === '-I' || cmd === '--insert';
  if (at + 1 >= lx.count) {
    lineError(
      ctx,
      'parse.missing-argument',
      `${cmd} expects a chain name, but the line ends here`,
      cmdCol,
      cmd.length,
    );
    return undefined;
  }
  const chain = lx.texts[at + 1]!;
  let bodyStart = at + 2;
  let position = 0;
  if (insert) {
    position = 1;
    const n = lx.texts[bodyStart];
    if (bodyStart < lx.count && n !== undefined && /^\d+$/.test(n)) {
      position = Number(n);
      if (position < 1) {
        lineError(
          ctx,
          'parse.bad-position',
          `rule position must be 1 or more, found ${n}`,
          lx.columns[bodyStart]!,
          n.length,
        );
        return undefined;
      }
      bodyStart++;
    }
  }
  const parser = (ctx.parser ??= new RuleParser());
  const rule = parser.parse(lx, bodyStart, ctx);
  if (!rule) return undefined;
  rule.pos = { file: ctx.file, line: ctx.line, column: cmdCol };
  return { insert, position, chain, rule };
}

/** Applies `-A`/`-I` to a chain. */
export function applyRuleCommand(chain: Chain, cmd: RuleCommand, ctx: LineContext, column: number): boolean {
  if (!cmd.insert) {
    chain.rules.push(cmd.rule);
    return true;
  }
  if (cmd.position > chain.rules.length + 1) {
    lineError(
      ctx,
      'parse.bad-position',
      `cannot insert at position ${cmd.position}: chain ${chain.name} has ${chain.rules.length} rule(s)`,
      column,
    );
    return false;
  }
  chain.rules.splice(cmd.position - 1, 0, cmd.rule);
  return true;
}

/** Built-in chain names for messages. */
export function builtinList(table: TableName): string {
  return BUILTIN_CHAINS[table].join(', ');
}

/** The family a dump is for, judged by the first -s/-d address in its rules. */
/**
 * The family of a dump that does not say it is ip6tables-save output: that of the first `-s`/`-d`
 * address, else IPv4. Read from the text before the rules are parsed, since the parser checks
 * addresses against the family.
 */
export function guessFamily(text: string): Family {
  const header = /^# Generated by (ip6?)tables/m.exec(text);
  if (header) return header[1] === 'ip6' ? 'ipv6' : 'ipv4';
  const addr = /\s(?:-[sd]|--source|--src|--destination|--dst)\s+(?:!\s+)?([^\s]+)/.exec(text);
  return addr?.[1]?.includes(':') ? 'ipv6' : 'ipv4';
}
