import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { DockerInventory, Family, HostState, Policy, Ruleset } from '../model/index.js';
import { parseIpsetSave, parseIptablesSave } from '../parse/index.js';
import { loadPolicy, type ReadMemberFile } from '../policy/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';

export function readText(ctx: CliContext, file: string): string {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  ctx.addSource(file, text);
  return text;
}

/** Reads and validates a policy file; stops (exit 1) on any error, printing positioned messages. */
export function readPolicy(ctx: CliContext, file: string): Policy {
  return ctx.valueOf(
    loadPolicy(readText(ctx, file), file, { readMemberFile: memberFileReader(file, ctx) }),
    `${file} is not a valid policy`,
  );
}

/**
 * Reads the files a policy's `members_from:` names, relative to the policy file's directory (the
 * working directory for a policy read from stdin). With `ctx`, their text is kept for diagnostics.
 */
export function memberFileReader(policyFile: string, ctx?: CliContext): ReadMemberFile {
  const base = policyFile === '-' ? '.' : dirname(policyFile);
  return (path) => {
    const file = isAbsolute(path) ? path : join(base, path);
    try {
      const text = readFileSync(file, 'utf8');
      ctx?.addSource(file, text);
      return { file, text };
    } catch (e) {
      return { error: `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  };
}

/** Reads saved dumps (iptables-save / ip6tables-save output, ipset save output) into a host state. */
export function readStateFiles(ctx: CliContext, files: string[], ipsetFiles: string[]): HostState {
  const rulesets: Partial<Record<Family, Ruleset>> = {};
  for (const file of files) {
    const rs = ctx.valueOf(
      parseIptablesSave(readText(ctx, file), { file }),
      `${file} is not a valid rule dump`,
    );
    if (rulesets[rs.family])
      throw new CliError(`two ${rs.family} dumps given (${file}); give one per family`);
    rulesets[rs.family] = rs;
  }
  const state: HostState = { rulesets, sets: { sets: [] } };
  for (const file of ipsetFiles) {
    const sets = ctx.valueOf(
      parseIpsetSave(readText(ctx, file), { file }),
      `${file} is not a valid ipset dump`,
    );
    state.sets.sets.push(...sets.sets);
  }
  return state;
}

/** A Docker inventory saved as JSON (the shape `dockwall inventory --json` prints). */
export function readInventoryFile(ctx: CliContext, file: string): DockerInventory {
  const text = readText(ctx, file);
  try {
    const inv = JSON.parse(text) as DockerInventory;
    if (!Array.isArray(inv.networks) || !Array.isArray(inv.containers))
      throw new Error('needs "networks" and "containers" arrays');
    return inv;
  } catch (e) {
    throw new CliError(`${file}: not a Docker inventory: ${(e as Error).message}`);
  }
}

export function collectRepeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
