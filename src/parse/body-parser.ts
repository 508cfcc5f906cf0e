import {
  diag,
  type Diagnostic,
  type Family,
  type MatchModule,
  type Rule,
  type RuleOption,
  type RuleTarget,
  type Token,
} from '../model/index.js';
import type { Interner } from './intern.js';
import { MATCH_SPECS, matchName, modulesTaking } from './match-specs.js';
import { implicitModuleFor } from './names.js';
import { OptionOwners } from './option-owners.js';
import {
  byGenericOrder,
  COMMANDS,
  GENERIC_EXPECTS,
  GENERIC_LONG,
  GENERIC_SHORT,
  inGenericOrder,
  LONG_COMMANDS,
} from './rule-syntax.js';
import { TARGET_SPECS } from './target-specs.js';
import type { Lexer } from './tokenize.js';
import { ADDRESS_CHECK, type ValueCheck } from './value-checks.js';

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
  private readonly owners = new OptionOwners();
  private targetKind: RuleTarget['kind'] = 'jump';
  // Result of takeArgs.
  private readonly args: Token[] = [];
  private argsNegated = false;

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
    this.owners.reset();
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
    const owners = this.owners;
    for (let k = 0; k < owners.count; k++) {
      const name = owners.names[k]!;
      const options = owners.options[k]!;
      if (k === owners.targetIndex) {
        target = intern
          ? intern.target(this.targetKind, name, options)
          : { kind: this.targetKind, name, options: options.slice() };
      } else {
        matches.push(intern ? intern.module(name, options) : { name, options: options.slice() });
      }
    }
    const rule: Rule = { generic, matches, target };
    if (this.counters) rule.counters = this.counters;
    return rule;
  }

  private tok(at: number): Token {
    if (this.lx.quoted[at] && this.ctx.intern) return this.ctx.intern.token(this.lx.texts[at]!, true);
    return this.lx.value(at);
  }

  private newToken(text: string, quoted: boolean): Token {
    return this.ctx.intern ? this.ctx.intern.token(text, quoted) : { text, quoted };
  }

  private option(name: string, negated: boolean, args: Token[]): RuleOption {
    return this.ctx.intern
      ? this.ctx.intern.option(name, negated, args)
      : { name, negated, args: args.slice() };
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
    const generic = GENERIC_LONG.get(name);
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
    const command = COMMANDS.get(letter);
    if (command) {
      this.error(
        'parse.command-in-rule',
        `"${letter}" (${command}) is a command, not part of a rule: expected match and target options only`,
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
    // One buffer serves every option: `option()` copies what it keeps.
    const args = this.args;
    args.length = 0;
    let negated = false;
    if (inline) args.push(inline);
    const lx = this.lx;
    while (args.length < count) {
      if (this.i >= lx.count) {
        const what = expects ? ` (${expects})` : '';
        const wanted = count === 1 ? 'an argument' : `${count} arguments`;
        const got = args.length === 0 ? '' : ` after ${args.length}`;
        this.error(
          'parse.missing-argument',
          `${lx.texts[at]} expects ${wanted}${what}, but the rule ends here${got}`,
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
    if (!this.takeArgs(at, 1, GENERIC_EXPECTS.get(name), inline)) return;
    const value = this.args[0]!;
    const negated = negation !== NO_TOKEN || this.argsNegated;
    if (name === '-m') {
      const module = matchName(value.text);
      this.owners.add(module, MATCH_SPECS.get(module));
      return;
    }
    if (name === '-j' || name === '-g') {
      if (this.owners.targetIndex >= 0) {
        const prev = `${this.targetKind === 'goto' ? '-g' : '-j'} ${this.owners.names[this.owners.targetIndex]}`;
        this.error(
          'parse.multiple-targets',
          `second target "${optText} ${value.text}": a rule has one target (already ${prev})`,
          at,
        );
        return;
      }
      this.targetKind = name === '-g' ? 'goto' : 'jump';
      this.owners.targetIndex = this.owners.add(
        value.text,
        name === '-j' ? TARGET_SPECS.get(value.text) : undefined,
      );
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
    const valueAt = inline ? at : this.i - 1;
    if ((name === '-s' || name === '-d') && !this.checkValue(ADDRESS_CHECK, optText, value, valueAt)) {
      return;
    }
    if (name === '-p') {
      this.proto = value.text.toLowerCase();
      this.protoNegated = negated;
    }
    this.generic.push(this.option(name, negated, this.args));
  }

  /** False (and an error on the value) when iptables would refuse the value. */
  private checkValue(check: ValueCheck, optText: string, value: Token, valueAt: number): boolean {
    const family = this.ctx.family;
    if (check.ok(value.text, family)) return true;
    const eq = optText.indexOf('=');
    this.error(
      'parse.bad-value',
      `${eq > 2 ? optText.slice(0, eq) : optText} expects ${check.expects(family)}, found "${value.text}"`,
      valueAt,
      check.hint?.(value.text, optText),
    );
    return false;
  }

  private hasGeneric(name: string): boolean {
    for (const o of this.generic) if (o.name === name) return true;
    return false;
  }

  private moduleOption(name: string, at: number, negation: number, inline: Token | undefined): void {
    let hit = this.owners.find(name);
    if (!hit) {
      const unknown = this.owners.unknown();
      if (unknown >= 0) return this.unknownOption(unknown, name, at, negation, inline);
      const pre = this.owners.prefix(name);
      if (pre && pre !== 'ambiguous') {
        if ('generic' in pre) return this.genericOption(pre.generic, at, negation, inline);
        hit = pre;
      }
    }
    if (!hit && this.loadImplicit()) {
      hit = this.owners.find(name);
      if (!hit) {
        const pre = this.owners.prefix(name);
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
        `unknown option "${name}": no module loaded before it takes it; expected an option of ${this.owners.describe()}`,
        at,
        hint,
      );
      return;
    }
    const spec = hit.spec;
    if (!this.takeArgs(at, spec.args, spec.expects, inline)) return;
    if (spec.check && !this.checkValue(spec.check, name, this.args[0]!, inline ? at : this.i - 1)) return;
    this.owners.options[hit.owner]!.push(
      this.option(spec.name, negation !== NO_TOKEN || this.argsNegated, this.args),
    );
  }

  /** `-p tcp --dport 22`: iptables loads the protocol's match for an option nothing else takes. */
  private loadImplicit(): boolean {
    if (this.implicitLoaded || this.proto === undefined || this.protoNegated) return false;
    const module = implicitModuleFor(this.proto);
    const spec = module ? MATCH_SPECS.get(module) : undefined;
    if (!module || !spec) return false;
    this.implicitLoaded = true;
    this.owners.add(module, spec);
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
    this.owners.options[owner]!.push(this.option(name, negated, args));
  }
}

/** Parses a rule body from the lexer's words [start…]; errors go to ctx.diagnostics and give undefined. */
export function parseRuleTokens(lx: Lexer, start: number, ctx: RuleParseContext): Rule | undefined {
  return new RuleParser().parse(lx, start, ctx);
}
