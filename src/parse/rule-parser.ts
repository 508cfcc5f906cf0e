import {
  diag,
  type Diagnostic,
  type Family,
  type MatchModule,
  type Result,
  type Rule,
  type RuleOption,
  type RuleTarget,
  type Token,
} from '../model/index.js';
import { MATCH_SPECS, matchName, modulesTaking } from './match-specs.js';
import type { CompiledSpec, OptionSpec } from './module-spec.js';
import { implicitModuleFor } from './names.js';
import { TARGET_SPECS } from './target-specs.js';
import type { Interner } from './intern.js';
import { Lexer } from './tokenize.js';

/**
 * Rule bodies (`-p tcp --dport 22 -j ACCEPT`) parsed the way iptables parses them: generic options,
 * `-m` modules whose options go to the newest loaded module that takes them, the protocol's match
 * loaded implicitly for an option only it knows, and `-j`/`-g` targets. Unknown modules and targets
 * keep every following `--option` and value verbatim.
 */

export interface RuleParseContext {
  family: Family;
  file: string;
  line: number;
  /** Accept `-c PKTS BYTES` (iptables-restore's counters form) in the body. */
  allowCounters?: boolean;
  diagnostics: Diagnostic[];
  /** Shares (and freezes) equal options between the rules of one dump. */
  intern?: Interner;
}

/** Generic options in the order iptables-save prints them. */
const GENERIC_ORDER: Record<string, number> = { '-s': 0, '-d': 1, '-i': 2, '-o': 3, '-p': 4, '-f': 5 };

const GENERIC_LONG: Record<string, string> = {
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--fragment': '-f',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
  '--set-counters': '-c',
};
const GENERIC_LONG_NAMES = Object.keys(GENERIC_LONG);
const GENERIC_SHORT = new Set(['-s', '-d', '-i', '-o', '-p', '-f', '-m', '-j', '-g', '-c']);

const COMMANDS: Record<string, string> = {
  '-A': 'append',
  '-I': 'insert',
  '-D': 'delete',
  '-R': 'replace',
  '-N': 'new-chain',
  '-X': 'delete-chain',
  '-P': 'policy',
  '-F': 'flush',
  '-Z': 'zero',
  '-E': 'rename-chain',
  '-L': 'list',
  '-S': 'list-rules',
  '-C': 'check',
  '-t': 'table',
};
const LONG_COMMANDS = new Set([
  '--append',
  '--insert',
  '--delete',
  '--replace',
  '--new-chain',
  '--delete-chain',
  '--policy',
  '--flush',
  '--zero',
  '--rename-chain',
  '--list',
  '--list-rules',
  '--check',
  '--table',
]);

const GENERIC_EXPECTS: Record<string, string> = {
  '-s': 'a source address or network',
  '-d': 'a destination address or network',
  '-i': 'an input interface name',
  '-o': 'an output interface name',
  '-p': 'a protocol (tcp, udp, icmp, a number)',
  '-m': 'a match module name',
  '-j': 'a target or chain name',
  '-g': 'a chain name',
};

const NO_TOKEN = -1;

/**
 * Reusable parser of rule bodies held in a `Lexer`. One instance serves every rule of a dump; its
 * per-rule state is reset by `parse`.
 */
export class RuleParser {
  private ctx!: RuleParseContext;
  private lx!: Lexer;
  private i = 0;
  private failed = false;
  private generic: RuleOption[] = [];
  private counters: Rule['counters'];
  private proto: string | undefined;
  private protoNegated = false;
  private implicitLoaded = false;
  // Loaded modules and the target, in load order ("owners" of options).
  private ownerCount = 0;
  private targetIndex = -1;
  private targetKind: RuleTarget['kind'] = 'jump';
  private readonly ownerNames: string[] = [];
  private readonly ownerSpecs: (CompiledSpec | undefined)[] = [];
  private readonly ownerOptions: RuleOption[][] = [];
  // Result of takeArgs.
  private args: Token[] = [];
  private argsNegated = false;
  private readonly scratch: Token[] = [];

  parse(lx: Lexer, start: number, ctx: RuleParseContext): Rule | undefined {
    this.ctx = ctx;
    this.lx = lx;
    this.i = start;
    this.failed = false;
    this.generic = [];
    this.counters = undefined;
    this.proto = undefined;
    this.protoNegated = false;
    this.implicitLoaded = false;
    this.ownerCount = 0;
    this.targetIndex = -1;
    const texts = lx.texts;
    const quoted = lx.quoted;
    const n = lx.count;
    let negation = NO_TOKEN;
    while (this.i < n && !this.failed) {
      const at = this.i;
      const text = texts[at]!;
      if (text === '!' && !quoted[at]) {
        if (negation !== NO_TOKEN) {
          this.error('parse.double-negation', 'two "!" in a row: expected an option after "!"', at);
          break;
        }
        negation = at;
        this.i++;
        if (this.i >= n) {
          this.error(
            'parse.dangling-negation',
            '"!" at the end of the rule: expected an option to negate',
            at,
          );
        }
        continue;
      }
      if (text.length < 2 || text.charCodeAt(0) !== 45) {
        if (negation !== NO_TOKEN) {
          this.error('parse.unexpected-token', `expected an option after "!", found "${text}"`, at);
        } else {
          this.error(
            'parse.unexpected-token',
            `unexpected "${text}": expected an option (starting with - or --)`,
            at,
            'values follow the option they belong to, e.g. --dport 22',
          );
        }
        break;
      }
      this.i++;
      if (text.charCodeAt(1) === 45) this.longOption(at, negation);
      else this.shortOption(at, negation);
      negation = NO_TOKEN;
    }
    if (this.failed) return undefined;
    return this.finish();
  }

  private finish(): Rule {
    const generic = this.generic;
    if (generic.length > 1 && !inGenericOrder(generic)) generic.sort(byGenericOrder);
    const intern = this.ctx.intern;
    const matches: MatchModule[] = [];
    let target: RuleTarget | null = null;
    for (let k = 0; k < this.ownerCount; k++) {
      const name = this.ownerNames[k]!;
      const options = this.ownerOptions[k]!;
      if (k === this.targetIndex) {
        target = intern
          ? intern.target(this.targetKind, name, options)
          : { kind: this.targetKind, name, options };
      } else {
        matches.push(intern ? intern.module(name, options) : { name, options });
      }
    }
    const rule: Rule = { generic, matches, target };
    if (this.counters) rule.counters = this.counters;
    return rule;
  }

  private addOwner(name: string, spec: CompiledSpec | undefined): number {
    const k = this.ownerCount++;
    this.ownerNames[k] = name;
    this.ownerSpecs[k] = spec;
    if (this.ctx.intern && this.ownerOptions[k]) this.ownerOptions[k]!.length = 0;
    else this.ownerOptions[k] = [];
    return k;
  }

  private tok(at: number): Token {
    if (this.lx.quoted[at] && this.ctx.intern) return this.ctx.intern.token(this.lx.texts[at]!, true);
    return this.lx.value(at);
  }

  private newToken(text: string, quoted: boolean): Token {
    return this.ctx.intern ? this.ctx.intern.token(text, quoted) : { text, quoted };
  }

  private option(name: string, negated: boolean, args: Token[]): RuleOption {
    return this.ctx.intern ? this.ctx.intern.option(name, negated, args) : { name, negated, args };
  }

  private error(code: string, message: string, at: number, hint?: string): void {
    this.failed = true;
    const text = this.lx.texts[at] ?? '';
    const length = Math.max(1, text.length);
    this.ctx.diagnostics.push(
      diag(
        'error',
        code,
        message,
        { file: this.ctx.file, line: this.ctx.line, column: this.lx.columns[at] ?? 1 },
        hint === undefined ? { length } : { length, hint },
      ),
    );
  }

  private isOptionLike(at: number): boolean {
    const t = this.lx.texts[at]!;
    if (this.lx.quoted[at] || t.length < 2 || t.charCodeAt(0) !== 45) return false;
    const c = t.charCodeAt(1);
    return c === 45 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  }

  private longOption(at: number, negation: number): void {
    let name = this.lx.texts[at]!;
    let inline: Token | undefined;
    const eq = name.indexOf('=');
    if (eq > 2) {
      inline = this.newToken(name.slice(eq + 1), this.lx.quoted[at]!);
      name = name.slice(0, eq);
    }
    const generic = GENERIC_LONG[name];
    if (generic) return this.genericOption(generic, at, negation, inline);
    if (LONG_COMMANDS.has(name)) {
      this.error(
        'parse.command-in-rule',
        `"${name}" is a command, not part of a rule: expected match and target options only`,
        at,
      );
      return;
    }
    this.moduleOption(name, at, negation, inline);
  }

  private shortOption(at: number, negation: number): void {
    const text = this.lx.texts[at]!;
    const letter = text.length === 2 ? text : text.slice(0, 2);
    if (COMMANDS[letter]) {
      this.error(
        'parse.command-in-rule',
        `"${letter}" (${COMMANDS[letter]}) is a command, not part of a rule: expected match and target options only`,
        at,
      );
      return;
    }
    if (!GENERIC_SHORT.has(letter)) {
      this.error(
        'parse.unknown-option',
        `unknown option "${text}": expected one of -s -d -i -o -p -f -m -j -g, or a --long module option`,
        at,
      );
      return;
    }
    if (text.length > 2) {
      const hint = letter === '-f' ? '-f takes no value' : `write "${letter} ${text.slice(2)}"`;
      this.error(
        'parse.unknown-option',
        `unknown option "${text}": expected "${letter}" and its value as two words`,
        at,
        hint,
      );
      return;
    }
    this.genericOption(letter, at, negation, undefined);
  }

  /** Takes `count` arguments after the option at `at` into this.args (the old `--opt ! value` form included). */
  private takeArgs(
    at: number,
    count: number,
    expects: string | undefined,
    inline: Token | undefined,
  ): boolean {
    // With interning the arguments are copied only when a new option is made, so reuse one array.
    const args: Token[] = this.ctx.intern ? this.scratch : [];
    args.length = 0;
    let negated = false;
    if (inline) args.push(inline);
    const lx = this.lx;
    while (args.length < count) {
      if (this.i >= lx.count) {
        const what = expects ? ` (${expects})` : '';
        const missing = count - args.length;
        this.error(
          'parse.missing-argument',
          `${lx.texts[at]} expects ${missing === 1 ? 'an argument' : `${missing} more arguments`}${what}, but the rule ends here`,
          at,
        );
        return false;
      }
      const next = this.i;
      if (args.length === 0 && !negated && lx.texts[next] === '!' && !lx.quoted[next]) {
        if (next + 1 < lx.count && !this.isOptionLike(next + 1)) {
          negated = true;
          this.warnOldNegation(at, next);
          this.i++;
          continue;
        }
      }
      args.push(this.tok(next));
      this.i++;
    }
    this.args = args;
    this.argsNegated = negated;
    return true;
  }

  private warnOldNegation(at: number, bang: number): void {
    const opt = this.lx.texts[at]!;
    this.ctx.diagnostics.push(
      diag(
        'warning',
        'parse.old-negation',
        `"${opt} ! value" is the old way to negate; iptables 1.8 wants "! ${opt} value"`,
        { file: this.ctx.file, line: this.ctx.line, column: this.lx.columns[bang]! },
        { length: 1, hint: `write "! ${opt} …"` },
      ),
    );
  }

  private genericOption(name: string, at: number, negation: number, inline: Token | undefined): void {
    const optText = this.lx.texts[at]!;
    if (negation !== NO_TOKEN && (name === '-m' || name === '-j' || name === '-g' || name === '-c')) {
      this.error(
        'parse.bad-negation',
        `"${optText}" cannot be negated: expected an option that "!" can apply to`,
        negation,
      );
      return;
    }
    if (name === '-c') {
      if (!this.ctx.allowCounters) {
        this.error(
          'parse.unexpected-counters',
          'counters (-c) do not belong in a rule: expected match and target options',
          at,
        );
        return;
      }
      if (!this.takeArgs(at, 2, 'packet and byte counts', inline)) return;
      const [p, b] = this.args as [Token, Token];
      if (!/^\d+$/.test(p.text) || !/^\d+$/.test(b.text)) {
        this.error(
          'parse.bad-counters',
          `-c expects two numbers (packets bytes), found "${p.text} ${b.text}"`,
          at,
        );
        return;
      }
      this.counters = this.ctx.intern
        ? this.ctx.intern.counter(p.text, b.text)
        : { packets: p.text, bytes: b.text };
      return;
    }
    if (name === '-f') {
      if (this.hasGeneric('-f')) {
        this.error('parse.duplicate-option', '-f given twice: expected at most one -f', at);
        return;
      }
      this.generic.push(this.option(name, negation !== NO_TOKEN, []));
      return;
    }
    if (!this.takeArgs(at, 1, GENERIC_EXPECTS[name], inline)) return;
    const value = this.args[0]!;
    const negated = negation !== NO_TOKEN || this.argsNegated;
    if (name === '-m') {
      const module = matchName(value.text);
      this.addOwner(module, MATCH_SPECS.get(module));
      return;
    }
    if (name === '-j' || name === '-g') {
      if (this.targetIndex >= 0) {
        const prev = `${this.targetKind === 'goto' ? '-g' : '-j'} ${this.ownerNames[this.targetIndex]}`;
        this.error(
          'parse.multiple-targets',
          `second target "${optText} ${value.text}": a rule has one target (already ${prev})`,
          at,
        );
        return;
      }
      this.targetKind = name === '-g' ? 'goto' : 'jump';
      this.targetIndex = this.addOwner(value.text, name === '-j' ? TARGET_SPECS.get(value.text) : undefined);
      return;
    }
    if (this.hasGeneric(name)) {
      this.error('parse.duplicate-option', `${name} given twice: a rule takes one ${name} option`, at);
      return;
    }
    if ((name === '-s' || name === '-d') && value.text.includes(',')) {
      this.error(
        'parse.address-list',
        `${name} with a list of addresses: iptables would add one rule per address; expected a single address or network`,
        at,
        'write one rule per address, or use an ipset with -m set --match-set',
      );
      return;
    }
    if (name === '-p') {
      this.proto = value.text.toLowerCase();
      this.protoNegated = negated;
    }
    this.generic.push(this.option(name, negated, this.args));
  }

  private hasGeneric(name: string): boolean {
    for (const o of this.generic) if (o.name === name) return true;
    return false;
  }

  /** The newest loaded module or target that knows the option exactly. */
  private findOwner(name: string): { owner: number; spec: OptionSpec } | undefined {
    for (let k = this.ownerCount - 1; k >= 0; k--) {
      const s = this.ownerSpecs[k]?.byName.get(name);
      if (s) return { owner: k, spec: s };
    }
    return undefined;
  }

  private unknownOwner(): number {
    for (let k = this.ownerCount - 1; k >= 0; k--) if (!this.ownerSpecs[k]) return k;
    return -1;
  }

  /** getopt_long accepts a unique prefix of a long option. */
  private prefixMatch(
    name: string,
  ): { owner: number; spec: OptionSpec } | { generic: string } | 'ambiguous' | undefined {
    let found: { owner: number; spec: OptionSpec } | { generic: string } | undefined;
    for (const g of GENERIC_LONG_NAMES) {
      if (!g.startsWith(name)) continue;
      if (found && (!('generic' in found) || found.generic !== GENERIC_LONG[g])) return 'ambiguous';
      found = { generic: GENERIC_LONG[g]! };
    }
    for (let k = this.ownerCount - 1; k >= 0; k--) {
      const spec = this.ownerSpecs[k];
      if (!spec) continue;
      for (const sp of spec.spellings) {
        if (!sp.startsWith(name)) continue;
        const os = spec.byName.get(sp)!;
        if (found && (!('spec' in found) || found.spec.name !== os.name)) return 'ambiguous';
        if (!found) found = { owner: k, spec: os };
      }
    }
    return found;
  }

  private moduleOption(name: string, at: number, negation: number, inline: Token | undefined): void {
    let hit = this.findOwner(name);
    if (!hit) {
      const unknown = this.unknownOwner();
      if (unknown >= 0) return this.unknownOption(unknown, name, at, negation, inline);
      const pre = this.prefixMatch(name);
      if (pre && pre !== 'ambiguous') {
        if ('generic' in pre) return this.genericOption(pre.generic, at, negation, inline);
        hit = pre;
      }
    }
    if (!hit && this.loadImplicit()) {
      hit = this.findOwner(name);
      if (!hit) {
        const pre = this.prefixMatch(name);
        if (pre && pre !== 'ambiguous' && !('generic' in pre)) hit = pre;
      }
    }
    if (!hit) {
      const takers = modulesTaking(name);
      const hint =
        takers.length > 0
          ? `${name} belongs to ${takers.map((m) => `-m ${m}`).join(' or ')}; load it before the option`
          : undefined;
      this.error(
        'parse.unknown-option',
        `unknown option "${name}": no module loaded before it takes it; expected an option of ${this.ownerList()}`,
        at,
        hint,
      );
      return;
    }
    const spec = hit.spec;
    if (!this.takeArgs(at, spec.args, spec.expects, inline)) return;
    this.ownerOptions[hit.owner]!.push(
      this.option(spec.name, negation !== NO_TOKEN || this.argsNegated, this.args),
    );
  }

  private ownerList(): string {
    const names: string[] = [];
    for (let k = 0; k < this.ownerCount; k++) {
      names.push(k === this.targetIndex ? `-j ${this.ownerNames[k]}` : `-m ${this.ownerNames[k]}`);
    }
    return names.length > 0
      ? `${names.join(', ')} or a generic option`
      : 'a generic option (-s -d -i -o -p -f -m -j -g)';
  }

  /** `-p tcp --dport 22`: iptables loads the protocol's match for an option nothing else takes. */
  private loadImplicit(): boolean {
    if (this.implicitLoaded || this.proto === undefined || this.protoNegated) return false;
    const module = implicitModuleFor(this.proto);
    const spec = module ? MATCH_SPECS.get(module) : undefined;
    if (!module || !spec) return false;
    this.implicitLoaded = true;
    this.addOwner(module, spec);
    return true;
  }

  /** An option of a module or target dockwall does not know: it takes the values that follow it. */
  private unknownOption(
    owner: number,
    name: string,
    at: number,
    negation: number,
    inline: Token | undefined,
  ): void {
    const args: Token[] = inline ? [inline] : [];
    let negated = negation !== NO_TOKEN;
    const lx = this.lx;
    while (this.i < lx.count) {
      const next = this.i;
      if (lx.texts[next] === '!' && !lx.quoted[next]) {
        if (next + 1 >= lx.count || this.isOptionLike(next + 1) || negated || args.length > 0) break;
        negated = true;
        this.warnOldNegation(at, next);
        this.i++;
        continue;
      }
      if (this.isOptionLike(next)) break;
      args.push(this.tok(next));
      this.i++;
    }
    this.ownerOptions[owner]!.push(this.option(name, negated, args));
  }
}

function inGenericOrder(options: readonly RuleOption[]): boolean {
  for (let k = 1; k < options.length; k++) {
    if ((GENERIC_ORDER[options[k - 1]!.name] ?? 9) > (GENERIC_ORDER[options[k]!.name] ?? 9)) return false;
  }
  return true;
}

function byGenericOrder(a: RuleOption, b: RuleOption): number {
  return (GENERIC_ORDER[a.name] ?? 9) - (GENERIC_ORDER[b.name] ?? 9);
}

/** Parses a rule body from the lexer's words [start…]; errors go to ctx.diagnostics and give undefined. */
export function parseRuleTokens(lx: Lexer, start: number, ctx: RuleParseContext): Rule | undefined {
  return new RuleParser().parse(lx, start, ctx);
}

export interface RuleTextOptions {
  family: Family;
  file: string;
  line: number;
  column: number;
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
  const lx = new Lexer();
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
  const rule = parseRuleTokens(lx, 0, {
    family: opts.family,
    file: opts.file,
    line: opts.line,
    diagnostics,
  });
  if (!rule) return { diagnostics };
  rule.pos = pos;
  return { value: rule, diagnostics };
}
