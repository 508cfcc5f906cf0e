import type { Family, IptablesVariant, TableName } from '../model/index.js';

/**
 * Names and argument vectors of the iptables tools, per family and variant. Without a variant the
 * plain names are used (`iptables`, whatever the system's alternative points at); with one, the
 * explicit `-legacy` / `-nft` binaries.
 */

export type IptablesTool = 'main' | 'save' | 'restore';

export interface IptablesTarget {
  family: Family;
  variant?: IptablesVariant;
}

export function iptablesCommand(
  family: Family,
  tool: IptablesTool = 'main',
  variant?: IptablesVariant,
): string {
  const base = family === 'ipv6' ? 'ip6tables' : 'iptables';
  const suffix = variant === 'legacy' ? '-legacy' : variant === 'nf_tables' ? '-nft' : '';
  const toolSuffix = tool === 'save' ? '-save' : tool === 'restore' ? '-restore' : '';
  return `${base}${suffix}${toolSuffix}`;
}

/** `iptables -w -t TABLE ARGS…`: the command waits for the xtables lock instead of failing. */
export function iptablesArgv(
  family: Family,
  table: TableName,
  args: readonly string[],
  variant?: IptablesVariant,
): string[] {
  return [iptablesCommand(family, 'main', variant), '-w', '-t', table, ...args];
}

/** `iptables-save [-t TABLE]` (the save tools take no lock and have no `--wait`). */
export function saveArgv(
  family: Family,
  table?: TableName,
  variant?: IptablesVariant,
  opts: { counters?: boolean } = {},
): string[] {
  const argv = [iptablesCommand(family, 'save', variant)];
  if (opts.counters) argv.push('-c');
  if (table) argv.push('-t', table);
  return argv;
}

/** `iptables-restore --noflush --wait [--test]`, reading the script on standard input. */
export function restoreArgv(
  family: Family,
  variant?: IptablesVariant,
  opts: { test?: boolean } = {},
): string[] {
  const argv = [iptablesCommand(family, 'restore', variant), '--noflush', '--wait'];
  if (opts.test) argv.push('--test');
  return argv;
}
