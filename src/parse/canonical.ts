import type { Family, MatchModule, Rule, RuleOption, RuleTarget, Token } from '../model/index.js';
import { canonicalNetwork } from './address.js';
import { MATCH_SPECS } from './match-specs.js';
import type { CanonContext, CompiledSpec } from './module-spec.js';
import { protocolName, protocolNumber } from './names.js';
import { formatToken, isBareValue, needsQuoting } from './quote.js';
import { TARGET_SPECS } from './target-specs.js';

/**
 * The canonical form of a rule: what iptables-save (1.8.9, nf_tables and legacy alike) prints after
 * the rule is added. A rule written by a person and the same rule read back from iptables have the
 * same canonical form, so `ruleKey` compares them. Parts dockwall does not understand (unknown
 * modules, host names) are kept as written.
 */

const GENERIC_ORDER: Record<string, number> = { '-s': 0, '-d': 1, '-i': 2, '-o': 3, '-p': 4, '-f': 5 };

/** Modules whose matches iptables-nft folds into one when they sit in the same rule (`-m tcp … -m tcp`). */
const MERGED_BY_NFT = new Set(['tcp', 'udp']);

function canonToken(text: string, saveString: boolean): Token {
  return { text, quoted: saveString ? !isBareValue(text) : needsQuoting(text) };
}

function canonGeneric(o: RuleOption, family: Family): RuleOption | null {
  const arg = o.args[0];
  if (!arg) return { name: o.name, negated: o.negated, args: [] };
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
  return { name: o.name, negated: o.negated, args: [canonToken(text, false)] };
}

function canonOptions(
  spec: CompiledSpec | undefined,
  options: readonly RuleOption[],
  ctx: CanonContext,
): RuleOption[] {
  if (!spec) {
    return options.map((o) => ({
      name: o.name,
      negated: o.negated,
      args: o.args.map((a) => ({ text: a.text, quoted: a.quoted || needsQuoting(a.text) })),
    }));
  }
  let out = options.map((o): RuleOption => {
    const os = spec.byName.get(o.name);
    const name = os?.name ?? o.name;
    const args = o.args.map((a, i) => {
      let text = a.text;
      if (i === 0 && os?.value && o.args.length === 1) text = os.value(text, ctx) ?? text;
      return os ? canonToken(text, os.saveString === true) : { text, quoted: a.quoted || needsQuoting(text) };
    });
    return { name, negated: o.negated, args };
  });
  if (spec.canon) out = spec.canon(out, ctx);
  return sortOptions(spec, out);
}

/** Options in the order the module prints them (stable for repeated options). */
function sortOptions(spec: CompiledSpec, options: RuleOption[]): RuleOption[] {
  const order = spec.order;
  return options
    .map((o, i) => ({ o, i, k: order.get(o.name) ?? 1000 }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((e) => e.o);
}

/** iptables-nft stores port matches natively and prints a rule's `-m tcp` options as one match. */
function mergeMatches(matches: MatchModule[]): MatchModule[] {
  const out: MatchModule[] = [];
  for (const m of matches) {
    if (MERGED_BY_NFT.has(m.name) && m.options.length > 0) {
      const into = out.find((p) => p.name === m.name && p.options.length > 0);
      if (into && !m.options.some((o) => into.options.some((p) => p.name === o.name))) {
        into.options = sortOptions(MATCH_SPECS.get(m.name)!, [...into.options, ...m.options]);
        continue;
      }
    }
    out.push(m);
  }
  return out;
}

/** The rule as iptables-save would print it back (counters and position dropped). */
export function canonicalRule(rule: Rule, family: Family): Rule {
  const generic: RuleOption[] = [];
  for (const o of rule.generic) {
    const c = canonGeneric(o, family);
    if (c) generic.push(c);
  }
  generic.sort((a, b) => (GENERIC_ORDER[a.name] ?? 9) - (GENERIC_ORDER[b.name] ?? 9));
  const protoOpt = generic.find((o) => o.name === '-p');
  const ctx: CanonContext = { family };
  if (protoOpt && !protoOpt.negated && protoOpt.args[0]) ctx.proto = protoOpt.args[0].text;
  const matches = mergeMatches(
    rule.matches.map((m) => ({
      name: m.name,
      options: canonOptions(MATCH_SPECS.get(m.name), m.options, ctx),
    })),
  );
  let target: RuleTarget | null = null;
  if (rule.target) {
    const spec = rule.target.kind === 'jump' ? TARGET_SPECS.get(rule.target.name) : undefined;
    target = {
      kind: rule.target.kind,
      name: rule.target.name,
      options: canonOptions(spec, rule.target.options, ctx),
    };
  }
  return { generic, matches, target };
}

function word(text: string): string {
  return formatToken({ text, quoted: false });
}

function formatOption(o: RuleOption): string {
  let s = o.negated ? `! ${word(o.name)}` : word(o.name);
  for (const a of o.args) s += ' ' + formatToken(a);
  return s;
}

/** A rule in iptables-save spelling, without `-A CHAIN` and counters. Never contains a line break. */
export function formatRule(rule: Rule): string {
  const parts: string[] = [];
  for (const o of rule.generic) parts.push(formatOption(o));
  for (const m of rule.matches) {
    parts.push(`-m ${word(m.name)}`);
    for (const o of m.options) parts.push(formatOption(o));
  }
  const t = rule.target;
  if (t) {
    parts.push(`${t.kind === 'goto' ? '-g' : '-j'} ${word(t.name)}`);
    for (const o of t.options) parts.push(formatOption(o));
  }
  return parts.join(' ');
}

/** A string equal for two rules exactly when iptables would print them the same. */
export function ruleKey(rule: Rule, family: Family): string {
  return formatRule(canonicalRule(rule, family));
}
