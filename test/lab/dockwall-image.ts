import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { createRunner, runChecked } from '../../src/host/runner.js';
import { DOCKER_CLI, findBinary, LAB_ROOT, REPO_ROOT, type Dockerd } from './helpers/index.js';

/**
 * The dockwall image for the lab, built the way docs/deploy.md describes, from Debian's own parts:
 * a bookworm root file system made with debootstrap (minbase, plus iptables, ipset and nftables, so
 * apt resolves their libraries), the lab machine's own node (Node 20+, which the tests run on; the
 * same glibc as bookworm) as /usr/local/bin/node, imported with `docker import`, then
 * deploy/image/build.sh with `--build-arg BASE=…`.
 *
 * debootstrap fetches about 40 MB and takes about 40 s; its result (without apt's caches, docs and
 * locales) is kept as a tarball under /tmp/dwl-debian-rootfs/<key>, the key hashing the suite, the
 * package list, the mirror and the node binary, so later runs import it in a few seconds.
 */

export const DEBIAN_SUITE = 'bookworm';
export const ROOTFS_PACKAGES = ['iptables', 'ipset', 'nftables'];
export const ROOTFS_CACHE = '/tmp/dwl-debian-rootfs';
export const BASE_IMAGE = 'dockwall-base:lab';

/** The Debian mirror apt uses here (deb822 `URIs:` or a one-line `deb URL SUITE`), else deb.debian.org. */
export function aptMirror(): string {
  const texts: string[] = [];
  for (const dir of ['/etc/apt/sources.list.d']) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) texts.push(readFileSync(join(dir, f), 'utf8'));
  }
  if (existsSync('/etc/apt/sources.list')) texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  for (const text of texts) {
    for (const m of text.matchAll(/^\s*(?:URIs:\s*(\S+)|deb\s+(?:\[[^\]]*\]\s+)?(\S+))/gm)) {
      const uri = m[1] ?? m[2];
      if (uri && !/security/.test(uri)) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}

/** Unneeded in an image: apt's package cache and lists, documentation, manuals, translations. */
const PRUNE = [
  'var/cache/apt',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
];

/** The cached root file system tarball (made on first use); rejects with the reason when it cannot be. */
export async function debianRootfsTarball(): Promise<string> {
  const debootstrap = findBinary('debootstrap');
  if (!debootstrap) throw new Error('debootstrap not found (Debian: apt-get install debootstrap)');
  const node = realpathSync(process.execPath);
  const nodeStat = statSync(node);
  const mirror = aptMirror();
  const key = createHash('sha256')
    .update(JSON.stringify([DEBIAN_SUITE, ROOTFS_PACKAGES, mirror, node, nodeStat.size, nodeStat.mtimeMs]))
    .digest('hex')
    .slice(0, 16);
  const dest = join(ROOTFS_CACHE, key);
  const tarball = join(dest, 'rootfs.tar');
  if (existsSync(tarball)) return tarball;
  mkdirSync(ROOTFS_CACHE, { recursive: true });
  // Made beside the cache entry and renamed into place, so a parallel run never sees half of it.
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const root = join(tmp, 'root');
  const runner = createRunner({ timeoutMs: 600_000 });
  try {
    await runChecked(runner, [
      debootstrap,
      '--variant=minbase',
      `--include=${ROOTFS_PACKAGES.join(',')}`,
      DEBIAN_SUITE,
      root,
      mirror,
    ]);
    for (const p of PRUNE) {
      rmSync(join(root, p), { recursive: true, force: true });
      mkdirSync(join(root, p), { recursive: true });
    }
    copyFileSync(node, join(root, 'usr/local/bin/node'));
    await runChecked(runner, ['tar', '-C', root, '--numeric-owner', '-cf', join(tmp, 'rootfs.tar'), '.']);
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(tarball)) return tarball; // another run finished first
    throw e;
  }
  return tarball;
}

/**
 * Imports the base into a dockerd and builds the dockwall image on it with deploy/image/build.sh
 * (Docker 20.10's classic builder); returns the image tag.
 */
export async function buildDockwallImage(dockerd: Dockerd, tag: string): Promise<string> {
  const tarball = await debianRootfsTarball();
  await dockerd.dockerChecked(['import', tarball, BASE_IMAGE], { timeoutMs: 300_000 });
  const builder = createRunner({
    timeoutMs: 300_000,
    env: {
      DOCKER_HOST: `unix://${dockerd.socketPath}`,
      DOCKER_BUILDKIT: '0',
      DOCKER: DOCKER_CLI,
      DOCKER_CONFIG: join(dockerd.dir, 'cli-config'),
    },
  });
  await runChecked(builder, [
    'sh',
    join(REPO_ROOT, 'deploy/image/build.sh'),
    '-q',
    '-t',
    tag,
    '--build-arg',
    `BASE=${BASE_IMAGE}`,
  ]);
  return tag;
}

/**
 * The storage driver for dockerds that hold the dockwall image: overlay2 where the kernel has
 * overlayfs and the lab's directory is on a file system overlay2 supports, else the lab's usual vfs.
 * vfs copies the whole image (about 200 MB) for every layer and every container: measured back to
 * back on the same loaded machine, building, carrying and running the image on two dockerds took
 * 249 s with vfs and 45 s with overlay2, teardown included.
 */
export function imageStorageDriver(): 'overlay2' | 'vfs' {
  const hasOverlay = /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  const OVERLAY2_BACKINGS = [0xef53 /* ext2/3/4 */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */];
  return hasOverlay && OVERLAY2_BACKINGS.includes(statfsSync(LAB_ROOT).type) ? 'overlay2' : 'vfs';
}
