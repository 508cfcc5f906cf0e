import type {
  Diagnostic,
  Family,
  IpSet,
  Policy,
  PolicyRule,
  Result,
  Rule,
  TableName,
} from '../model/index.js';
import { diag, hasErrors } from '../model/index.js';
import { commentOf, formatRule } from '../parse/index.js';
import { isDockerOwnedChain, loadPolicy } from '../policy/index.js';
import { dockerRuleToUser } from './docker-chain-rule.js';
import type { NativeChain, NativeDoc, NativeIpset, NativeTable } from './native-yaml.js';
import { writeNativeYaml } from './native-yaml.js';

export interface ImportedPolicy {
  /** The policy in the native format, with comments explaining each change. */
  yaml: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const NUMERIC_OPTIONS = new Set(['hashsize', 'maxelem', 'timeout', 'netmask', 'bucketsize', 'size']);
const STRING_OPTIONS = new Set(['range', 'markmask', 'initval']);
const FLAG_OPTIONS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);
const DOCKER_USER = 'DOCKER-USER';

/**
 * Converts a pyfw wishes file into dockwall's native policy. Rules keep their names and order; their
 * own `-m comment --comment NAME` is dropped, because dockwall tags each rule with its name itself.
 * Rules pyfw put in Docker's DOCKER chain move to DOCKER-USER (see `dockerRuleToUser`); rules in
 * other Docker chains cannot be moved with the same meaning and are left out with a warning. Each
 * change is explained as a comment in the output and as an info diagnostic at the pyfw rule. The
 * output is loaded again before it is returned: an import that would not load is an error.
 */
export function importPyfw(text: string, file: string, outFile = '<imported>'): Result<ImportedPolicy> {
  const loaded = loadPolicy(text, file);
  // Rules in Docker's chains are what the import resolves: the loader's warning about them is moot.
  const diagnostics: Diagnostic[] = loaded.diagnostics.filter((d) => d.code !== 'policy.docker-chain');
  const policy = loaded.value;
  if (!policy) return { diagnostics };
  if (policy.format !== 'pyfw') {
    diagnostics.push(
      diag(
        'error',
        'import.not-pyfw',
        `${file} is not a pyfw wishes file (its top-level key is not \`pyfw_wishes\`)`,
        { file, line: 1, column: 1 },
      ),
    );
    return { diagnostics };
  }
  const doc: NativeDoc = {
    header: [
      `Converted from the pyfw wishes file ${file} by \`dockwall import pyfw\`.`,
      "Every rule keeps its name; dockwall marks the live rule with `-m comment --comment dockwall:NAME`, so the rules' own `-m comment --comment NAME` are dropped.",
    ],
    ipsets: policy.ipsets.map((s) => nativeIpset(s, diagnostics)),
    families: {},
  };
  const cleanup: string[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const fam = policy.families[family];
    if (fam) doc.families[family] = convertFamily(family, fam.tables, diagnostics, cleanup);
  }
  if (cleanup.length > 0) {
    doc.header.push(
      "The rules pyfw already applied carry their old comments and are not dockwall's: they stay where they are until removed, for example with:\n" +
        cleanup.join('\n'),
    );
  }
  const yaml = writeNativeYaml(doc);
  const check = loadPolicy(yaml, outFile);
  if (hasErrors(check.diagnostics)) {
    const why = check.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    diagnostics.push(
      diag('error', 'import.invalid-output', `the converted policy does not load: ${why.join('; ')}`, {
        file,
        line: 1,
        column: 1,
      }),
    );
    return { diagnostics };
  }
  return { value: { yaml }, diagnostics };
}

function nativeIpset(s: IpSet, diagnostics: Diagnostic[]): NativeIpset {
  const options: NativeIpset['options'] = [];
  for (const [k, v] of s.options) {
    if (v === true && FLAG_OPTIONS.has(k)) options.push([k, true]);
    else if (v !== true && NUMERIC_OPTIONS.has(k) && /^\d+$/.test(v)) options.push([k, Number(v)]);
    else if (v !== true && STRING_OPTIONS.has(k)) options.push([k, v]);
    else
      diagnostics.push(
        diag(
          'warning',
          'import.set-option',
          `set ${s.name}: the option \`${k}\` has no place in the native format and is left out`,
          s.pos,
        ),
      );
  }
  const out: NativeIpset = { name: s.name, type: s.type, options, members: s.members };
  if (s.family === 'inet6') out.family = 'inet6';
  return out;
}

/** The rule as native text: the same options without the rule's own comment. */
function withoutComment(rule: Rule): string {
  return formatRule({
    generic: rule.generic,
    matches: rule.matches.filter((m) => m.name !== 'comment'),
    target: rule.target,
  });
}

function convertFamily(
  family: Family,
  tables: NonNullable<Policy['families'][Family]>['tables'],
  diagnostics: Diagnostic[],
  cleanup: string[],
): NativeTable[] {
  const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const out: NativeTable[] = [];
  const moved: Array<{ r: PolicyRule; rule: Rule; explanation: string }> = [];
  for (const t of tables) {
    const table: NativeTable = { name: t.name, chains: [] };
    for (const c of t.chains) {
      for (const r of c.rules) cleanup.push(`  ${tool} -t ${t.name} -D ${c.name} ${formatRule(r.rule)}`);
      if (isDockerOwnedChain(c.name)) {
        for (const r of c.rules) {
          const conv = dockerRuleToUser(t.name, c.name, r.rule);
          if ('leftOut' in conv) {
            diagnostics.push(
              diag(
                'warning',
                'import.left-out',
                `rule "${r.name}" in ${t.name} ${c.name} is left out: ${conv.leftOut}`,
                r.pos,
              ),
            );
          } else {
            moved.push({ r, rule: conv.rule, explanation: conv.explanation });
          }
        }
        continue;
      }
      const chain: NativeChain = { name: c.name, rules: [] };
      if (c.policy) chain.policy = c.policy;
      for (const r of c.rules) {
        noteComment(r, diagnostics);
        chain.rules.push({ name: r.name, text: withoutComment(r.rule), comments: [] });
      }
      table.chains.push(chain);
    }
    out.push(table);
  }
  if (moved.length > 0) {
    let filter = out.find((t) => t.name === 'filter');
    if (!filter) out.push((filter = { name: 'filter' as TableName, chains: [] }));
    let user = filter.chains.find((c) => c.name === DOCKER_USER);
    if (!user) filter.chains.push((user = { name: DOCKER_USER, rules: [] }));
    for (const m of moved) {
      noteComment(m.r, diagnostics);
      user.rules.push({ name: m.r.name, text: formatRule(m.rule), comments: [m.explanation] });
      diagnostics.push(
        diag('info', 'import.moved-to-docker-user', `rule "${m.r.name}": ${m.explanation}`, m.r.pos),
      );
    }
  }
  for (const t of out) for (const c of t.chains) fixNames(family, t.name, c, diagnostics);
  return out.filter((t) => t.chains.length > 0);
}

function noteComment(r: PolicyRule, diagnostics: Diagnostic[]): void {
  const comment = commentOf(r.rule);
  if (comment === undefined) return;
  diagnostics.push(
    diag(
      'info',
      'import.comment-dropped',
      `rule "${r.name}": its own comment \`${comment}\` is dropped; dockwall tags it \`dockwall:${r.name}\``,
      r.pos,
    ),
  );
}

/** Native rule names use letters, digits, `_`, `.`, `-` and are unique in their chain. */
function fixNames(family: Family, table: TableName, c: NativeChain, diagnostics: Diagnostic[]): void {
  const seen = new Set<string>();
  for (const r of c.rules) {
    let name = NAME.test(r.name) ? r.name : r.name.replace(/[^A-Za-z0-9_.-]/g, '_');
    const base = name;
    for (let i = 2; seen.has(name); i++) name = `${base}-${i}`;
    if (name !== r.name) {
      diagnostics.push(
        diag(
          'warning',
          'import.renamed',
          `${family} ${table} ${c.name}: rule "${r.name}" is named "${name}" (names must be unique and use letters, digits, _, . and -)`,
        ),
      );
      r.comments.push(`Named "${r.name}" in the pyfw file.`);
      r.name = name;
    }
    seen.add(name);
  }
}
