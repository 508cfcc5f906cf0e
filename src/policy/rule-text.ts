import type { PolicyRule } from '../model/policy.js';
import type { Family, Rule } from '../model/ruleset.js';
import { parseRuleText } from '../parse/index.js';
import type { BuildContext } from './context.js';
import type { Path, ScalarAt } from './yaml-source.js';

export interface RuleSource {
  name: string;
  /** Path of the rule text's value in the document. */
  textPath: Path;
  /** Path whose key (or value) names the rule, for the rule's `pos`. */
  namePath: Path;
  family: Family;
  identity: PolicyRule['identity'];
}

/** Lines that mean something to iptables-restore and must never be part of a rule's text. */
const RESTORE_LINE = /^(COMMIT\b|\*[a-z]+\b|:[^\s]+\s|-[AIDNXPFRZE]\s)/;

/**
 * Reads one rule's text from the policy: checks it is a single line of iptables options, parses it
 * with the shared rule parser (positions land on the file's own line and column) and checks how
 * it carries its name.
 */
export function readRule(ctx: BuildContext, s: RuleSource): PolicyRule | undefined {
  const { src } = ctx;
  const scalar = ctx.scalarAt(s.textPath);
  if (!scalar || typeof scalar.value !== 'string') return undefined;
  const value = scalar.value;
  const text = value.endsWith('\n') ? value.replace(/\r?\n$/, '') : value;
  const start = valueStart(ctx, scalar);

  if (scalar.tag === '!') {
    const bang = src.text.lastIndexOf('!', scalar.range?.[0] ?? 0);
    ctx.error(
      'policy.rule-bang-tag',
      `rule \`${s.name}\`: YAML reads a leading \`!\` as a tag and drops it, so the negation would be lost`,
      src.spanOf(bang, bang + 1),
      `quote the rule text: '! ${text}'`,
    );
    return undefined;
  }

  // Nearly every rule is one line: only a text with a line break is split.
  const lines = text.includes('\n') || text.includes('\r') ? text.split(/\r?\n|\r/) : [text];
  if (lines.length > 1) {
    const second = lines.slice(1).find((l) => l.trim() !== '') ?? '';
    const at = second.trim() === '' ? -1 : src.text.indexOf(second.trim(), start);
    const inNode = at >= 0 && at < (scalar.range?.[1] ?? src.text.length);
    const span = inNode ? src.spanOf(at, at + second.trim().length) : src.nodeSpan(scalar);
    const smuggled = RESTORE_LINE.test(second.trim());
    const message = smuggled
      ? `rule \`${s.name}\` spans ${lines.length} lines, and \`${second.trim()}\` is iptables-restore input, not part of a rule`
      : `rule \`${s.name}\` spans ${lines.length} lines: a rule is a single line of iptables options`;
    ctx.error(
      'policy.rule-multiline',
      message,
      span,
      'write the rule on one line (a plain or quoted YAML string)',
    );
    return undefined;
  }

  const chainOp = /^\s*(-[AIDR]|--append|--insert|--delete|--replace)\s+(\S+)/.exec(text);
  if (chainOp) {
    ctx.error(
      'policy.rule-has-chain',
      `rule \`${s.name}\` starts with \`${chainOp[1]} ${chainOp[2]}\`: write only the rule's options, the chain is the key above`,
      src.spanOf(start + chainOp.index, start + chainOp[0].length),
    );
    return undefined;
  }

  const pos = src.posAt(start);
  const parsed = parseRuleText(text, {
    family: s.family,
    file: src.file,
    line: pos.line,
    column: pos.column,
  });
  ctx.diagnostics.push(...parsed.diagnostics);
  const rule = parsed.value;
  if (!rule) return undefined;

  const comment = ownComment(rule);
  // Where the comment is written matters only for a diagnostic (nearly every rule has none).
  if (comment !== undefined && (s.identity === 'tag' || comment !== s.name)) {
    const m = /(^|\s)(-m|--match)\s+comment(?=\s|$)/.exec(text);
    const cStart = m ? start + m.index + m[1]!.length : start;
    if (s.identity === 'tag') {
      ctx.error(
        'policy.rule-own-comment',
        `rule \`${s.name}\` has its own \`-m comment\`: dockwall sets the comment itself, from the rule's name`,
        src.spanOf(cStart, m ? cStart + m[0].length - m[1]!.length : cStart + 1),
        'remove `-m comment --comment …` from the rule text',
      );
      return undefined;
    }
    if (comment !== s.name) {
      const c = /--comment\s+/.exec(text);
      const at = c ? start + c.index + c[0].length : cStart;
      ctx.warn(
        'policy.comment-not-name',
        `rule \`${s.name}\` carries the comment \`${comment}\`, not its name: the live rule is found by its comment`,
        src.spanOf(at, at + comment.length),
        `write \`--comment ${s.name}\` so the rule and its name agree`,
      );
    }
  }

  const policyRule: PolicyRule = {
    name: s.name,
    rule,
    text,
    identity: s.identity,
    pos: ctx.posOfKey(s.namePath),
  };
  return policyRule;
}

/** The text of a rule's `-m comment` match (empty without `--comment`), if it has one. */
function ownComment(rule: Rule): string | undefined {
  for (const m of rule.matches) {
    if (m.name !== 'comment') continue;
    const opt = m.options.find((o) => o.name === '--comment');
    return opt?.args[0]?.text ?? '';
  }
  return undefined;
}

/** The ipsets a rule names with `-m set --match-set NAME`. */
export function setsOf(rule: Rule): string[] {
  const out: string[] = [];
  for (const m of rule.matches) {
    if (m.name !== 'set') continue;
    for (const o of m.options) {
      if ((o.name === '--match-set' || o.name === '--set') && o.args[0]) out.push(o.args[0].text);
    }
  }
  if (rule.target?.name === 'SET') {
    for (const o of rule.target.options) {
      if ((o.name === '--add-set' || o.name === '--del-set' || o.name === '--map-set') && o.args[0]) {
        out.push(o.args[0].text);
      }
    }
  }
  return out;
}

/** The offset in the file of a scalar's first character of content. */
function valueStart(ctx: BuildContext, node: ScalarAt): number {
  const { src } = ctx;
  const start = node.range?.[0] ?? 0;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const firstLine = String(node.value).split('\n')[0]?.trim() ?? '';
    const nl = src.text.indexOf('\n', start);
    const at = firstLine === '' || nl < 0 ? -1 : src.text.indexOf(firstLine, nl);
    return at >= 0 ? at : start;
  }
  return src.scalarValueStart(node);
}
