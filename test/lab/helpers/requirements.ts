import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { commandEnv, createRunner } from '../../../src/host/runner.js';
import { newLabId } from './cleanup.js';

/** What the lab needs from the machine, and whether it is there. */

/** Binaries the lab runs, with the Debian package that provides each. */
export const LAB_BINARIES: ReadonlyArray<[string, string]> = [
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['iptables', 'iptables'],
  ['iptables-legacy', 'iptables'],
  ['ipset', 'ipset'],
  ['dockerd', 'docker.io'],
  ['docker-init', 'tini'],
  ['containerd', 'containerd'],
  ['containerd-shim-runc-v2', 'containerd'],
  ['runc', 'runc'],
  ['tar', 'tar'],
  ['umount', 'mount'],
];

/** Full path of a command found on PATH (sbin directories included), or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (commandEnv().PATH ?? '').split(':')) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** True when the ELF file has no program interpreter (statically linked). */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false; // 64-bit LE only
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The static busybox the lab copies into its image (Debian's busybox-static), if installed. */
export function busyboxPath(): string | undefined {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox', findBinary('busybox')]) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      if (isStaticElf(candidate)) return candidate;
    } catch {
      // Not here or unreadable.
    }
  }
  return undefined;
}

export type Availability = { ok: true } | { ok: false; reason: string };

let cached: Promise<Availability> | undefined;

/** Whether this machine can run the lab (root, `ip netns`, the binaries); the reason when not. */
export function labAvailable(): Promise<Availability> {
  cached ??= check();
  return cached;
}

async function check(): Promise<Availability> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `the lab needs Linux (this is ${process.platform})` };
  const uid = process.geteuid?.();
  if (uid !== 0) return { ok: false, reason: `the lab needs root to create network namespaces (uid ${uid})` };
  const missing = LAB_BINARIES.filter(([bin]) => !findBinary(bin));
  if (!busyboxPath()) missing.push(['busybox (static)', 'busybox-static']);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    return {
      ok: false,
      reason: `missing ${missing.map(([bin]) => bin).join(', ')} (Debian: apt-get install ${pkgs})`,
    };
  }
  const runner = createRunner({ timeoutMs: 10_000 });
  // Named like a lab namespace, so a run killed right here leaves nothing the next run keeps.
  const probe = `${newLabId()}-check`;
  const add = await runner.run(['ip', 'netns', 'add', probe]);
  if (add.code !== 0) return { ok: false, reason: `\`ip netns add\` failed: ${add.stderr.trim()}` };
  await runner.run(['ip', 'netns', 'del', probe]);
  return { ok: true };
}

export interface LabGate {
  /** Skip the lab's tests (outside CI, when the lab cannot run). */
  skip: boolean;
  reason?: string;
  /** Call in beforeAll: throws under CI=true when the lab cannot run. */
  assertAvailable(): void;
}

const warned = new Set<string>();

/**
 * Decides how a lab test file behaves on this machine. Outside CI a lab that cannot run is skipped
 * with one line saying why; with CI=true it is a failure.
 */
export async function labGate(): Promise<LabGate> {
  const avail = await labAvailable();
  return avail.ok
    ? { skip: false, assertAvailable: () => undefined }
    : unavailable('lab tests', avail.reason);
}

/** The gate for tests that cannot run here: skipped with one line (once per kind), or under CI a failure. */
export function unavailable(what: string, reason: string): LabGate {
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) {
    return {
      skip: false,
      reason,
      assertAvailable: () => {
        throw new Error(`lab tests must run under CI but cannot: ${reason}`);
      },
    };
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.warn(`${what} skipped: ${reason}`);
  }
  return { skip: true, reason, assertAvailable: () => undefined };
}
