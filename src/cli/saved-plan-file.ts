import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  madeFromDumps,
  makeSavedPlan,
  parseSavedPlan,
  savedPlanRefusal,
  type SavedPlan,
} from '../plan/index.js';
import type { CliContext } from './context.js';
import { errorWords } from '../model/index.js';
import { CliError } from './exit-codes.js';
import type { Planned } from './pipeline.js';
import { writeFileSafely } from './private-files.js';
import { dockwallVersion } from './version.js';

/** `plan -o FILE`: the plan with what it was planned against (policy and host state digests). */
export function writeSavedPlan(ctx: CliContext, out: string, policyFile: string, planned: Planned): void {
  if (policyFile === '-') throw new CliError('-o needs the policy in a file, not on stdin');
  const saved = makeSavedPlan({
    policyFile: resolve(policyFile),
    policyText: ctx.sources.get(policyFile) ?? readFileSync(policyFile, 'utf8'),
    state: planned.state,
    plan: planned.plan,
    offline: planned.offline,
    dockwallVersion: dockwallVersion(),
    createdAt: new Date(),
  });
  try {
    writeFileSafely(out, JSON.stringify(saved, null, 2) + '\n', {
      mode: 0o600,
      replace: true,
      dirMode: 0o755,
    });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot write ${out}: ${errorWords(e)}`);
  }
}

export function readSavedPlan(file: string): SavedPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${errorWords(e)}`);
  }
  const saved = parseSavedPlan(text, file);
  if ('error' in saved) throw new CliError(`${saved.error}; nothing was changed`);
  const dumps = madeFromDumps(saved);
  if (dumps) throw new CliError(`${file} cannot be applied: ${dumps}; nothing was changed`);
  return saved;
}

/** Stops `apply FILE` unless the policy and the host state read now are the ones the plan was made from. */
export function checkSavedPlan(file: string, saved: SavedPlan, planned: Planned): void {
  let policyText: string;
  try {
    policyText = readFileSync(saved.policy.file, 'utf8');
  } catch (e) {
    throw new CliError(
      `${file} cannot be applied: cannot read ${saved.policy.file}: ${errorWords(e)}; nothing was changed`,
    );
  }
  const why = savedPlanRefusal(saved, { policyText, state: planned.state, plan: planned.plan });
  if (why) throw new CliError(`${file} cannot be applied: ${why}; nothing was changed`);
}
