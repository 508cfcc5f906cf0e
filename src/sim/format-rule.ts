import type { MatchModule, Rule, RuleOption, Token } from '../model/ruleset.js';

function quote(t: Token): string {
  if (!t.quoted && t.text !== '' && !/[\s"'\\]/.test(t.text)) return t.text;
  return `"${t.text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function option(o: RuleOption): string {
  const parts = o.negated ? ['!', o.name] : [o.name];
  for (const a of o.args) parts.push(quote(a));
  return parts.join(' ');
}

/** One match module in iptables-save spelling: `-m recent --rcheck --name ssh`. */
export function formatModuleText(m: MatchModule): string {
  return [`-m ${m.name}`, ...m.options.map(option)].join(' ');
}

/** A rule in iptables-save spelling, `-A CHAIN` first when a chain is given. */
export function formatRuleText(rule: Rule, chain?: string): string {
  const parts: string[] = [];
  if (chain !== undefined) parts.push(`-A ${chain}`);
  for (const o of rule.generic) parts.push(option(o));
  for (const m of rule.matches) parts.push(formatModuleText(m));
  if (rule.target) {
    parts.push(`${rule.target.kind === 'goto' ? '-g' : '-j'} ${rule.target.name}`);
    for (const o of rule.target.options) parts.push(option(o));
  }
  return parts.join(' ');
}
