import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerApply } from './apply.js';
import { registerCompletion } from './completion.js';
import { registerRollback } from './rollback.js';
import { registerTls } from './tls.js';
import { registerInstallService } from './install-service.js';
import { registerAudit } from './audit.js';
import { registerTrace } from './trace.js';
import { registerWatch } from './watch.js';
import { registerCheck } from './check.js';
import { registerDoctor } from './doctor.js';
import { registerPlan } from './plan.js';
import { registerExport } from './export.js';
import { registerShow } from './show.js';
import { registerStatus } from './status.js';
import { registerSchema, registerValidate } from './validate.js';

export type Run = (fn: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function registerCommands(program: Command, run: Run): void {
  registerPlan(program, run);
  registerApply(program, run);
  registerRollback(program, run);
  registerStatus(program, run);
  registerCheck(program, run);
  registerDoctor(program, run);
  registerWatch(program, run);
  registerTrace(program, run);
  registerAudit(program, run);
  registerInstallService(program, run);
  registerTls(program, run);
  registerExport(program, run);
  registerShow(program, run);
  registerValidate(program, run);
  registerSchema(program, run);
  // Last: it describes every command registered before it.
  registerCompletion(program, run);
}
