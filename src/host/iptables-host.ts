import type { Family, IptablesVariant, TableName } from '../model/index.js';
import { iptablesArgv, iptablesCommand, restoreArgv, saveArgv } from './iptables-commands.js';
import { HostCommandError, type RunResult, type Runner } from './runner.js';

/**
 * Reading and writing the live iptables tables. Everything returns the tools' raw text; parsing
 * it is the parser's job.
 */

export interface VariantOption {
  /** Use `iptables-legacy…` / `iptables-nft…` instead of the plain `iptables…` commands. */
  variant?: IptablesVariant;
}

export interface ChainRead {
  exists: boolean;
  /** `iptables -S CHAIN` output (the `-P`/`-N` line and the `-A` rules); empty when absent. */
  text: string;
}

const NO_CHAIN = /No chain\/target\/match by that name/;
// iptables-nft 1.8.9 reports a chain that does not exist as "incompatible".
const INCOMPATIBLE = /chain `[^']*' in table `[^']*' is incompatible/;

/** `iptables -w -t TABLE -S CHAIN`: the chain's rules, or `exists: false` when there is no such chain. */
export async function readChainRules(
  runner: Runner,
  family: Family,
  table: TableName,
  chain: string,
  opts: VariantOption = {},
): Promise<ChainRead> {
  const argv = iptablesArgv(family, table, ['-S', chain], opts.variant);
  const result = await runner.run(argv, { batch: true });
  if (result.code === 0) return { exists: true, text: result.stdout };
  if (result.code === 1 && NO_CHAIN.test(result.stderr)) return { exists: false, text: '' };
  if (result.code === 1 && INCOMPATIBLE.test(result.stderr)) {
    // Tell a missing chain from a really incompatible one by looking at the whole table.
    const saved = await readTable(runner, family, table, opts);
    const declared = saved.split('\n').some((l) => l.startsWith(`:${chain} `));
    if (!declared) return { exists: false, text: '' };
  }
  throw new HostCommandError([...runner.wrap, ...argv], result);
}

/** `iptables -t TABLE -S`: every chain of one table (`-P`, `-N`, `-A` lines), in one process. */
export async function readTableRules(
  runner: Runner,
  family: Family,
  table: TableName,
  opts: VariantOption = {},
): Promise<string> {
  const argv = iptablesArgv(family, table, ['-S'], opts.variant);
  return checkedStdout(runner, argv, await runner.run(argv));
}

/** `iptables-save -t TABLE`: one table as iptables-save prints it. */
export async function readTable(
  runner: Runner,
  family: Family,
  table: TableName,
  opts: VariantOption & { counters?: boolean } = {},
): Promise<string> {
  const argv = saveArgv(family, table, opts.variant, { counters: opts.counters });
  return checkedStdout(runner, argv, await runner.run(argv));
}

/** `iptables-save`: every table the kernel has for this family (empty text when none exist). */
export async function readAllTables(
  runner: Runner,
  family: Family,
  opts: VariantOption & { counters?: boolean } = {},
): Promise<string> {
  const argv = saveArgv(family, undefined, opts.variant, { counters: opts.counters });
  return checkedStdout(runner, argv, await runner.run(argv, { batch: true }));
}

function checkedStdout(runner: Runner, argv: string[], result: RunResult): string {
  if (result.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], result);
  return result.stdout;
}

export interface RestoreResult {
  ok: boolean;
  /** What the tool (and the kernel through it) said, without the usage hint; set when not ok. */
  message?: string;
  /** The script line the tool rejected, when it said which. */
  line?: number;
  stderr: string;
}

/** Time allowed to a restore before it counts as hung: a base for starting up, plus time per line. */
export const RESTORE_BASE_TIMEOUT_MS = 30_000;
export const RESTORE_TIMEOUT_PER_LINE_MS = 2;

/**
 * How long an `iptables-restore` or `ipset restore` of this script may take: 30 s plus 2 ms per line
 * (a 100,000-rule transaction gets 230 s; nf_tables commits one in about 5 s on an idle host, so the
 * margin covers a busy host and the xtables lock, and a hung tool is still ended).
 */
export function restoreTimeoutMs(script: string): number {
  let lines = 0;
  for (let i = script.indexOf('\n'); i !== -1; i = script.indexOf('\n', i + 1)) lines++;
  return RESTORE_BASE_TIMEOUT_MS + lines * RESTORE_TIMEOUT_PER_LINE_MS;
}

/**
 * `iptables-restore --noflush --wait` with the script on standard input. The tool commits each
 * table atomically, so a failed restore changes nothing in that table.
 */
export async function restore(
  runner: Runner,
  family: Family,
  script: string,
  opts: VariantOption & { test?: boolean; timeoutMs?: number; inheritFds?: number[] } = {},
): Promise<RestoreResult> {
  const argv = restoreArgv(family, opts.variant, { test: opts.test });
  const result = await runner.run(argv, {
    stdin: script,
    timeoutMs: opts.timeoutMs ?? restoreTimeoutMs(script),
    inheritFds: opts.inheritFds ?? [],
  });
  return restoreOutcome(result);
}

/** Reads the outcome of a `*-restore` command (iptables or ipset). */
export function restoreOutcome(result: RunResult): RestoreResult {
  if (result.code === 0) return { ok: true, stderr: result.stderr };
  const lines = result.stderr.split('\n').map((l) => l.trim());
  let line: number | undefined;
  const kept: string[] = [];
  for (const l of lines) {
    const at = /^Error occurred at line: (\d+)$/.exec(l) ?? /line (\d+) failed/.exec(l);
    if (at?.[1]) line = Number(at[1]);
    const inLine = /Error in line (\d+):/.exec(l);
    if (inLine?.[1]) line = Number(inLine[1]);
    if (l === '' || /^Error occurred at line: \d+$/.test(l) || /^Try `.*' for more information\.$/.test(l))
      continue;
    kept.push(l);
  }
  let message = kept.join('; ');
  if (result.timedOut) message = `timed out${message ? `: ${message}` : ''}`;
  if (!message) message = `exit status ${result.code}`;
  const out: RestoreResult = { ok: false, message, stderr: result.stderr };
  if (line !== undefined) out.line = line;
  return out;
}

export type PrivilegeCheck = { ok: true } | { ok: false; reason: string };

const DENIED = /Permission denied|you must be root|Operation not permitted/i;

/**
 * Whether this process may read and change the firewall: tries `iptables -w -S INPUT` (and
 * `ipset list -n` when asked) and explains a refusal in one line.
 */
export async function checkPrivileges(
  runner: Runner,
  opts: VariantOption & { ipset?: boolean } = {},
): Promise<PrivilegeCheck> {
  const cmd = iptablesCommand('ipv4', 'main', opts.variant);
  // Both probes at once; iptables' answer still decides first.
  const setsProbe = opts.ipset ? runner.run(['ipset', 'list', '-n'], { batch: true }) : undefined;
  setsProbe?.catch(() => undefined);
  const probe = await runner.run(iptablesArgv('ipv4', 'filter', ['-S', 'INPUT'], opts.variant), {
    batch: true,
  });
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  const who = euid !== undefined && euid !== 0 ? ` (running as uid ${euid})` : '';
  if (probe.code === 127) return { ok: false, reason: `${cmd} is not installed (or not on PATH)` };
  if (probe.code !== 0) {
    const said = firstMeaningfulLine(probe.stderr);
    if (DENIED.test(probe.stderr)) {
      return {
        ok: false,
        reason: `not allowed to read the firewall${who}: run as root or with CAP_NET_ADMIN (${said})`,
      };
    }
    return {
      ok: false,
      reason: `cannot read the firewall with ${cmd}: ${said || `exit status ${probe.code}`}`,
    };
  }
  if (setsProbe) {
    const sets = await setsProbe;
    if (sets.code === 127) return { ok: false, reason: 'ipset is not installed (or not on PATH)' };
    if (sets.code !== 0) {
      const said = firstMeaningfulLine(sets.stderr);
      return DENIED.test(sets.stderr)
        ? {
            ok: false,
            reason: `not allowed to read ipsets${who}: run as root or with CAP_NET_ADMIN (${said})`,
          }
        : { ok: false, reason: `cannot read ipsets: ${said || `exit status ${sets.code}`}` };
    }
  }
  return { ok: true };
}

function firstMeaningfulLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
