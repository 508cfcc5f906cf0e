import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  // nft reads a JSON script by opening the file, and /dev/stdin cannot be opened on the socket a
  // child's stdin is: it goes through a private file instead.
  const r = script.startsWith('{')
    ? await withScriptFile(script, (file) =>
        runner.run(['nft', '-j', ...check, '-f', file], { inheritFds: opts.inheritFds ?? [] }),
      )
    : await runner.run(['nft', ...check, '-f', '-'], { stdin: script, inheritFds: opts.inheritFds ?? [] });
  if (r.code === 0) return;
  const message = r.stderr.trim().split('\n').filter(Boolean).slice(0, 6).join('; ');
  throw new Error(message || `nft exited with ${r.code}`);
}

async function withScriptFile<T>(script: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-nft-'));
  try {
    const file = join(dir, 'restore.json');
    writeFileSync(file, script, { mode: 0o600 });
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
