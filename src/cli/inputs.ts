import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { DockerInventory, Family, HostState, Policy, Ruleset } from '../model/index.js';
import { otherVariantWarning } from '../compile/index.js';
import { LEGACY_WARNING_PREFIX, parseIpsetSave, parseIptablesSave } from '../parse/index.js';
import { loadInventoryFile } from '../docker/inventory-file.js';
import { loadPolicy, type ReadMemberFile } from '../policy/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';
import { errorWords } from '../model/index.js';

export function readText(ctx: CliContext, file: string): string {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${errorWords(e)}`);
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
export function readStateFiles(
  ctx: CliContext,
  files: string[],
  ipsetFiles: string[],
  /** Texts of these files already read (`splitStateFiles`). */
  texts?: ReadonlyMap<string, string>,
): HostState {
  const rulesets: Partial<Record<Family, Ruleset>> = {};
  for (const file of files) {
    const text = texts?.get(file) ?? readText(ctx, file);
    const rs = ctx.valueOf(parseIptablesSave(text, { file }), `${file} is not a valid rule dump`);
    const at = text.indexOf(LEGACY_WARNING_PREFIX);
    const line = at < 0 ? 1 : text.slice(0, at).split('\n').length;
    const warning = otherVariantWarning(rs, { file, line, column: 1 });
    if (warning) ctx.collect([warning]);
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

/**
 * A Docker inventory saved as JSON: dockwall's own shape (`{"networks": [...], "containers": [...]}`)
 * or `docker inspect` output (docs/docker.md). Stops (exit 1) on any error, printing positioned messages.
 */
export function readInventoryFile(ctx: CliContext, file: string): DockerInventory {
  return ctx.valueOf(loadInventoryFile(readText(ctx, file), file), `${file} is not a Docker inventory`);
}

export function collectRepeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
