import ipaddr from 'ipaddr.js';
import type { Family, IpSet, Rule } from '../model/index.js';
import { parseRuleText } from '../parse/index.js';

/**
 * Parses a rule body that dockwall generated itself. A failure here is a bug in the generator,
 * not bad input, so it throws.
 */
export function generatedRule(text: string, family: Family): Rule {
  const res = parseRuleText(text, { family, file: '<generated>', line: 1, column: 1 });
  if (!res.value || res.diagnostics.some((d) => d.severity === 'error')) {
    const why = res.diagnostics.map((d) => d.message).join('; ');
    throw new Error(`internal error: generated rule does not parse: ${text}: ${why}`);
  }
  return res.value;
}

export function familyOfAddress(text: string): Family | undefined {
  const bare = text.split('/')[0] ?? '';
  if (!ipaddr.isValid(bare)) return undefined;
  return ipaddr.parse(bare).kind() === 'ipv6' ? 'ipv6' : 'ipv4';
}

export function familyOfSet(set: IpSet | undefined): Family {
  return set?.family === 'inet6' ? 'ipv6' : 'ipv4';
}

/** Sources of one family as rule fragments: `-s ADDR` or `-m set --match-set NAME src`. */
export function sourceFragments(
  family: Family,
  sources: string[],
  sets: string[],
  declared: IpSet[],
): string[] {
  const out: string[] = [];
  for (const s of sources) if (familyOfAddress(s) === family) out.push(`-s ${s}`);
  for (const name of sets) {
    if (familyOfSet(declared.find((x) => x.name === name)) === family)
      out.push(`-m set --match-set ${name} src`);
  }
  return out;
}

/** Whether an entry restricted to these sources applies to the family at all. */
export function appliesToFamily(
  family: Family,
  sources: string[],
  sets: string[],
  declared: IpSet[],
): boolean {
  if (sources.length === 0 && sets.length === 0) return true;
  return sourceFragments(family, sources, sets, declared).length > 0;
}

export function protoFragment(family: Family, proto: string): string | undefined {
  if (proto === 'any') return '';
  if (proto === 'icmp') return family === 'ipv4' ? '-p icmp' : undefined;
  if (proto === 'icmpv6') return family === 'ipv6' ? '-p ipv6-icmp' : undefined;
  return `-p ${proto}`;
}
