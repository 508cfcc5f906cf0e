import { DOCKER_USER } from '../compile/index.js';
import type { Diagnostic, TableName } from '../model/index.js';
import { TABLES, diag, hasErrors } from '../model/index.js';
import { commentOf } from '../parse/index.js';
import { dockerOwns, ipv6DockerUserWarnings, isDockerBuiltin } from './export-source.js';
import type { ExportChain, ExportFamily, ExportResult, ExportSource } from './export-types.js';
import { INSTALL_PATHS, ruleWhere } from './export-types.js';
import { moveIntoDockerUser } from './ferm-docker-user.js';
import { fermRule, fermWord } from './ferm-rule.js';
import { ipsetSyncLines } from './ipset-lines.js';

/** Docker's iptables layouts, as `detectDockerLayout` names them. */
export type DockerGeneration = '17.06-27' | '28' | '29';

export interface FermExportOptions {
  /** Which Docker chains a policy's file preserves (a dump preserves the Docker chains it shows). */
  dockerLayout?: DockerGeneration;
}

const DOCKER_FILTER_CHAINS: Record<DockerGeneration, string[]> = {
  '17.06-27': ['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2'],
  '28': [
    'DOCKER',
    'DOCKER-BRIDGE',
    'DOCKER-CT',
    'DOCKER-FORWARD',
    'DOCKER-ISOLATION-STAGE-1',
    'DOCKER-ISOLATION-STAGE-2',
  ],
  '29': ['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL'],
};

/** The chains Docker (of this layout) owns, by table: ferm must copy them, not replace them. */
export function dockerPreserveList(gen: DockerGeneration): Partial<Record<TableName, string[]>> {
  const out: Partial<Record<TableName, string[]>> = {
    filter: [...DOCKER_FILTER_CHAINS[gen], 'FORWARD'],
    nat: ['DOCKER', 'PREROUTING', 'OUTPUT', 'POSTROUTING'],
  };
  if (gen !== '17.06-27') out.raw = ['PREROUTING'];
  return out;
}

/**
 * A ferm configuration with the source's rules, in which Docker's chains, and the built-in chains
 * Docker writes into, are kept with `@preserve`: ferm copies them from the running rule set each time
 * it loads, instead of replacing them with a copy taken today. ipsets are created by `@hook pre`
 * commands. A rule ferm has no keyword for is an error naming the rule. A policy's rules in FORWARD
 * or Docker's chains are written in DOCKER-USER, as `dockwall import pyfw` converts them, each move
 * explained by an info diagnostic (`moveIntoDockerUser`).
 */
export function exportFerm(given: ExportSource, opts: FermExportOptions = {}): ExportResult {
  const gen = opts.dockerLayout ?? '17.06-27';
  const moved =
    given.origin === 'policy'
      ? moveIntoDockerUser(given, (table) => dockerPreserveList(gen)[table] ?? [])
      : { source: given, diagnostics: [] };
  const source = moved.source;
  const diagnostics: Diagnostic[] = [...moved.diagnostics, ...ipv6DockerUserWarnings(source)];
  const out: string[] = [
    `# ferm configuration from ${source.file}, exported by dockwall.`,
    `# Check it with: ferm --noexec --lines ${INSTALL_PATHS.ferm}    load it with: ferm ${INSTALL_PATHS.ferm}`,
    '# ferm replaces each table it loads as a whole. The chains Docker owns, and the built-in chains Docker',
    '# writes into, are marked @preserve: ferm copies their current rules instead of replacing them, so',
    "# reloading ferm keeps Docker's rules (@preserve needs ferm's default fast mode, not --slow).",
    '# ferm runs the legacy iptables tools when installed: dockerd must use the same variant.',
  ];
  const hooks = ipsetSyncLines(source.sets).map((l) => `@hook pre ${fermWord(`ipset -exist ${l}`)};`);
  if (hooks.length > 0)
    out.push('', '# ipsets the rules refer to: created if missing, members swapped in whole', ...hooks);

  for (const fam of source.families) {
    const domain = fam.family === 'ipv4' ? 'ip' : 'ip6';
    const body: string[] = [];
    for (const table of TABLES) {
      const preserved = preserveFor(source, fam, table, gen);
      const chains = fam.chains.filter((c) => c.table === table && !preserved.includes(c.name));
      for (const c of fam.chains) {
        if (c.table === table && preserved.includes(c.name)) checkPreserved(source, fam, c, diagnostics);
      }
      if (chains.length === 0 && preserved.length === 0) continue;
      body.push(`    table ${table} {`);
      if (preserved.length > 0) body.push(`        chain (${preserved.map(fermWord).join(' ')}) @preserve;`);
      for (const c of chains) body.push(...fermChain(source, fam, c, diagnostics));
      body.push('    }');
    }
    if (body.length > 0) out.push('', `domain ${domain} {`, ...body, '}');
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  return {
    parts: [{ path: INSTALL_PATHS.ferm, text: out.join('\n') + '\n', description: 'ferm configuration' }],
    diagnostics,
  };
}

function preserveFor(
  source: ExportSource,
  fam: ExportFamily,
  table: TableName,
  gen: DockerGeneration,
): string[] {
  if (source.origin === 'policy') {
    return dockerPreserveList(gen)[table] ?? [];
  }
  return fam.chains
    .filter((c) => c.table === table && dockerOwns(source, fam, table, c.name))
    .map((c) => c.name);
}

/** A preserved chain must not get rules or a policy from ferm; say what happens to the source's. */
function checkPreserved(
  source: ExportSource,
  fam: ExportFamily,
  c: ExportChain,
  diagnostics: Diagnostic[],
): void {
  // A policy's rules there were moved to DOCKER-USER (moveIntoDockerUser); a dump's stay in the chain.
  for (const r of c.rules) {
    if (source.origin === 'dump' && commentOf(r.rule) !== undefined) {
      diagnostics.push(
        diag(
          'warning',
          'export.ferm-preserved-rule',
          `${ruleWhere(fam.family, c, r)} is not Docker's but ${c.name} is preserved: ferm keeps it only while it is loaded, the file does not contain it`,
          r.pos,
        ),
      );
    }
  }
  if (source.origin === 'policy' && c.policy && isDockerBuiltin(c.table, c.name)) {
    diagnostics.push(
      diag(
        'warning',
        'export.ferm-preserved-policy',
        `the policy of ${c.table} ${c.name} (${c.policy}) is left out: ferm keeps the policy of a preserved chain as it is`,
        c.pos,
      ),
    );
  }
}

function fermChain(
  source: ExportSource,
  fam: ExportFamily,
  c: ExportChain,
  diagnostics: Diagnostic[],
): string[] {
  const lines: string[] = [];
  if (c.builtin && c.policy) lines.push(`            policy ${c.policy};`);
  for (const r of c.rules) {
    const t = fermRule(r.rule);
    if ('problem' in t) {
      diagnostics.push(
        diag(
          'error',
          'export.ferm-untranslatable',
          `${ruleWhere(fam.family, c, r)} cannot be written for ferm: ${t.problem}`,
          r.pos,
        ),
      );
      continue;
    }
    lines.push(`            ${t.text}`);
  }
  if (source.origin === 'policy' && c.table === 'filter' && c.name === DOCKER_USER) {
    // Docker (17.06–27) creates DOCKER-USER holding `-j RETURN`; the file leaves it that way.
    lines.push('            RETURN;');
  }
  return lines.length === 0
    ? [`        chain ${fermWord(c.name)};`]
    : [`        chain ${fermWord(c.name)} {`, ...lines, '        }'];
}
