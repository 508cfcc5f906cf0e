import type { IptablesVariant } from '../model/index.js';
import type { VariantFacts } from './local-variant.js';
import { HostCommandError, type RunResult, type Runner } from './runner.js';

/**
 * Which iptables the `iptables` command is (nf_tables or legacy), and where Docker's chains are.
 * The two variants keep separate tables in the kernel: rules written with one are invisible to the
 * other, although the kernel runs both.
 */

export interface VariantReport {
  /** The variant the plain `iptables` command uses. */
  command: IptablesVariant;
  /** `1.8.9`, from `iptables --version`. */
  version?: string;
  /** The variant whose tables hold Docker's chains (`none`: no DOCKER chains in either). */
  docker: IptablesVariant | 'none';
  /** Docker's chains are only in the variant the `iptables` command does not use. */
  mismatch: boolean;
  /**
   * The command's own tables say the other variant's tables exist (iptables-nft's "iptables-legacy
   * tables present"), but the other variant's tools cannot be run: Docker's chains may be there.
   */
  otherUnreadable?: boolean;
  /** A plain-language explanation when something needs the reader's attention. */
  message?: string;
}

const DOCKER_CHAIN = /^:DOCKER(?:-[A-Z0-9-]+)?\s/m;

export function parseVariant(versionText: string): { variant: IptablesVariant; version?: string } {
  const variant: IptablesVariant = /\(nf_tables\)/.test(versionText) ? 'nf_tables' : 'legacy';
  const version = /\bv(\d+(?:\.\d+)+)/.exec(versionText)?.[1];
  return version ? { variant, version } : { variant };
}

/** True when an iptables-save dump declares one of Docker's chains (DOCKER, DOCKER-USER, …). */
export function hasDockerChains(saveText: string): boolean {
  return DOCKER_CHAIN.test(saveText);
}

function other(v: IptablesVariant): IptablesVariant {
  return v === 'legacy' ? 'nf_tables' : 'legacy';
}

function toolName(v: IptablesVariant): string {
  return v === 'legacy' ? 'iptables-legacy' : 'iptables-nft';
}

export async function detectVariant(runner: Runner, facts: VariantFacts = {}): Promise<VariantReport> {
  return (await detectVariantRead(runner, facts)).report;
}

/**
 * The report and the `iptables-save` dump it was made from (every table of the command's own
 * variant, ipv4): a caller that needs that dump anyway takes it from here instead of a second read.
 * `facts` (see localVariantFacts) spare the processes whose answer is already certain: the
 * command's variant (then no version is reported) and the absence of legacy tables.
 */
export async function detectVariantRead(
  runner: Runner,
  facts: VariantFacts = {},
): Promise<{ report: VariantReport; ownSave: string }> {
  const versionArgv = ['iptables', '--version'];
  // The command's own variant through its plain name (old systems have no -legacy/-nft binaries),
  // read while the version is asked, and the legacy tables beside them (where the other variant is
  // on most hosts, whose `iptables` is nf_tables): up to three processes at once instead of one
  // after the other (the facts spare the other two where they are certain). Only when `iptables`
  // turns out to be legacy are the nf_tables tables read afterwards.
  const ownArgv = ['iptables-save'];
  // No legacy table in this namespace: iptables-legacy-save would print nothing (and exit 0).
  const noLegacy: RunResult = { code: 0, stdout: '', stderr: '', durationMs: 0 };
  const guessed =
    facts.legacyTables === false
      ? Promise.resolve(noLegacy)
      : runner.run([`${toolName('legacy')}-save`], { batch: true });
  guessed.catch(() => undefined);
  const [versionResult, own] = await Promise.all([
    facts.command ? undefined : runner.run(versionArgv, { batch: true }),
    runner.run(ownArgv, { batch: true }),
  ]);
  let command: IptablesVariant;
  let version: string | undefined;
  if (versionResult) {
    if (versionResult.code !== 0) throw new HostCommandError([...runner.wrap, ...versionArgv], versionResult);
    ({ variant: command, version } = parseVariant(versionResult.stdout + versionResult.stderr));
  } else command = facts.command!;
  if (own.code !== 0) throw new HostCommandError([...runner.wrap, ...ownArgv], own);
  const otherVariant = other(command);
  const theirs =
    otherVariant === 'legacy'
      ? await guessed
      : await runner.run([`${toolName(otherVariant)}-save`], { batch: true });
  const inOwn = hasDockerChains(own.stdout);
  const inOther = theirs.code === 0 && hasDockerChains(theirs.stdout);

  const report: VariantReport = { command, docker: 'none', mismatch: false };
  if (version) report.version = version;
  if (inOwn) report.docker = command;
  else if (inOther) report.docker = otherVariant;

  // iptables-nft-save prints this warning on standard error.
  const otherPresent = `${own.stdout}${own.stderr}`.includes('# Warning: iptables-legacy tables present');
  if (!inOwn && otherPresent && theirs.code !== 0) {
    report.otherUnreadable = true;
    report.message =
      `\`iptables-save\` says iptables-legacy tables are present and shows none of Docker's chains, ` +
      `but \`${toolName(otherVariant)}-save\` cannot be run here (${theirs.stderr.trim() || `exit ${theirs.code}`}): ` +
      `Docker may be writing its rules there, where rules dockwall plans with \`iptables\` are never reached. ` +
      `Install the ${otherVariant} tools (or switch the iptables alternative) so both can be read.`;
  } else if (!inOwn && inOther) {
    report.mismatch = true;
    report.message =
      `Docker's chains are in the ${otherVariant} tables, but \`iptables\` is the ${command} variant: ` +
      `rules in one are invisible to the other, and the kernel runs both. Rules written with \`iptables\` ` +
      `would not see Docker's; use ${toolName(otherVariant)} (or switch the iptables alternative) so ` +
      `both write to the same tables.`;
  } else if (inOwn && inOther) {
    report.message =
      `Docker's chains exist in both the ${command} and the ${otherVariant} tables; the ${otherVariant} ` +
      `copy is likely left over from an earlier Docker and still runs in the kernel, invisible to \`iptables\`.`;
  }
  return { report, ownSave: own.stdout };
}
