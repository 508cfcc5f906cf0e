import { DOCKER_USER } from '../compile/index.js';
import type { Diagnostic, TableName } from '../model/index.js';
import { diag } from '../model/index.js';
import { dockerRuleToUser } from '../migrate/index.js';
import { canonicalRule, commentOf, withComment } from '../parse/index.js';
import type { ExportChain, ExportFamily, ExportRule, ExportSource } from './export-types.js';
import { ruleWhere } from './export-types.js';

/**
 * A policy's rules in chains ferm preserves (FORWARD, Docker's chains) moved to DOCKER-USER, as
 * `dockwall import pyfw` moves them (`dockerRuleToUser`): ferm copies a preserved chain as Docker
 * left it and cannot add rules to it. Rules meant for the top of FORWARD go first in DOCKER-USER
 * (Docker's FORWARD enters it first), the chain's own rules next, rules from DOCKER last (as the
 * import orders them). Each move is an info diagnostic explaining it; a rule that cannot keep its
 * meaning in DOCKER-USER is an error naming it, and is left out of the returned source.
 */
export function moveIntoDockerUser(
  source: ExportSource,
  preserved: (table: TableName) => string[],
): { source: ExportSource; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const families = source.families.map((fam) => moveFamily(fam, preserved, diagnostics));
  return { source: { ...source, families }, diagnostics };
}

function moveFamily(
  fam: ExportFamily,
  preserved: (table: TableName) => string[],
  diagnostics: Diagnostic[],
): ExportFamily {
  const first: ExportRule[] = [];
  const last: ExportRule[] = [];
  const chains = fam.chains.map((c) => {
    if (c.rules.length === 0 || !preserved(c.table).includes(c.name)) return c;
    for (const r of c.rules) {
      const conv = dockerRuleToUser(c.table, c.name, r.rule);
      const why = `ferm keeps ${c.name} as Docker left it (@preserve) and cannot add rules to it`;
      if ('leftOut' in conv) {
        diagnostics.push(
          diag(
            'error',
            'export.ferm-preserved-chain',
            `${ruleWhere(fam.family, c, r)}: ${why}, and the rule cannot move to DOCKER-USER: ${conv.leftOut}`,
            r.pos,
            { hint: 'put the rule in DOCKER-USER or INPUT yourself, with the meaning it should have there' },
          ),
        );
        continue;
      }
      const tag = commentOf(r.rule);
      const rule = canonicalRule(tag !== undefined ? withComment(conv.rule, tag) : conv.rule, fam.family);
      (c.name === 'FORWARD' ? first : last).push({ ...r, rule });
      diagnostics.push(
        diag(
          'info',
          'export.ferm-moved-to-docker-user',
          `${ruleWhere(fam.family, c, r)} is written in DOCKER-USER: ${why}. ${conv.explanation}`,
          r.pos,
        ),
      );
    }
    return { ...c, rules: [] };
  });
  if (first.length === 0 && last.length === 0) return { ...fam, chains };
  const at = chains.findIndex((c) => c.table === 'filter' && c.name === DOCKER_USER);
  const user: ExportChain =
    at >= 0 ? chains[at]! : { table: 'filter', name: DOCKER_USER, builtin: false, rules: [] };
  const filled = { ...user, rules: [...first, ...user.rules, ...last] };
  if (at >= 0) chains[at] = filled;
  else chains.push(filled);
  return { ...fam, chains };
}
