import { ownValue } from '../model/own-key.js';
import { memberComment, memberElement } from '../parse/index.js';
import { DOCKER_USER, isDockerChain } from '../compile/index.js';
import type { Diagnostic, IpSet, TableName } from '../model/index.js';
import { diag, hasErrors } from '../model/index.js';
import { tablesOf } from './export-source.js';
import type { ExportChain, ExportFamily, ExportResult, ExportSource } from './export-types.js';
import { INSTALL_PATHS, ruleWhere } from './export-types.js';
import { nftRule } from './nft-rule.js';
import { Untranslatable, nftName } from './nft-words.js';

/** Hook and priority of each built-in chain, as iptables-nft registers them. */
const HOOKS: Record<TableName, Record<string, [type: string, hook: string, priority: number]>> = {
  filter: {
    INPUT: ['filter', 'input', 0],
    FORWARD: ['filter', 'forward', 0],
    OUTPUT: ['filter', 'output', 0],
  },
  nat: {
    PREROUTING: ['nat', 'prerouting', -100],
    INPUT: ['nat', 'input', 100],
    OUTPUT: ['nat', 'output', -100],
    POSTROUTING: ['nat', 'postrouting', 100],
  },
  mangle: {
    PREROUTING: ['filter', 'prerouting', -150],
    INPUT: ['filter', 'input', -150],
    FORWARD: ['filter', 'forward', -150],
    OUTPUT: ['route', 'output', -150],
    POSTROUTING: ['filter', 'postrouting', -150],
  },
  raw: { PREROUTING: ['filter', 'prerouting', -300], OUTPUT: ['filter', 'output', -300] },
  security: {
    INPUT: ['filter', 'input', 50],
    FORWARD: ['filter', 'forward', 50],
    OUTPUT: ['filter', 'output', 50],
  },
};

/**
 * The rule set as an nftables script. From a dump, each iptables table becomes the nft table of the
 * same name (what iptables-restore-translate produces). From a policy, dockwall's chains go into
 * tables of their own (`dockwall`, `dockwall-nat`, …) beside whatever else runs; DOCKER-USER, which
 * Docker's FORWARD enters first, becomes a base chain on the forward hook just before the filter
 * priority. Each table is replaced whole when the script is loaded. ipsets become named sets.
 * A rule with no translation is an error naming the rule; nothing is dropped silently.
 */
export function exportNft(source: ExportSource): ExportResult {
  const diagnostics: Diagnostic[] = [];
  const setsByName = new Map(source.sets.map((s) => [s.name, s]));
  const out: string[] = [
    '#!/usr/sbin/nft -f',
    `# nftables rules from ${source.file}, exported by dockwall.`,
    `# Check with: nft -c -f ${INSTALL_PATHS.nft}    load with: nft -f ${INSTALL_PATHS.nft}`,
    '# Each table below is replaced whole when the file is loaded; other tables are not touched.',
  ];
  if (source.origin === 'dump') {
    out.push(
      '# The tables have the names iptables-nft uses: load this instead of the iptables rules, not beside them.',
    );
  }
  for (const fam of source.families) {
    const nfFamily = fam.family === 'ipv4' ? 'ip' : 'ip6';
    for (const table of tablesOf(fam)) {
      const name = source.origin === 'dump' ? table : table === 'filter' ? 'dockwall' : `dockwall-${table}`;
      const chains = fam.chains.filter((c) => c.table === table);
      // Rules can jump only to regular chains: base chains (hooked ones) are entered by the kernel.
      const jumpable = chains.filter((c) => !isBaseChain(source, c)).map((c) => c.name);
      const ctx = { family: fam.family, sets: setsByName, chains: new Set(jumpable) };
      const used = new Set<string>();
      const body: string[] = [];
      for (const c of chains) {
        body.push(...chainText(source, fam, c, ctx, used, diagnostics));
      }
      const setLines = [...used].flatMap((s) => setText(setsByName.get(s)!, fam, diagnostics));
      out.push(
        '',
        `table ${nfFamily} ${name}`,
        `delete table ${nfFamily} ${name}`,
        `table ${nfFamily} ${name} {`,
        ...setLines,
        ...body,
        '}',
      );
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  return {
    parts: [{ path: INSTALL_PATHS.nft, text: out.join('\n') + '\n', description: 'nftables script' }],
    diagnostics,
  };
}

function chainText(
  source: ExportSource,
  fam: ExportFamily,
  c: ExportChain,
  ctx: Parameters<typeof nftRule>[1],
  used: Set<string>,
  diagnostics: Diagnostic[],
): string[] {
  let name: string;
  try {
    name = nftName(c.name);
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    diagnostics.push(
      diag('error', 'export.nft-name', `${fam.family} ${c.table} chain ${c.name}: ${e.message}`, c.pos),
    );
    return [];
  }
  if (source.origin === 'policy' && isDockerChain(c.name) && c.rules.length > 0) {
    diagnostics.push(
      diag(
        'error',
        'export.nft-docker-chain',
        `${fam.family} ${c.table} ${c.name}: Docker's chain; in dockwall's own table nothing would enter it`,
        c.rules[0]!.pos,
        {
          hint: 'put the rules in DOCKER-USER (`dockwall import pyfw` moves them)',
        },
      ),
    );
    return [];
  }
  const lines = [`\tchain ${name} {`];
  const hook = ownValue(HOOKS[c.table], c.name);
  if (c.builtin && hook) {
    const [type, at, priority] = hook;
    const policy = c.policy === 'DROP' ? 'drop' : 'accept';
    lines.push(`\t\ttype ${type} hook ${at} priority ${priority}; policy ${policy};`);
  } else if (source.origin === 'policy' && c.table === 'filter' && c.name === DOCKER_USER) {
    // Runs before Docker's own forward rules; `return` (or the end) hands the packet on to them.
    lines.push('\t\ttype filter hook forward priority -1; policy accept;');
  }
  for (const r of c.rules) {
    const t = nftRule(r.rule, ctx);
    if ('problem' in t) {
      diagnostics.push(
        diag(
          'error',
          'export.nft-untranslatable',
          `${ruleWhere(fam.family, c, r)} cannot be translated to nftables: ${t.problem}`,
          r.pos,
        ),
      );
      continue;
    }
    for (const s of t.sets) used.add(s);
    lines.push(`\t\t${t.text}`);
  }
  lines.push('\t}');
  return lines;
}

function isBaseChain(source: ExportSource, c: ExportChain): boolean {
  return (
    (c.builtin && ownValue(HOOKS[c.table], c.name) !== undefined) ||
    (source.origin === 'policy' && c.table === 'filter' && c.name === DOCKER_USER)
  );
}

function setText(set: IpSet, fam: ExportFamily, diagnostics: Diagnostic[]): string[] {
  const type = set.family === 'inet6' ? 'ipv6_addr' : 'ipv4_addr';
  const lines = [`\tset ${set.name} {`, `\t\ttype ${type}`];
  // ipset's networks may overlap; an nft interval set refuses that unless it merges them.
  if (set.type === 'hash:net') lines.push('\t\tflags interval', '\t\tauto-merge');
  const members = set.members.map((m) => {
    const comment = memberComment(m);
    const element = memberElement(m).replace(/\/(32|128)$/, '');
    return comment === undefined ? element : `${element} comment "${comment}"`;
  });
  if (members.length > 0) lines.push(`\t\telements = { ${members.join(', ')} }`);
  lines.push('\t}');
  try {
    nftName(set.name);
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    diagnostics.push(
      diag('error', 'export.nft-name', `${fam.family} set ${set.name}: ${e.message}`, set.pos),
    );
  }
  return lines;
}
