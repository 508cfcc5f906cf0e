import type { Rule } from '../model/index.js';
import { isBareValue } from './quote.js';

/** Small questions and edits on parsed rules. */

/** The text of the rule's first `-m comment --comment` match, if any. */
export function commentOf(rule: Rule): string | undefined {
  for (const m of rule.matches) {
    if (m.name !== 'comment') continue;
    const o = m.options.find((x) => x.name === '--comment');
    if (o?.args[0]) return o.args[0].text;
  }
  return undefined;
}

/** A copy of the rule with `-m comment --comment TEXT` added after its other matches (before the target). */
export function withComment(rule: Rule, text: string): Rule {
  const copy: Rule = {
    ...rule,
    matches: [
      ...rule.matches,
      {
        name: 'comment',
        options: [{ name: '--comment', negated: false, args: [{ text, quoted: !isBareValue(text) }] }],
      },
    ],
  };
  return copy;
}
