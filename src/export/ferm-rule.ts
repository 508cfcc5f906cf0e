import { ownValue } from '../model/own-key.js';
import type { MatchModule, Rule, RuleOption } from '../model/index.js';
import type { FermOption } from './ferm-keywords.js';
import {
  FERM_CORE_TARGETS,
  FERM_MATCHES,
  FERM_OPTION_NAMES,
  FERM_PROTO_OPTIONS,
  FERM_TARGETS,
} from './ferm-keywords.js';

/** A value as a ferm token: bare when ferm reads it as one word, else quoted. */
export function fermWord(text: string): string {
  if (/^[-+\w/.:]+$/.test(text)) return text;
  if (!text.includes("'")) return `'${text}'`;
  // Double quotes expand `$name`; a text with both kinds of quote is concatenated from pieces.
  if (!/["$]/.test(text)) return `"${text}"`;
  return `@cat(${text
    .split("'")
    .map((p) => `'${p}'`)
    .join(`, "'", `)})`;
}

function list(text: string): string {
  const items = text.split(',');
  return items.length === 1 ? fermWord(items[0]!) : `(${items.map(fermWord).join(' ')})`;
}

export type FermRuleResult = { text: string } | { problem: string };

const GENERIC: Record<string, string> = {
  '-s': 'saddr',
  '-d': 'daddr',
  '-i': 'interface',
  '-o': 'outerface',
  '-p': 'proto',
};

/** Multiport lists are written as ferm arrays (ferm splits them into chunks of 15 ports). */
const MULTIPORT = new Set(['destination-ports', 'source-ports', 'ports']);

/**
 * One rule in ferm's syntax: `saddr 10.0.0.0/8 proto tcp dport 22 mod comment comment X ACCEPT;`,
 * keeping the order of the matches so that ferm hands iptables the same rule. Anything ferm has no
 * keyword for is reported, not guessed.
 */
export function fermRule(rule: Rule): FermRuleResult {
  const words: string[] = [];
  let proto: string | undefined;
  for (const o of rule.generic) {
    if (o.name === '-f') {
      words.push(o.negated ? '! fragment' : 'fragment');
      continue;
    }
    const kw = ownValue(GENERIC, o.name);
    const arg = o.args[0];
    if (!kw || !arg) return { problem: `ferm has no keyword for ${o.name}` };
    if (o.name === '-p' && !o.negated) proto = arg.text;
    words.push(o.negated ? `${kw} ! ${fermWord(arg.text)}` : `${kw} ${fermWord(arg.text)}`);
  }
  for (const m of rule.matches) {
    const r = fermMatch(m, proto);
    if ('problem' in r) return r;
    if (r.text) words.push(r.text);
  }
  const t = rule.target;
  if (!t) words.push('NOP');
  else if (t.kind === 'goto') words.push(`goto ${fermWord(t.name)}`);
  else if (FERM_CORE_TARGETS.has(t.name)) words.push(t.name);
  else {
    const defs = FERM_TARGETS.get(t.name);
    if (defs) {
      const opts = fermOptions(t.options, defs, `-j ${t.name}`);
      if ('problem' in opts) return opts;
      words.push([t.name, ...opts.words].join(' '));
    } else if (t.options.length === 0) {
      // A user chain, or a target without options: both are `--jump NAME` to iptables.
      words.push(`jump ${fermWord(t.name)}`);
    } else {
      return { problem: `ferm has no definition of the target ${t.name}` };
    }
  }
  return { text: words.join(' ') + ';' };
}

function isProtoMatch(m: MatchModule, proto: string | undefined): boolean {
  if (!FERM_PROTO_OPTIONS.has(m.name) || proto === undefined) return false;
  if (m.name === 'icmp6') return proto === 'ipv6-icmp' || proto === 'icmpv6';
  return m.name === proto;
}

function fermMatch(m: MatchModule, proto: string | undefined): { text: string } | { problem: string } {
  if (isProtoMatch(m, proto)) {
    const opts = fermOptions(m.options, FERM_PROTO_OPTIONS.get(m.name)!, `-m ${m.name}`);
    return 'problem' in opts ? opts : { text: opts.words.join(' ') };
  }
  const defs = FERM_MATCHES.get(m.name);
  if (!defs) return { problem: `ferm has no definition of the match -m ${m.name}` };
  const opts = fermOptions(m.options, defs, `-m ${m.name}`);
  return 'problem' in opts ? opts : { text: ['mod', m.name, ...opts.words].join(' ') };
}

function fermOptions(
  options: readonly RuleOption[],
  defs: ReadonlyMap<string, FermOption>,
  where: string,
): { words: string[] } | { problem: string } {
  const words: string[] = [];
  for (const o of options) {
    const name = FERM_OPTION_NAMES.get(o.name) ?? o.name.replace(/^--?/, '');
    const def = defs.get(name);
    if (!def) return { problem: `ferm has no keyword for ${o.name} of ${where}` };
    if (o.negated && !def.negatable) return { problem: `ferm cannot negate ${o.name} of ${where}` };
    const args = o.args.map((a) => a.text);
    const not = o.negated ? ' !' : '';
    const shape = MULTIPORT.has(name) ? 'c' : def.shape;
    const want = shape === '0' ? 0 : shape === 'sc' || shape === 'cc' ? 2 : 1;
    if (args.length !== want)
      return { problem: `${o.name} of ${where} has ${args.length} values, ferm expects ${want}` };
    switch (shape) {
      case '0':
        words.push(o.negated ? `! ${name}` : name);
        break;
      case '1':
        words.push(`${name}${not} ${fermWord(args[0]!)}`);
        break;
      case 'c':
        words.push(`${name}${not} ${list(args[0]!)}`);
        break;
      case 'sc':
        words.push(`${name}${not} ${fermWord(args[0]!)} ${list(args[1]!)}`);
        break;
      case 'cc':
        words.push(`${name}${not} ${list(args[0]!)} ${list(args[1]!)}`);
        break;
    }
  }
  return { words };
}
