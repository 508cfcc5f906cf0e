import type { Counters, MatchModule, RuleOption, RuleTarget, Token } from '../model/index.js';

/**
 * Shares equal tokens, options, matches and targets between the rules of one dump: a 100,000-rule
 * dump repeats the same few hundred of them, and sharing keeps parsing fast and memory small.
 * Shared objects are frozen, so an accidental edit through one rule throws instead of changing
 * others. Lookups walk maps keyed by the (already shared) parts, so no keys are built.
 */

interface ListNode<T> {
  value?: T;
  next?: Map<RuleOption, ListNode<T>>;
}

function walk<T>(root: ListNode<T>, options: readonly RuleOption[]): ListNode<T> {
  let node = root;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    let map = node.next;
    if (!map) node.next = map = new Map();
    let child = map.get(o);
    if (!child) map.set(o, (child = {}));
    node = child;
  }
  return node;
}

/** `[packets:bytes]` → counters, or null. */
export function parseBracketCounters(text: string): Counters | null {
  const n = text.length;
  if (n < 5 || text.charCodeAt(0) !== 91 || text.charCodeAt(n - 1) !== 93) return null;
  let colon = -1;
  for (let i = 1; i < n - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 && colon < 0) colon = i;
    else if (c < 48 || c > 57) return null;
  }
  if (colon <= 1 || colon >= n - 2) return null;
  return { packets: text.slice(1, colon), bytes: text.slice(colon + 1, n - 1) };
}

const NO_ARGS: readonly Token[] = Object.freeze([]);

export class Interner {
  private readonly tokens = new Map<string, Token>();
  private readonly quoted = new Map<string, Token>();
  /** name → one-argument options by negated(0/1) → arg (or null for none) → option */
  private readonly options1 = new Map<string, Map<Token | null, RuleOption>[]>();
  /** name → two-argument options by negated(0/1) → first arg → second arg → option */
  private readonly options2 = new Map<string, Map<Token, Map<Token, RuleOption>>[]>();
  private readonly modules = new Map<string, ListNode<MatchModule>>();
  private readonly targets = new Map<string, ListNode<RuleTarget>>();
  private readonly counters = new Map<string, Counters>();

  token(text: string, quoted: boolean): Token {
    const map = quoted ? this.quoted : this.tokens;
    let t = map.get(text);
    if (!t) {
      t = Object.freeze({ text, quoted });
      map.set(text, t);
    }
    return t;
  }

  /** `args` must hold tokens from `token()`. */
  option(name: string, negated: boolean, args: readonly Token[]): RuleOption {
    if (args.length > 2)
      return Object.freeze({ name, negated, args: Object.freeze(args.slice()) as Token[] });
    const first = args.length > 0 ? args[0]! : null;
    if (args.length <= 1) {
      let byNeg = this.options1.get(name);
      if (!byNeg) this.options1.set(name, (byNeg = [new Map(), new Map()]));
      const byArg = byNeg[negated ? 1 : 0]!;
      let o = byArg.get(first);
      if (!o) {
        o = Object.freeze({
          name,
          negated,
          args: args.length === 0 ? (NO_ARGS as Token[]) : (Object.freeze([first!]) as Token[]),
        });
        byArg.set(first, o);
      }
      return o;
    }
    let byNeg = this.options2.get(name);
    if (!byNeg) this.options2.set(name, (byNeg = [new Map(), new Map()]));
    const byFirst = byNeg[negated ? 1 : 0]!;
    let bySecond = byFirst.get(first!);
    if (!bySecond) byFirst.set(first!, (bySecond = new Map()));
    let o = bySecond.get(args[1]!);
    if (!o) {
      o = Object.freeze({ name, negated, args: Object.freeze(args.slice()) as Token[] });
      bySecond.set(args[1]!, o);
    }
    return o;
  }

  /** `options` must hold options from `option()`. */
  module(name: string, options: readonly RuleOption[]): MatchModule {
    let root = this.modules.get(name);
    if (!root) this.modules.set(name, (root = {}));
    const node = walk(root, options);
    return (node.value ??= Object.freeze({ name, options: Object.freeze(options.slice()) as RuleOption[] }));
  }

  target(kind: RuleTarget['kind'], name: string, options: readonly RuleOption[]): RuleTarget {
    const key = kind === 'jump' ? name : `\u0000${name}`;
    let root = this.targets.get(key);
    if (!root) this.targets.set(key, (root = {}));
    const node = walk(root, options);
    return (node.value ??= Object.freeze({
      kind,
      name,
      options: Object.freeze(options.slice()) as RuleOption[],
    }));
  }

  /** Counters written `[packets:bytes]` (the text is the key), or null when malformed. */
  bracketCounters(text: string): Counters | null {
    let c = this.counters.get(text);
    if (c) return c;
    const parsed = parseBracketCounters(text);
    if (!parsed) return null;
    c = Object.freeze(parsed);
    if (this.counters.size < 4096) this.counters.set(text, c);
    return c;
  }

  counter(packets: string, bytes: string): Counters {
    return this.bracketCounters(`[${packets}:${bytes}]`) ?? { packets, bytes };
  }
}
