import type { Family, MatchModule, Rule, RuleOption, RuleTarget, Token } from '../model/index.js';
import { canonicalNetwork } from './address.js';
import { MATCH_SPECS } from './match-specs.js';
import type { CanonContext, CompiledSpec } from './module-spec.js';
import { protocolName, protocolNumber } from './names.js';
import { formatToken, isBareValue, needsQuoting } from './quote.js';
import { byGenericOrder, inGenericOrder } from './rule-syntax.js';
import { TARGET_SPECS } from './target-specs.js';

/**
 * The canonical form of a rule: what iptables-save (1.8.9, nf_tables and legacy alike) prints after
 * the rule is added. A rule written by a person and the same rule read back from iptables have the
 * same canonical form, so `ruleKey` compares them. Parts dockwall does not understand (unknown
 * modules, host names) are kept as written.
 */

/** Modules whose matches iptables-nft folds into one when they sit in the same rule (`-m tcp … -m tcp`). */
const MERGED_BY_NFT = new Set(['tcp', 'udp']);

function canonGeneric(o: RuleOption, family: Family, transient: boolean): RuleOption | null {
  const arg = o.args[0];
  if (!arg) return transient && o.args.length === 0 ? o : { name: o.name, negated: o.negated, args: [] };
  let text = arg.text;
  switch (o.name) {
    case '-s':
    case '-d': {
      const net = canonicalNetwork(text, family);
      if (net) {
        if (net.prefix === 0 && !o.negated) return null;
        text = net.text;
      }
      break;
    }
    case '-i':
    case '-o':
      // `-i +` matches every interface; iptables stores no interface match for it.
      if (text === '+' && !o.negated) return null;
      break;
    case '-p': {
      const n = protocolNumber(text);
      if (n !== null) {
        if (n === 0 && !o.negated) return null;
        text = protocolName(n);
      } else {
        text = text.toLowerCase();
      }
      break;
    }
  }
  const quoted = needsQuoting(text);
  // A frozen (shared) option already in canonical spelling is its own canonical form; so is any
  // option in a form only read, never kept (`transient`, see ruleKey).
  if (o.args.length === 1 && text === arg.text && quoted === arg.quoted && (transient || Object.isFrozen(o)))
    return o;
  return { name: o.name, negated: o.negated, args: [{ text, quoted }] };
}

function canonOptions(
  spec: CompiledSpec | undefined,
  options: readonly RuleOption[],
  ctx: CanonContext,
  transient = false,
): RuleOption[] {
  // `transient`: an option already in canonical spelling is kept as it is (the caller only reads
  // the result); the hooks (`spec.canon`) never change what they are given.
  let out: RuleOption[] | undefined;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    const c = canonOption(spec, o, ctx, transient);
    if (c !== o && !out) out = options.slice(0, i);
    out?.push(c);
  }
  out ??= options.slice();
  if (!spec) return out;
  if (spec.canon) out = spec.canon(out, ctx);
  return sortOptions(spec, out);
}

function canonOption(
  spec: CompiledSpec | undefined,
  o: RuleOption,
  ctx: CanonContext,
  transient: boolean,
): RuleOption {
  const os = spec?.byName.get(o.name);
  const name = os?.name ?? o.name;
  const n = o.args.length;
  let args: Token[] | undefined = transient && name === o.name ? undefined : [];
  for (let i = 0; i < n; i++) {
    const a = o.args[i]!;
    let text = a.text;
    if (i === 0 && os?.value && n === 1) text = os.value(text, ctx) ?? text;
    const quoted = os
      ? os.saveString === true
        ? !isBareValue(text)
        : needsQuoting(text)
      : a.quoted || needsQuoting(text);
    if (!args) {
      if (text === a.text && quoted === a.quoted) continue;
      args = o.args.slice(0, i).map((x) => ({ text: x.text, quoted: x.quoted }));
    }
    args.push({ text, quoted });
  }
  return args ? { name, negated: o.negated, args } : o;
}

/** Options in the order the module prints them (stable for repeated options). */
function sortOptions(spec: CompiledSpec, options: RuleOption[]): RuleOption[] {
  const order = spec.order;
  // Nearly always in order already (one option, or written in the module's order): a stable sort
  // of those is the list itself.
  let sorted = true;
  for (let i = 1; i < options.length && sorted; i++)
    sorted = (order.get(options[i - 1]!.name) ?? 1000) <= (order.get(options[i]!.name) ?? 1000);
  if (sorted) return options;
  return options
    .map((o, i) => ({ o, i, k: order.get(o.name) ?? 1000 }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((e) => e.o);
}

function deepFrozen(options: readonly RuleOption[]): boolean {
  if (!Object.isFrozen(options)) return false;
  for (const o of options) if (!Object.isFrozen(o) || !Object.isFrozen(o.args)) return false;
  return true;
}

function sameOptions(a: readonly RuleOption[], b: readonly RuleOption[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.negated !== y.negated || x.args.length !== y.args.length) return false;
    for (let j = 0; j < x.args.length; j++) {
      if (x.args[j]!.text !== y.args[j]!.text || x.args[j]!.quoted !== y.args[j]!.quoted) return false;
    }
  }
  return true;
}

/** iptables-nft stores port matches natively and prints a rule's `-m tcp` options as one match. */
function mergeMatches(matches: MatchModule[]): MatchModule[] {
  // Nearly every rule has at most one `-m tcp`/`-m udp` with options: nothing to fold.
  let foldable = 0;
  for (const m of matches) if (MERGED_BY_NFT.has(m.name) && m.options.length > 0) foldable++;
  if (foldable < 2) return matches;
  const out: MatchModule[] = [];
  for (const m of matches) {
    if (MERGED_BY_NFT.has(m.name) && m.options.length > 0) {
      const at = out.findIndex((p) => p.name === m.name && p.options.length > 0);
      const into = out[at];
      if (into && !m.options.some((o) => into.options.some((p) => p.name === o.name))) {
        out[at] = {
          name: m.name,
          options: sortOptions(MATCH_SPECS.get(m.name)!, [...into.options, ...m.options]),
        };
        continue;
      }
    }
    out.push(m);
  }
  return out;
}

// Parsed dumps share frozen options, matches and targets between rules; their canonical forms are
// made once per context and shared (frozen) too.
interface Memo {
  key: string;
  value: object | null;
}
// One entry per shared object: it is nearly always canonicalized in one family and protocol.
const canonMemo = new WeakMap<object, Memo>();

function memo<T extends object>(source: object, key: string, make: () => T | null): T | null {
  if (!Object.isFrozen(source)) return make();
  const hit = canonMemo.get(source);
  if (hit && hit.key === key) return hit.value as T | null;
  const made = make();
  if (made) freezeCanonical(made);
  canonMemo.set(source, { key, value: made });
  return made;
}

/** Freezes a canonical option, match or target (and its arrays and tokens). */
function freezeCanonical(o: object): void {
  if (Object.isFrozen(o)) return;
  const options = (o as { options?: RuleOption[] }).options;
  if (options) {
    for (const x of options) freezeCanonical(x);
    Object.freeze(options);
  }
  const args = (o as { args?: Token[] }).args;
  if (args) {
    for (const a of args) Object.freeze(a);
    Object.freeze(args);
  }
  Object.freeze(o);
}

function canonMatch(m: MatchModule, ctx: CanonContext, transient = false): MatchModule {
  const options = canonOptions(MATCH_SPECS.get(m.name), m.options, ctx, transient);
  // A shared match already in canonical spelling is its own canonical form (and any match, in a
  // form only read).
  return sameOptions(options, m.options) && (transient || deepFrozen(m.options))
    ? m
    : { name: m.name, options };
}

function canonTarget(t: RuleTarget, ctx: CanonContext, transient = false): RuleTarget {
  const spec = t.kind === 'jump' ? TARGET_SPECS.get(t.name) : undefined;
  const options = canonOptions(spec, t.options, ctx, transient);
  if (transient && sameOptions(options, t.options)) return t;
  return { kind: t.kind, name: t.name, options };
}

/** The rule as iptables-save would print it back (counters and position dropped). */
export function canonicalRule(rule: Rule, family: Family): Rule {
  return canonicalParts(rule, family, false);
}

/**
 * `canonicalRule`; `transient`: the result is only read, at once, and dropped (`ruleKey`), so the
 * rule's own parts that are canonical already are used as they are instead of copied. (Shared,
 * frozen parts are canonicalized once either way.)
 */
function canonicalParts(rule: Rule, family: Family, transient: boolean): Rule {
  const generic: RuleOption[] = [];
  // Generic options are cheap to canonicalize and mostly unique (addresses): no memo for them.
  // The first `-p` (the sort below is stable) names the protocol, unless it is negated.
  let protoOpt: RuleOption | undefined;
  for (const o of rule.generic) {
    const c = canonGeneric(o, family, transient);
    if (!c) continue;
    generic.push(c);
    if (protoOpt === undefined && c.name === '-p') protoOpt = c;
  }
  if (generic.length > 1 && !inGenericOrder(generic)) generic.sort(byGenericOrder);
  const proto = protoOpt && !protoOpt.negated && protoOpt.args[0] ? protoOpt.args[0].text : undefined;
  const ctx: CanonContext = { family };
  if (proto !== undefined) ctx.proto = proto;
  // Shared (frozen) parts are canonicalized once per family and protocol; a rule's own parts (a
  // policy's rules) each once, without the memo's closure and key.
  let key: string | undefined;
  const matches: MatchModule[] = [];
  for (const m of rule.matches) {
    if (!Object.isFrozen(m)) matches.push(canonMatch(m, ctx, transient));
    else matches.push(memo(m, (key ??= `${family} ${proto ?? ''}`), () => canonMatch(m, ctx))!);
  }
  let target: RuleTarget | null = null;
  const t = rule.target;
  if (t) {
    target = Object.isFrozen(t)
      ? memo(t, key ?? `${family} ${proto ?? ''}`, () => canonTarget(t, ctx))!
      : canonTarget(t, ctx, transient);
  }
  return { generic, matches: mergeMatches(matches), target };
}

function word(text: string): string {
  return needsQuoting(text) ? formatToken({ text, quoted: false }) : text;
}

// Parsed dumps share frozen options, matches and targets between rules: their text is made once.
const printed = new WeakMap<object, string>();

function formatOption(o: RuleOption): string {
  let s = o.negated ? '! ' + word(o.name) : word(o.name);
  for (const a of o.args) s += ' ' + formatToken(a);
  return s;
}

function formatPart(head: string, name: string, options: readonly RuleOption[], owner: object): string {
  const frozen = Object.isFrozen(owner);
  if (frozen) {
    const hit = printed.get(owner);
    if (hit !== undefined) return hit;
  }
  let s = `${head} ${word(name)}`;
  for (const o of options) s += ' ' + formatOption(o);
  if (frozen) printed.set(owner, s);
  return s;
}

/**
 * A rule in iptables-save spelling, without `-A CHAIN` and counters. Never contains a line break.
 * Made by one join (a flat string): keys are hashed and compared many times, and a string grown
 * piece by piece is a tree of pieces that each hash first flattens.
 */
export function formatRule(rule: Rule): string {
  const parts: string[] = [];
  for (const o of rule.generic) parts.push(formatOption(o));
  for (const m of rule.matches) parts.push(formatPart('-m', m.name, m.options, m));
  const t = rule.target;
  if (t) parts.push(formatPart(t.kind === 'goto' ? '-g' : '-j', t.name, t.options, t));
  return parts.join(' ');
}

// The key of a rule whose parts are all frozen (every rule of a parsed dump), with the parts it was
// made from: while the rule still holds exactly those parts, the key stands.
interface KeyMemo {
  family: Family;
  genericCount: number;
  parts: readonly (object | null)[];
  key: string;
}
// Kept on the rule itself under a non-enumerable symbol (invisible to equality, JSON and spreads):
// a WeakMap with one entry per rule of a large dump costs more than computing the key.
const KEY_MEMO = Symbol('dockwall.ruleKey');
type WithKeyMemo = Rule & { [KEY_MEMO]?: KeyMemo };

function sameParts(rule: Rule, m: KeyMemo): boolean {
  const { generic, matches } = rule;
  const parts = m.parts;
  if (generic.length !== m.genericCount || parts.length !== generic.length + matches.length + 1) return false;
  let k = 0;
  for (let i = 0; i < generic.length; i++) if (generic[i] !== parts[k++]) return false;
  for (let i = 0; i < matches.length; i++) if (matches[i] !== parts[k++]) return false;
  return rule.target === parts[k];
}

/** The rule's parts when all are frozen (so they cannot change under a cached key), else null. */
function frozenParts(rule: Rule): (object | null)[] | null {
  const parts: (object | null)[] = [];
  for (const o of rule.generic) {
    if (!Object.isFrozen(o)) return null;
    parts.push(o);
  }
  for (const m of rule.matches) {
    if (!Object.isFrozen(m)) return null;
    parts.push(m);
  }
  if (rule.target && !Object.isFrozen(rule.target)) return null;
  parts.push(rule.target);
  return parts;
}

/** A string equal for two rules exactly when iptables would print them the same. */
export function ruleKey(rule: Rule, family: Family): string {
  const hit = (rule as WithKeyMemo)[KEY_MEMO];
  if (hit && hit.family === family && sameParts(rule, hit)) return hit.key;
  const key = formatRule(canonicalParts(rule, family, true));
  const parts = frozenParts(rule);
  if (parts && Object.isExtensible(rule)) {
    const value: KeyMemo = { family, genericCount: rule.generic.length, parts, key };
    if (hit) (rule as WithKeyMemo)[KEY_MEMO] = value;
    else Object.defineProperty(rule, KEY_MEMO, { value, writable: true, configurable: true });
  }
  return key;
}
