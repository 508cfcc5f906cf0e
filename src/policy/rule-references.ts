import type { ChainReference, Family, Policy, PolicyRule, TableName } from '../model/index.js';
import { isBuiltinChain } from '../model/index.js';
import { isKnownMatch, isKnownTarget, knownMatches, knownTargets } from '../parse/index.js';
import type { BuildContext } from './context.js';
import { DOCKER_OWNED_CHAINS } from './docker-chains.js';
import type { Span } from './yaml-source.js';
import { closest } from './zod-issues.js';

/**
 * What a rule's `-m NAME`, `-j NAME` and `-g NAME` refer to, checked on the policy alone.
 * `iptables-restore --test` accepts all three of `-j ACCPET`, `-j DOCKWALL-MISSING` and
 * `-m no_such_module`: they fail only when the transaction commits.
 *
 * - A match module must be one iptables ships (extension-names.ts) or be listed under `extensions`.
 * - A jump goes to a target iptables ships (or one listed), or to a chain. A chain this policy makes
 *   is fine. A built-in chain cannot be jumped to. A DOCKWALL-* chain the policy does not make will
 *   not exist. A name one or two letters from a target is a typo. Docker's chains and other
 *   programs' chains must exist on the host: those become `chainReferences`, which a plan checks
 *   against the host, and other programs' chains draw a warning here.
 */

/** The chains dockwall compiles from `filter:` and `containers:` (see compile/ownership.ts). */
const FILTER_CHAIN = 'DOCKWALL-FILTER';
const CONTAINERS_CHAIN = 'DOCKWALL-CONTAINERS';
const OWNED_PREFIX = 'DOCKWALL-';
const DOCKER_CHAINS = new Set([...DOCKER_OWNED_CHAINS, 'DOCKER-USER']);

export interface ExtensionsInput {
  matches?: string[] | undefined;
  targets?: string[] | undefined;
}

export function checkRuleReferences(
  ctx: BuildContext,
  policy: Policy,
  input: ExtensionsInput | undefined,
): void {
  const extraMatches = new Set(input?.matches ?? []);
  const extraTargets = new Set(input?.targets ?? []);
  if (extraMatches.size + extraTargets.size > 0) {
    policy.extensions = {
      matches: [...extraMatches],
      targets: [...extraTargets],
      pos: ctx.posOfKey(['extensions']),
    };
  }
  const references: ChainReference[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const table of policy.families[family]?.tables ?? []) {
      const made = new Set(table.chains.map((c) => c.name));
      if (table.name === 'filter') {
        if (policy.sharedFilter) made.add(FILTER_CHAIN);
        if (policy.containers.length > 0) made.add(CONTAINERS_CHAIN);
      }
      for (const chain of table.chains) {
        for (const rule of chain.rules) {
          const where = { family, table: table.name, chain: chain.name, made };
          checkMatches(ctx, rule, family, extraMatches);
          const ref = checkTarget(ctx, rule, where, extraTargets);
          if (ref) references.push(ref);
        }
      }
    }
  }
  if (references.length > 0) policy.chainReferences = references;
}

function checkMatches(ctx: BuildContext, rule: PolicyRule, family: Family, extra: Set<string>): void {
  for (const m of rule.rule.matches) {
    if (isKnownMatch(m.name, family) || extra.has(m.name)) continue;
    const at = wordAt(ctx, rule, /(?:^|\s)(?:-m|--match)(?:\s+|=)/, m.name);
    const near = closest(m.name, knownMatches(family));
    ctx.error(
      'policy.unknown-match',
      `rule \`${rule.name}\` loads \`-m ${m.name}\`, a match module ${family === 'ipv6' ? 'ip6tables' : 'iptables'} does not ship: the transaction would fail when it commits`,
      at,
      near
        ? `did you mean \`${near}\`? (a module from elsewhere, e.g. xtables-addons, goes under \`extensions: { matches: [${m.name}] }\`)`
        : `a module from elsewhere (xtables-addons) goes under \`extensions: { matches: [${m.name}] }\`; plan checks it on the host`,
    );
  }
}

interface Where {
  family: Family;
  table: TableName;
  chain: string;
  made: Set<string>;
}

function checkTarget(
  ctx: BuildContext,
  rule: PolicyRule,
  where: Where,
  extra: Set<string>,
): ChainReference | undefined {
  const target = rule.rule.target;
  if (!target) return undefined;
  const { name, kind } = target;
  const flag = kind === 'goto' ? '-g' : '-j';
  if (kind === 'jump' && (isKnownTarget(name, where.family) || extra.has(name))) return undefined;
  if (where.made.has(name) && !isBuiltinChain(where.table, name)) return undefined;
  const at = wordAt(ctx, rule, /(?:^|\s)(?:-j|--jump|-g|--goto)(?:\s+|=)/, name);
  const fail = (code: string, message: string, hint?: string) =>
    ctx.error(code, `rule \`${rule.name}\`: ${message}`, at, hint);
  if (isBuiltinChain(where.table, name)) {
    fail('policy.jump-to-builtin', `\`${flag} ${name}\` goes to a built-in chain, which iptables refuses`);
    return undefined;
  }
  if (kind === 'goto' && isKnownTarget(name, where.family)) {
    fail(
      'policy.goto-target',
      `\`-g ${name}\`: -g goes to a chain, and ${name} is a target`,
      `write \`-j ${name}\``,
    );
    return undefined;
  }
  if (name.startsWith(OWNED_PREFIX)) {
    fail(
      'policy.unknown-chain',
      `\`${flag} ${name}\` goes to a DOCKWALL-* chain this policy does not declare in the ${where.family} ${where.table} table: dockwall makes those chains only from the policy, so it will not exist`,
      `declare \`${name}\` under \`${where.family}.${where.table}\``,
    );
    return undefined;
  }
  const ref: ChainReference = { ...refBase(where, rule), target: name, kind, pos: at.pos };
  if (at.length !== undefined) ref.length = at.length;
  if (DOCKER_CHAINS.has(name)) return ref;
  const near = closest(name, knownTargets(where.family));
  if (near) {
    fail(
      'policy.unknown-target',
      `\`${flag} ${name}\` is neither a target iptables ships nor a chain this policy declares`,
      `did you mean \`${near}\`?`,
    );
    return undefined;
  }
  ctx.warn(
    'policy.external-chain',
    `rule \`${rule.name}\`: \`${flag} ${name}\` goes to a chain this policy does not declare: it must exist on the host (plan checks it there)`,
    at,
    `a target from elsewhere (xtables-addons) goes under \`extensions: { targets: [${name}] }\``,
  );
  return ref;
}

function refBase(where: Where, rule: PolicyRule): Omit<ChainReference, 'target' | 'kind'> {
  return { family: where.family, table: where.table, chain: where.chain, rule: rule.name };
}

/** Where `name` stands after an option matching `before` in the rule's text (else the rule's start). */
function wordAt(ctx: BuildContext, rule: PolicyRule, before: RegExp, name: string): Span {
  const start = rule.rule.pos ?? rule.pos;
  if (!start) return ctx.src.startSpan();
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${before.source}(${escaped})(?=\\s|$)`).exec(rule.text);
  if (!m) return { pos: start, length: 1 };
  const offset = m.index + m[0].length - name.length;
  return { pos: { ...start, column: start.column + offset }, length: name.length };
}
