import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { IptablesVariant } from '../model/index.js';
import { commandEnv } from './runner.js';

/**
 * What this process can learn about the iptables variants without starting a process, where the
 * answer is certain (only for commands run in this process's own network namespace, unwrapped):
 * anything uncertain is left undefined and asked of the tools as before.
 */
export interface VariantFacts {
  /** The variant of the `iptables` command on PATH, from the multi-call binary it links to. */
  command?: IptablesVariant;
  /**
   * `false`: this network namespace has no legacy (ip_tables) tables, so `iptables-legacy-save`
   * would print none (the kernel lists them in /proc/net/ip_tables_names, which is what
   * iptables-legacy-save and iptables-nft's "legacy tables present" warning read).
   */
  legacyTables?: false;
}

/** xtables' multi-call binaries (iptables ≥ 1.8): the name says the variant. */
const MULTI: Record<string, IptablesVariant> = {
  'xtables-nft-multi': 'nf_tables',
  'xtables-legacy-multi': 'legacy',
};

/** The facts of this host and network namespace (see VariantFacts). */
export function localVariantFacts(
  env: { PATH?: string | undefined } = commandEnv(),
  procNet = '/proc/net',
): VariantFacts {
  const facts: VariantFacts = {};
  const command = commandVariantFromPath(env.PATH ?? '');
  if (command) facts.command = command;
  if (!legacyTablesMayExist(procNet)) facts.legacyTables = false;
  return facts;
}

/** The first `iptables` on PATH, followed through its links to xtables-{nft,legacy}-multi. */
export function commandVariantFromPath(path: string): IptablesVariant | undefined {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const candidate = join(dir, 'iptables');
    let real: string;
    try {
      const st = statSync(candidate);
      if (!st.isFile() || (st.mode & 0o111) === 0) continue;
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    // The first one found is the one run; a wrapper script or an old binary says nothing certain.
    return MULTI[basename(real)];
  }
  return undefined;
}

/** False only when the kernel lists no legacy iptables table in this network namespace. */
export function legacyTablesMayExist(procNet = '/proc/net'): boolean {
  let names: string;
  try {
    names = readFileSync(join(procNet, 'ip_tables_names'), 'utf8');
  } catch (e) {
    // No ip_tables module loaded: no legacy table anywhere.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return names.trim() !== '';
}
