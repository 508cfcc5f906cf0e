import { ownValue } from '../model/own-key.js';
import { DOCKER_USER, isDockerChain } from '../compile/index.js';
import type { Diagnostic, TableName } from '../model/index.js';
import { NFT_TABLE, diag, hasErrors } from '../model/index.js';
import { tablesOf } from './export-source.js';
import type { ExportChain, ExportFamily, ExportResult, ExportSource } from './export-types.js';
import { INSTALL_PATHS, ruleWhere } from './export-types.js';
import { FORWARD_PRIORITY, buildNftTable, nftTableLines, type NftChainInput } from './nft-table.js';
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
 * Docker's FORWARD enters first, becomes a base chain on the forward hook before the filter
 * priority (as the nftables writer's forward chain: `buildNftTable` is the code path both share). Each table is replaced whole when the script is loaded. ipsets become named sets.
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
    for (const table of tablesOf(fam)) {
      const name =
        source.origin === 'dump' ? table : table === 'filter' ? NFT_TABLE : `${NFT_TABLE}-${table}`;
      const chains = fam.chains
        .filter((c) => c.table === table)
        .map((c) => chainInput(source, fam, c, diagnostics))
        .filter((c): c is NftChainInput => c !== undefined);
      out.push('', ...nftTableLines(buildNftTable(fam.family, name, chains, setsByName, diagnostics)));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  return {
    parts: [{ path: INSTALL_PATHS.nft, text: out.join('\n') + '\n', description: 'nftables script' }],
    diagnostics,
  };
}

function chainInput(
  source: ExportSource,
  fam: ExportFamily,
  c: ExportChain,
  diagnostics: Diagnostic[],
): NftChainInput | undefined {
  let name: string;
  try {
    name = nftName(c.name);
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    diagnostics.push(
      diag('error', 'export.nft-name', `${fam.family} ${c.table} chain ${c.name}: ${e.message}`, c.pos),
    );
    return undefined;
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
    return undefined;
  }
  const input: NftChainInput = { name, rules: c.rules, where: (r) => ruleWhere(fam.family, c, r) };
  const hook = ownValue(HOOKS[c.table], c.name);
  if (c.builtin && hook) {
    const [type, at, priority] = hook;
    input.hook = { type, hook: at, priority, policy: c.policy === 'DROP' ? 'drop' : 'accept' };
  } else if (source.origin === 'policy' && c.table === 'filter' && c.name === DOCKER_USER) {
    // Runs before Docker's own forward rules; `return` (or the end) hands the packet on to them.
    input.hook = { type: 'filter', hook: 'forward', priority: FORWARD_PRIORITY, policy: 'accept' };
  }
  return input;
}
