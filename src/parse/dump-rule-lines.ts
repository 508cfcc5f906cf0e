import type { Chain, Family, Rule } from '../model/index.js';
import { parseRuleCommand, type LineContext } from './dump-lines.js';
import type { Interner } from './intern.js';
import { RuleShapes } from './rule-shapes.js';
import { Lexer } from './tokenize.js';

/**
 * The `-A` lines of a dump, validated as they are read but built into `Rule` objects only when their
 * chain's `rules` are first read. A chain's rules are then parsed all at once, with the same parser
 * that validated them, so a consumer sees ordinary objects; one that reads three chains of a
 * 100,000-rule dump pays for three chains.
 *
 * Validation of most lines does not need the full parser: a line whose body has the shape of one
 * that parsed cleanly before (see RuleShapes) is valid for the same reasons. The first line of every
 * shape, and every line with quotes, goes through the full parser, which also reports its errors.
 */

/** Per pending rule: start and stop offsets of its line in the dump text, and its line number. */
const REF_SIZE = 3;

interface Unbuilt {
  /** The rule bodies as written, while the chain's rules are not built; undefined after. */
  bodies(): readonly string[] | undefined;
  /** Rule `i`, parsed alone (the chain stays unbuilt). */
  rule(i: number): Rule;
}

const UNBUILT = new WeakMap<Chain, Unbuilt>();

/**
 * The bodies of a chain's rules exactly as the dump wrote them (`-p tcp -m tcp --dport 22 -j ACCEPT`),
 * when the chain was read from text and its rules have not been built: a planner can then compare
 * rules by text and build only those it must look into (`unbuiltRule`). Undefined otherwise.
 */
export function unbuiltRuleBodies(chain: Chain): readonly string[] | undefined {
  return UNBUILT.get(chain)?.bodies();
}

/** Rule `i` of a chain whose bodies `unbuiltRuleBodies` gave, without building the others. */
export function unbuiltRule(chain: Chain, i: number): Rule {
  const u = UNBUILT.get(chain);
  if (!u) throw new Error(`chain ${chain.name} has no unbuilt rules`);
  return u.rule(i);
}

export interface DumpRuleContext {
  file: string;
  family: Family;
  intern: Interner;
}

export class DumpRuleLines {
  private readonly shapes: RuleShapes;
  private readonly pending = new Map<Chain, number[]>();
  private lexer: Lexer | undefined;
  private lastName = '';
  private lastChain: Chain | undefined;
  /** Where the body of the line last offered to `append` starts, or -1 when it was not reached. */
  private bodyStart = -1;
  private bodyStop = -1;

  constructor(
    private readonly text: string,
    private readonly ctx: DumpRuleContext,
  ) {
    this.shapes = new RuleShapes(ctx.family);
  }

  /** Called when a table starts: chain names mean other chains from now on. */
  newTable(): void {
    this.lastChain = undefined;
    this.lastName = '';
  }

  /** Number of distinct clean body shapes seen (for tests and benchmarks). */
  get shapeCount(): number {
    return this.shapes.size;
  }

  /** A chain whose `rules` are built on first read from the lines recorded for it. */
  chain(base: Omit<Chain, 'rules'>): Chain {
    const refs: number[] = [];
    let rules: Rule[] = [];
    const chain = base as Chain;
    Object.defineProperty(chain, 'rules', {
      enumerable: true,
      configurable: true,
      get: () => {
        if (refs.length > 0) {
          this.build(refs, rules);
          refs.length = 0;
        }
        return rules;
      },
      set: (value: Rule[]) => {
        rules = value;
        refs.length = 0;
      },
    });
    this.pending.set(chain, refs);
    let bodies: string[] | undefined;
    UNBUILT.set(chain, {
      bodies: () => {
        if (rules.length > 0) return undefined;
        if (!bodies || bodies.length * REF_SIZE !== refs.length) bodies = this.bodies(refs);
        return bodies;
      },
      rule: (i) => {
        const one: Rule[] = [];
        this.build(refs.slice(i * REF_SIZE, (i + 1) * REF_SIZE), one);
        return one[0]!;
      },
    });
    return chain;
  }

  /** The body of each referenced `[p:b] -A CHAIN body` line. */
  private bodies(refs: readonly number[]): string[] {
    const text = this.text;
    const out: string[] = [];
    for (let k = 0; k < refs.length; k += REF_SIZE) {
      let p = refs[k]!;
      const stop = refs[k + 1]!;
      // Skip three words (counters, when present, make it four): [p:b] -A CHAIN.
      for (let words = text.charCodeAt(p) === 91 ? 3 : 2; words > 0; words--) {
        while (p < stop && !isBlank(text.charCodeAt(p))) p++;
        while (p < stop && isBlank(text.charCodeAt(p))) p++;
      }
      out.push(text.slice(p, stop));
    }
    return out;
  }

  /**
   * The fast path for `[p:b] -A CHAIN body` held in text[start, stop): true when the line was
   * recorded, false when the full parser must read it (unknown shape, quotes, anything unusual).
   */
  append(
    text: string,
    start: number,
    stop: number,
    line: number,
    lookup: (name: string) => Chain | undefined,
  ): boolean {
    this.bodyStart = -1;
    if (text !== this.text) return false;
    let p = start;
    if (text.charCodeAt(p) === 91 /* [ */) {
      p = skipBracketCounters(text, p, stop);
      if (p < 0) return false;
    }
    if (text.charCodeAt(p) !== 45 || text.charCodeAt(p + 1) !== 65 || !isBlank(text.charCodeAt(p + 2))) {
      return false;
    }
    p += 3;
    while (p < stop && isBlank(text.charCodeAt(p))) p++;
    const nameStart = p;
    while (p < stop && !isBlank(text.charCodeAt(p))) {
      const c = text.charCodeAt(p);
      if (c === 34 || (c === 39 && p === nameStart)) return false;
      p++;
    }
    if (p === nameStart) return false;
    let chain: Chain | undefined;
    const len = p - nameStart;
    if (this.lastChain && this.lastName.length === len && text.startsWith(this.lastName, nameStart)) {
      chain = this.lastChain;
    } else {
      const name = text.slice(nameStart, p);
      chain = lookup(name);
      if (!chain || !this.pending.has(chain)) return false;
      this.lastName = name;
      this.lastChain = chain;
    }
    this.bodyStart = p;
    this.bodyStop = stop;
    if (!this.shapes.match(text, p, stop)) return false;
    this.pending.get(chain)!.push(start, stop, line);
    return true;
  }

  /**
   * After the full parser accepted an appended rule: record its line (when it is a line of the dump
   * text and the chain is one of ours) and, when the parser said nothing at all, its body's shape.
   * False when the caller must add the parsed rule itself.
   */
  accept(chain: Chain, text: string, start: number, stop: number, line: number, clean: boolean): boolean {
    const refs = this.pending.get(chain);
    if (!refs || text !== this.text) return false;
    if (clean && this.bodyStart >= 0 && this.bodyStop === stop) {
      this.shapes.remember(text, this.bodyStart, stop);
    }
    // Also when the chain was already built (an -I line read it): the getter appends in order.
    refs.push(start, stop, line);
    return true;
  }

  private build(refs: number[], into: Rule[]): void {
    const lx = (this.lexer ??= new Lexer(true));
    const ctx: LineContext = {
      file: this.ctx.file,
      line: 0,
      family: this.ctx.family,
      diagnostics: [],
      intern: this.ctx.intern,
      allowCounters: true,
    };
    const text = this.text;
    for (let k = 0; k < refs.length; k += REF_SIZE) {
      const start = refs[k]!;
      const stop = refs[k + 1]!;
      ctx.line = refs[k + 2]!;
      lx.lex(text, start, stop);
      let at = 0;
      let counters: Rule['counters'] | null = null;
      if (text.charCodeAt(start) === 91 /* [ */) {
        counters = ctx.intern!.bracketCounters(lx.texts[0]!);
        at = 1;
      }
      const cmd = parseRuleCommand(lx, at, ctx);
      if (!cmd) {
        const why = ctx.diagnostics.map((d) => d.message).join('; ');
        throw new Error(`${this.ctx.file}:${ctx.line}: a validated rule line failed to parse: ${why}`);
      }
      if (counters) cmd.rule.counters = counters;
      into.push(cmd.rule);
    }
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

/** Past `[digits:digits]` and its blanks, or -1. */
function skipBracketCounters(text: string, start: number, stop: number): number {
  let p = start + 1;
  let colon = -1;
  for (; p < stop; p++) {
    const c = text.charCodeAt(p);
    if (c === 93 /* ] */) break;
    if (c === 58 && colon < 0) colon = p;
    else if (c < 48 || c > 57) return -1;
  }
  if (p >= stop || colon <= start + 1 || colon >= p - 1 || !isBlank(text.charCodeAt(p + 1))) return -1;
  p++;
  while (p < stop && isBlank(text.charCodeAt(p))) p++;
  return p;
}
