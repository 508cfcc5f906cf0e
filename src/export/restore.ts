import { DOCKER_USER } from '../compile/index.js';
import type { Diagnostic, Family, TableName } from '../model/index.js';
import { diag, hasErrors } from '../model/index.js';
import { commentOf, formatRule } from '../parse/index.js';
import { dockerOwns, ipv6DockerUserWarnings, tablesOf } from './export-source.js';
import type { ExportChain, ExportFamily, ExportPart, ExportResult, ExportSource } from './export-types.js';
import { INSTALL_PATHS, familyLabel, ruleWhere } from './export-types.js';
import { ipsetSyncLines } from './ipset-lines.js';
import { restoreUnit } from './systemd-units.js';

export interface RestoreExportOptions {
  /** Also produce the systemd unit that loads the files at boot. */
  unit?: boolean;
}

const STANDARD_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/**
 * iptables-restore files meant for `iptables-restore -n` (one per family): they flush and fill only
 * the chains they name, the way a hand-written /etc/iptables.conf beside Docker does. A user chain is
 * declared with `:NAME - [0:0]`, which under `-n` creates it or flushes it; a built-in chain gets an
 * explicit `-F` and `-P`. Docker's chains, and the built-in chains Docker writes into (FORWARD, nat
 * PREROUTING/OUTPUT/POSTROUTING), are never named: a rule the source puts there cannot be expressed.
 */
export function exportRestore(source: ExportSource, opts: RestoreExportOptions = {}): ExportResult {
  const diagnostics: Diagnostic[] = ipv6DockerUserWarnings(source);
  const parts: ExportPart[] = [];
  const files: Partial<Record<Family, string>> = {};
  for (const fam of source.families) {
    const text = familyFile(source, fam, diagnostics);
    if (text === undefined) continue;
    const path = fam.family === 'ipv4' ? INSTALL_PATHS.restoreV4 : INSTALL_PATHS.restoreV6;
    files[fam.family] = path;
    const tool = fam.family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore';
    parts.push({
      path,
      text,
      description: `${familyLabel(fam.family)} rules: load with \`${tool} -n ${path}\``,
    });
  }
  const usedSets = source.sets;
  if (usedSets.length > 0) {
    const lines = ipsetSyncLines(usedSets);
    const header = [
      `# ipsets for the rules in ${Object.values(files).join(' and ') || 'the restore files'}, from ${source.file}.`,
      `# Load before the rules with: ipset -exist -file ${INSTALL_PATHS.ipsets} restore`,
      '# Each set is created if missing and its members are swapped in whole.',
    ];
    parts.push({
      path: INSTALL_PATHS.ipsets,
      text: [...header, ...lines].join('\n') + '\n',
      description: 'ipsets the rules refer to',
    });
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  if (parts.length === 0) {
    diagnostics.push(diag('error', 'export.empty', `${source.file} has no rules to export`));
    return { diagnostics };
  }
  if (opts.unit) {
    const v4 = files.ipv4;
    const v6 = files.ipv6;
    const ipset = usedSets.length > 0 ? { ipsetFile: INSTALL_PATHS.ipsets } : {};
    let unit = restoreUnit(
      v4
        ? { restoreFile: v4, ...(v6 ? { ip6RestoreFile: v6 } : {}), ...ipset }
        : { restoreFile: v6!, ...ipset },
    );
    if (!v4 && v6) unit = unit.replace(/\/sbin\/iptables-restore /, '/sbin/ip6tables-restore ');
    parts.push({
      path: INSTALL_PATHS.restoreUnit,
      text: unit,
      description: 'systemd unit loading the files at boot',
    });
  }
  return { parts, diagnostics };
}

/**
 * `iptables-restore -n --wait FILE` takes FILE as the number of seconds to wait: the nf_tables variant
 * then reads nothing from stdin and succeeds, the legacy one fails. `--wait -n FILE` loads FILE.
 */
function familyFile(source: ExportSource, fam: ExportFamily, diagnostics: Diagnostic[]): string | undefined {
  const tool = fam.family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore';
  const path = fam.family === 'ipv4' ? INSTALL_PATHS.restoreV4 : INSTALL_PATHS.restoreV6;
  const blocks: string[] = [];
  const owned: string[] = [];
  for (const table of tablesOf(fam)) {
    const chains = fam.chains.filter(
      (c) => c.table === table && included(source, fam, table, c, diagnostics),
    );
    if (chains.length === 0) continue;
    checkJumps(fam, table, chains, diagnostics);
    const lines = [`*${table}`];
    for (const c of chains) if (!c.builtin) lines.push(`:${c.name} - [0:0]`);
    for (const c of chains) {
      if (!c.builtin) continue;
      if (!dockerOwns(source, fam, table, c.name)) lines.push(`-F ${c.name}`);
      if (c.policy) lines.push(`-P ${c.name} ${c.policy}`);
    }
    for (const c of chains) {
      for (const r of c.rules) {
        const body = formatRule(r.rule);
        lines.push(body === '' ? `-A ${c.name}` : `-A ${c.name} ${body}`);
      }
      // Docker (17.06–27) creates DOCKER-USER holding `-j RETURN`; the file leaves it that way.
      if (source.origin === 'policy' && c.name === DOCKER_USER && table === 'filter')
        lines.push(`-A ${DOCKER_USER} -j RETURN`);
    }
    lines.push('COMMIT');
    blocks.push(...lines);
    owned.push(
      ...chains
        .filter((c) => !c.builtin || !dockerOwns(source, fam, table, c.name))
        .map((c) => `${table} ${c.name}`),
    );
  }
  if (blocks.length === 0) return undefined;
  for (const l of blocks) {
    if (/[\r\n\0]/.test(l))
      throw new Error(`internal error: a restore line contains a line break: ${JSON.stringify(l)}`);
  }
  const header = [
    `# ${familyLabel(fam.family)} firewall from ${source.file}, exported by dockwall.`,
    `# Load with: ${tool} -n ${path}`,
    `# -n is essential: without it ${tool} flushes every chain of these tables, Docker's included.`,
    `# This file owns (flushes and refills): ${owned.join(', ')}. Docker's chains are not named.`,
  ];
  return [...header, ...blocks].join('\n') + '\n';
}

/** Whether a chain goes into the file; Docker's chains never do, and rules there are reported. */
function included(
  source: ExportSource,
  fam: ExportFamily,
  table: TableName,
  c: ExportChain,
  diagnostics: Diagnostic[],
): boolean {
  if (!dockerOwns(source, fam, table, c.name)) return true;
  for (const r of c.rules) {
    if (source.origin === 'policy') {
      diagnostics.push(
        diag(
          'error',
          c.builtin ? 'export.docker-builtin' : 'export.docker-chain',
          c.builtin
            ? `${ruleWhere(fam.family, c, r)}: ${c.name} holds Docker's rules, and a restore file that fills it must flush them`
            : `${ruleWhere(fam.family, c, r)} is in Docker's chain ${c.name}, which a restore file must not name`,
          r.pos,
          {
            hint: c.builtin
              ? "put the rule in DOCKER-USER or INPUT, or use `dockwall apply`, which inserts rules beside Docker's"
              : 'dockerd flushes its chains when it restarts; put the rule in DOCKER-USER (`dockwall import pyfw` converts pyfw files)',
          },
        ),
      );
    } else if (commentOf(r.rule) !== undefined) {
      // In a dump, Docker's own rules carry no comment; a commented rule was put there by someone else.
      diagnostics.push(
        diag(
          'warning',
          'export.docker-chain-rule',
          `${ruleWhere(fam.family, c, r)} is left out: ${c.name} is Docker's, and the file must not flush it`,
          r.pos,
        ),
      );
    }
  }
  if (!c.builtin || source.origin === 'dump') return false;
  // A built-in chain Docker writes into: its policy can be set, its rules cannot be replaced.
  if (c.policy && table === 'filter' && c.name === 'FORWARD') {
    diagnostics.push(
      diag(
        'warning',
        'export.forward-policy',
        `the file sets the FORWARD policy to ${c.policy}; dockerd sets it too when it starts`,
        c.pos,
      ),
    );
  }
  return c.policy !== undefined;
}

/** Rules that jump to a chain the file does not create load only if that chain exists already. */
function checkJumps(
  fam: ExportFamily,
  table: TableName,
  chains: ExportChain[],
  diagnostics: Diagnostic[],
): void {
  const here = new Set(chains.map((c) => c.name));
  const known = new Set(fam.chains.filter((c) => c.table === table).map((c) => c.name));
  for (const c of chains) {
    for (const r of c.rules) {
      const t = r.rule.target;
      if (!t || STANDARD_TARGETS.has(t.name) || here.has(t.name)) continue;
      if (known.has(t.name) || /^DOCKER/.test(t.name)) {
        diagnostics.push(
          diag(
            'warning',
            'export.jump-outside',
            `${ruleWhere(fam.family, c, r)} jumps to ${t.name}, which the file does not create: loading fails until it exists`,
            r.pos,
          ),
        );
      }
    }
  }
}
