import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Family } from '../model/index.js';
import { nftFamilyOf } from '../model/index.js';
import { HostCommandError, type Runner } from './runner.js';

/** `nft -j list ruleset`: every table of every family, as JSON text. */
export async function readNftRulesetJson(runner: Runner): Promise<string> {
  const argv = ['nft', '-j', 'list', 'ruleset'];
  const res = await runner.run(argv);
  if (res.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], res);
  return res.stdout;
}

/**
 * nft as dockwall uses it: one `nft -f` transaction for its own tables (checked first with `-c`),
 * `nft -j list table` of those tables only, and `nft list chains` to tell which firewall backend
 * Docker uses. Never `nft list ruleset`, never a command on Docker's tables.
 */

/**
 * Loads (or with `check`, only checks) an `nft -f` script; throws with nft's message when refused.
 * A script in nft's JSON (it starts with `{`: a snapshot's tables put back) is loaded with `-j`.
 */
export async function nftLoad(
  runner: Runner,
  script: string,
  opts: { check?: boolean; inheritFds?: number[] } = {},
): Promise<void> {
  const check = opts.check ? ['-c'] : [];
  const inherit = opts.inheritFds ?? [];
  // nft reads a JSON script by opening the file, and /dev/stdin cannot be opened on the socket a
  // child's stdin is: it reads a file of its own, passed as a descriptor.
  const r = script.startsWith('{')
    ? await withScriptFd(script, (fd) =>
        // The descriptors after the standard three are 3, 4, … in the order given.
        runner.run(['nft', '-j', ...check, '-f', `/dev/fd/${3 + inherit.length}`], {
          inheritFds: [...inherit, fd],
        }),
      )
    : await runner.run(['nft', ...check, '-f', '-'], { stdin: script, inheritFds: inherit });
  if (r.code === 0) return;
  const message = r.stderr.trim().split('\n').filter(Boolean).slice(0, 6).join('; ');
  throw new Error(message || `nft exited with ${r.code}`);
}

const SCRIPT_PREFIX = 'dockwall-nft-';

/**
 * Hands `use` a descriptor of a private file holding `script` that has no name: it is removed from
 * the directory as soon as it is made, so a dockwall killed while nft reads it leaves nothing
 * behind (nft opens it again as /dev/fd/N, which reaches the file without a name). Leftovers of
 * processes that died between those two steps, or of versions that kept the file in a directory of
 * its own (`dockwall-nft-XXXXXX/restore.json`), are removed first.
 */
async function withScriptFd<T>(script: string, use: (fd: number) => Promise<T>): Promise<T> {
  const dir = tmpdir();
  removeLeftoverScripts(dir);
  const path = join(dir, `${SCRIPT_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.json`);
  const fd = openSync(path, 'wx', 0o600);
  try {
    unlinkSync(path);
    writeFileSync(fd, script);
    return await use(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes what killed nft JSON loads left in the temporary directory (see removeLeftoverScripts):
 * every change dockwall journals starts with it, since JSON loads are rare now.
 */
export function removeLeftoverNftScripts(): string[] {
  return removeLeftoverScripts(tmpdir());
}

/** How old a script directory of an earlier version must be to count as left behind. */
const OLD_LEFTOVER_MS = 10 * 60_000;

/**
 * Removes script files whose process is gone, and script directories of earlier versions older than
 * ten minutes (a load lasts seconds: its runner's timeout is 30 s).
 */
export function removeLeftoverScripts(dir: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(SCRIPT_PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const pid = /^dockwall-nft-(\d+)-[0-9a-f]+\.json$/.exec(name)?.[1];
    try {
      if (pid !== undefined) {
        if (processAlive(Number(pid))) continue;
      } else {
        const st = lstatSync(path);
        if (!st.isDirectory() || !/^dockwall-nft-[A-Za-z0-9]{6}$/.test(name)) continue;
        if (now - st.mtimeMs < OLD_LEFTOVER_MS) continue;
      }
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Someone else's, or gone already.
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `nft -j list table ip|ip6 NAME` as text; undefined when the table does not exist. */
export async function nftListTableJson(
  runner: Runner,
  family: Family,
  name: string,
): Promise<string | undefined> {
  const r = await runner.run(['nft', '-j', 'list', 'table', nftFamilyOf(family), name]);
  if (r.code === 0) return r.stdout;
  if (/No such file or directory/.test(r.stderr)) return undefined;
  throw new Error(`nft -j list table ${nftFamilyOf(family)} ${name}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** `nft list table ip|ip6 NAME` as text (what a snapshot loads back); undefined when the table does not exist. */
export async function nftListTableText(
  runner: Runner,
  family: Family,
  name: string,
): Promise<string | undefined> {
  const r = await runner.run(['nft', 'list', 'table', nftFamilyOf(family), name]);
  if (r.code === 0) return r.stdout;
  if (/No such file or directory/.test(r.stderr)) return undefined;
  throw new Error(`nft list table ${nftFamilyOf(family)} ${name}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/**
 * What nft makes of a table script: it is loaded in a network namespace of its own, made for this
 * and gone when the command ends (never the host's), and that table listed (`nft -j`). Undefined when
 * no such namespace can be made here (no `unshare`, or not allowed) or nft refuses the script.
 */
export async function nftCanonicalTableJson(
  runner: Runner,
  family: Family,
  name: string,
  script: string,
): Promise<string | undefined> {
  const list = `nft -j list table ${nftFamilyOf(family)} ${name}`;
  const r = await runner.run(['unshare', '--net', '--', 'sh', '-c', `nft -f - && ${list}`], {
    stdin: script,
  });
  return r.code === 0 ? r.stdout : undefined;
}

/** Tables (`ip docker-bridges`) and the chains of each, from one `nft list chains`; undefined without nft. */
export async function nftChainListing(runner: Runner): Promise<Map<string, string[]> | undefined> {
  const r = await runner.run(['nft', 'list', 'chains'], { batch: true });
  if (r.code !== 0) return undefined;
  const out = new Map<string, string[]>();
  let chains: string[] | undefined;
  for (const line of r.stdout.split('\n')) {
    const t = /^table (\S+ \S+) \{/.exec(line);
    if (t) out.set(t[1]!, (chains = out.get(t[1]!) ?? []));
    const c = chains ? /^\s+chain (\S+) \{/.exec(line) : null;
    if (c?.[1]) chains!.push(c[1]);
  }
  return out;
}
