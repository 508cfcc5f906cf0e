import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRunner } from '../../../src/host/runner.js';
import { DEBIAN_DOCKER, type DockerEngine } from './dockerd.js';
import { REPO_ROOT } from './lab.js';
import { findBinary, labGate, unavailable, type LabGate } from './requirements.js';

/**
 * Docker Engine 29.7.2 for the lab, from `../shared/docker-29.7.2` beside the repository (CI has
 * it there; `DOCKWALL_DOCKER29_DIR` points elsewhere). Its `install.sh DIR` unpacks dockerd,
 * docker-proxy, containerd 2.1, the shim and runc into `DIR/bin`; the lab installs it once into a
 * cache directory under /tmp (keyed by the bundle's SHA256SUMS) and reuses it across test files.
 */

export const DOCKER29_VERSION = '29.7.2';
export const DOCKER29_ENV = 'DOCKWALL_DOCKER29_DIR';
export const DOCKER29_CACHE = '/tmp/dwl-docker29';

/** Where the Docker 29.7.2 bundle is: `$DOCKWALL_DOCKER29_DIR`, else `<repo>/../shared/docker-29.7.2`. */
export function docker29Source(): string {
  return process.env[DOCKER29_ENV] || resolve(REPO_ROOT, '../shared/docker-29.7.2');
}

export type Docker29Install = { ok: true; binDir: string } | { ok: false; reason: string };

let installing: Promise<Docker29Install> | undefined;

/** Installs the bundle into the cache (once; concurrent test files share the result). */
export function installDocker29(): Promise<Docker29Install> {
  installing ??= install();
  return installing;
}

async function install(): Promise<Docker29Install> {
  const src = docker29Source();
  const script = join(src, 'install.sh');
  const sums = join(src, 'SHA256SUMS');
  if (!existsSync(script) || !existsSync(sums)) {
    return {
      ok: false,
      reason: `Docker ${DOCKER29_VERSION} not found at ${src} (set ${DOCKER29_ENV} to its directory)`,
    };
  }
  const missing = [
    ['xz', 'xz-utils'],
    ['sha256sum', 'coreutils'],
  ].filter(([bin]) => !findBinary(bin!));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    return {
      ok: false,
      reason: `Docker ${DOCKER29_VERSION} needs ${missing.map(([b]) => b).join(', ')} (Debian: apt-get install ${pkgs})`,
    };
  }
  const key = createHash('sha256').update(readFileSync(sums)).digest('hex').slice(0, 16);
  const dest = join(DOCKER29_CACHE, key);
  const binDir = join(dest, 'bin');
  if (existsSync(join(dest, '.installed'))) return runcStarts(binDir);
  mkdirSync(DOCKER29_CACHE, { recursive: true });
  // Unpacked beside the cache entry and renamed into place, so a parallel test file never sees half.
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await createRunner({ timeoutMs: 300_000 }).run(['sh', script, tmp]);
  if (r.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return { ok: false, reason: `${script} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
  }
  mkdirSync(join(tmp, '.installed'));
  try {
    renameSync(tmp, dest);
  } catch {
    // Another process installed it first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return existsSync(join(dest, '.installed'))
    ? runcStarts(binDir)
    : { ok: false, reason: `could not install Docker ${DOCKER29_VERSION} into ${dest}` };
}

/** The bundle's runc links libseccomp dynamically: without libseccomp2 no container starts. */
async function runcStarts(binDir: string): Promise<Docker29Install> {
  const r = await createRunner({ timeoutMs: 10_000 }).run([join(binDir, 'runc'), '--version']);
  if (r.code === 0) return { ok: true, binDir };
  const why = (r.stderr || r.stdout).trim().split('\n')[0];
  return {
    ok: false,
    reason: `runc of Docker ${DOCKER29_VERSION} does not start (${why}; Debian: apt-get install libseccomp2)`,
  };
}

/** Docker 29.7.2 under one firewall backend; call after docker29Gate() allowed the test file. */
export async function docker29Engine(firewallBackend: 'iptables' | 'nftables'): Promise<DockerEngine> {
  const inst = await installDocker29();
  if (!inst.ok) throw new Error(inst.reason);
  return { version: DOCKER29_VERSION, binDir: inst.binDir, firewallBackend };
}

/**
 * labGate() plus Docker 29.7.2: outside CI a file that needs it and cannot have it is skipped with
 * one line saying why; with CI=true it fails in beforeAll.
 */
export async function docker29Gate(): Promise<LabGate> {
  const lab = await labGate();
  if (lab.skip || lab.reason) return lab;
  const inst = await installDocker29();
  return inst.ok ? lab : unavailable(`Docker ${DOCKER29_VERSION} lab tests`, inst.reason);
}

/** The three daemons the acceptance scenarios run against, by a short name. */
export const DAEMON_NAMES = ['docker-20.10', 'docker-29-iptables', 'docker-29-nftables'] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];

/** The engine for one of the three daemons (installs Docker 29 when needed). */
export async function engineFor(name: DaemonName): Promise<DockerEngine> {
  if (name === 'docker-20.10') return DEBIAN_DOCKER;
  return docker29Engine(name === 'docker-29-nftables' ? 'nftables' : 'iptables');
}
