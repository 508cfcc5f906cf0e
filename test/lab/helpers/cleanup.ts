import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isAlive,
  killAllSync,
  listProcs,
  netnsInode,
  readProc,
  selfAndAncestors,
  withDescendants,
} from './procs.js';

/**
 * Everything the lab creates carries its id (`dwl` + 4 characters): namespaces `<id>-<name>`,
 * the directory /tmp/dwl-lab/<id>, and every long-running process's command line. Cleanup works
 * from that id alone, synchronously, so it also runs from a process 'exit' handler and can remove
 * what a killed earlier run left behind.
 */

export const LAB_ROOT = '/tmp/dwl-lab';
export const LAB_ID_PATTERN = /^dwl[a-z0-9]{4}$/;
const NAME_PATTERN = /^(dwl[a-z0-9]{4})-/;

export function labDir(id: string): string {
  return join(LAB_ROOT, id);
}

export function newLabId(): string {
  for (;;) {
    const id = `dwl${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
    if (LAB_ID_PATTERN.test(id) && !existsSync(labDir(id)) && labNamespaces(id).length === 0) return id;
  }
}

/** Network namespaces (names under /run/netns) that belong to the lab id. */
export function labNamespaces(id: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${id}-`));
  } catch {
    return [];
  }
}

interface Owner {
  pid: number;
  startTime: string;
}

/** Marks the lab as belonging to this process, so other runs leave it alone while it lives. */
export function claimLab(id: string): void {
  mkdirSync(labDir(id), { recursive: true });
  const self = readProc(process.pid);
  const owner: Owner = { pid: process.pid, startTime: self?.startTime ?? '' };
  writeFileSync(join(labDir(id), 'owner.json'), JSON.stringify(owner));
}

function ownerAlive(id: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(labDir(id), 'owner.json'), 'utf8')) as Owner;
    return isAlive(owner.pid, owner.startTime || undefined);
  } catch {
    return false;
  }
}

/** Mount points at or below `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const mountPoint = field.replace(/\\([0-7]{3})/g, (_m, oct: string) =>
      String.fromCharCode(parseInt(oct, 8)),
    );
    if (mountPoint === dir || mountPoint.startsWith(prefix)) out.push(mountPoint);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts everything below `dir` (lazily, deepest first); returns what could not be unmounted. */
export function unmountUnder(dir: string): string[] {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return [];
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // Retried next round (stacked mounts need one unmount each).
      }
    }
  }
  return mountsUnder(dir);
}

/** Processes that belong to the lab: named after it, inside its namespaces, or started by those. */
export function labProcesses(id: string, extraRoots: number[] = []): number[] {
  const procs = listProcs();
  const inodes = new Set(
    labNamespaces(id)
      .map(netnsInode)
      .filter((n): n is number => n !== undefined),
  );
  const protectedPids = selfAndAncestors();
  const roots = procs
    .filter(
      (p) => p.state !== 'Z' && (p.cmdline.includes(id) || (p.netns !== undefined && inodes.has(p.netns))),
    )
    .map((p) => p.pid);
  const all = withDescendants([...roots, ...extraRoots.filter((p) => isAlive(p))], procs);
  return [...all].filter((pid) => !protectedPids.has(pid) && isAlive(pid));
}

/**
 * containerd 1.6 puts each shim's socket at /run/containerd/s/<sha256(address/namespace/id)>,
 * whatever its --state; a killed shim leaves it behind. Removes those of the lab's containers.
 */
export function removeShimSockets(id: string): void {
  const dir = labDir(id);
  for (const entry of listDir(dir).filter((e) => e.startsWith('dockerd-'))) {
    const address = join(dir, entry, 'containerd.sock');
    const namespace = `${id}-${entry.slice('dockerd-'.length)}`;
    for (const cid of listDir(join(dir, entry, 'data', 'containers'))) {
      const hash = createHash('sha256')
        .update(join(address, namespace, cid))
        .digest('hex');
      try {
        unlinkSync(join(SHIM_SOCKET_DIR, hash));
      } catch {
        // Removed by the shim itself.
      }
    }
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export const SHIM_SOCKET_DIR = '/run/containerd/s';

export interface Leftovers {
  namespaces: string[];
  processes: number[];
  mounts: string[];
  dirExists: boolean;
}

export function labLeftovers(id: string): Leftovers {
  return {
    namespaces: labNamespaces(id),
    processes: labProcesses(id),
    mounts: mountsUnder(labDir(id)),
    dirExists: existsSync(labDir(id)),
  };
}

/**
 * Removes everything of one lab: kills its processes, unmounts under its directory, deletes its
 * namespaces (their veths and bridge go with them) and the directory. Returns what remained.
 */
export function cleanupLabSync(id: string, extraPids: number[] = []): Leftovers {
  if (!LAB_ID_PATTERN.test(id)) throw new Error(`not a lab id: ${id}`);
  for (let round = 0; round < 3; round++) {
    const pids = labProcesses(id, extraPids);
    if (pids.length === 0) break;
    killAllSync(pids);
  }
  const dir = labDir(id);
  removeShimSockets(id);
  unmountUnder(dir);
  for (const ns of labNamespaces(id)) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // Reported below as a leftover.
    }
  }
  if (mountsUnder(dir).length === 0) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Reported below as a leftover.
    }
  }
  return labLeftovers(id);
}

/** Ids of labs whose owning process is gone (killed runs), found by namespace name or directory. */
export function staleLabIds(): string[] {
  const ids = new Set<string>();
  try {
    for (const n of readdirSync('/run/netns')) {
      const m = NAME_PATTERN.exec(n);
      if (m?.[1]) ids.add(m[1]);
    }
  } catch {
    // No namespaces at all.
  }
  try {
    for (const d of readdirSync(LAB_ROOT)) if (LAB_ID_PATTERN.test(d)) ids.add(d);
  } catch {
    // No lab directory yet.
  }
  return [...ids].filter((id) => !ownerAlive(id) && !liveLabs.has(id));
}

export function cleanupStaleLabs(): string[] {
  const stale = staleLabIds();
  for (const id of stale) cleanupLabSync(id);
  return stale;
}

// Labs of this process not yet destroyed, with the pids they started: cleaned up on exit.
const liveLabs = new Map<string, Set<number>>();
let handlersInstalled = false;

function cleanupAllSync(): void {
  for (const [id, pids] of liveLabs) {
    try {
      cleanupLabSync(id, [...pids]);
    } catch {
      // Exiting: nothing more to do; the next run removes what is left.
    }
  }
  liveLabs.clear();
}

/** Registers a lab for cleanup when this process exits or is told to stop. */
export function registerLiveLab(id: string): Set<number> {
  const pids = new Set<number>();
  liveLabs.set(id, pids);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', cleanupAllSync);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        cleanupAllSync();
        process.kill(process.pid, sig);
      });
    }
  }
  return pids;
}

export function unregisterLiveLab(id: string): void {
  liveLabs.delete(id);
}
