#!/usr/bin/env node
// Entry point for `npx dockwall` and `node bin/dockwall.js`. CommonJS (see bin/package.json): Node
// starts a CommonJS entry faster than an ES module one. The build copies it beside the bundle as
// dist/dockwall-launch.cjs, which the container image and the Ansible role install and run.
//
// It runs the one-file bundle (dockwall.cjs beside it, else ../dist/dockwall.cjs), compiled with a
// V8 code cache of its own. Node 20 keeps
// no compiled code between runs, and most of a short command's start-up is V8 compiling the bundle's
// functions; with the cache it deserialises them instead. See docs/decisions.md ("Start-up: one
// bundle, a code cache per command").
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/**
 * The command names dockwall has (src/cli/commands/index.ts; a unit test holds them equal). Each has
 * a cache of its own, holding the functions that command compiled; anything else shares one.
 */
const COMMANDS = [
  'plan',
  'apply',
  'rollback',
  'confirm',
  '__revert-pending',
  'status',
  'check',
  'doctor',
  'watch',
  'trace',
  'audit',
  'install-service',
  'tls',
  'export',
  'import',
  'show',
  'validate',
  'schema',
  'completion',
  'man',
];

/** The cache a run of `args` uses: its command's, `none` without one (help), `other` for the rest. */
function cacheNameOf(args) {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return 'none';
  return COMMANDS.includes(first) ? first : 'other';
}

/** Whether a cache file or directory can be trusted: the user's own, writable by no one else. */
function trusted(stat) {
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

/** `$XDG_CACHE_HOME/dockwall/v8` (`~/.cache/dockwall/v8` without it): the user's own, never a shared one. */
function cacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(require('node:os').homedir(), '.cache');
  return path.join(base, 'dockwall', 'v8');
}

/**
 * The cache files of one bundle start with a digest of its path, so that a second install (a global
 * one and a checkout) neither uses nor removes the first one's. FNV-1a: no crypto module to load.
 */
function pathKey(bundle) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i++) h = Math.imul(h ^ bundle.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/**
 * What a cache is valid for: this Node (V8 also checks its own version and flags) and this very
 * bundle file. npm unpacks every file with the same modification time, so the size and the
 * modification time alone could match another build; the change time, inode and device are set by
 * whoever wrote the file and cannot be copied. V8 itself checks only the source's length.
 */
function identityOf(bundle, stat) {
  const parts = [process.version, process.arch, stat.size, stat.mtimeNs, stat.ctimeNs, stat.ino, stat.dev];
  return `${pathKey(bundle)}-${parts.map((x) => x.toString(36)).join('-')}`;
}

/** The cache's bytes, or undefined when there is none or it is not to be trusted. */
function readCache(dir, file) {
  try {
    if (!trusted(fs.lstatSync(dir))) return undefined;
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    const fd = fs.openSync(path.join(dir, file), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      return stat.isFile() && trusted(stat) ? fs.readFileSync(fd) : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Whether `dir` may be created: its nearest existing ancestor is the user's own (not, under sudo, another's home). */
function mayCreate(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      return fs.lstatSync(d).uid === process.getuid();
    } catch (e) {
      if (e.code !== 'ENOENT' || path.dirname(d) === d) return false;
    }
  }
}

/**
 * Writes the cache atomically (a temporary file renamed over it) and removes those of other builds.
 * `data` is made only once the directory is known to be writable (a read-only root, say, in a
 * container): serialising the compiled code is the costly part.
 */
function writeCache(dir, file, identity, data) {
  if (!mayCreate(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!trusted(fs.lstatSync(dir))) return;
  const tmp = path.join(dir, `.${file}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data(), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, path.join(dir, file));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  // This bundle's caches from before it was rebuilt or reinstalled.
  const mine = `${identity.slice(0, identity.indexOf('-'))}-`;
  for (const old of fs.readdirSync(dir))
    if (old.startsWith(mine) && old.endsWith('.v8') && !old.startsWith(`${identity}.`))
      fs.rmSync(path.join(dir, old), { force: true });
}

/**
 * V8 flags for `dockwall watch` started by hand, the part of the service's `--lite-mode`
 * (src/export/systemd-units.ts, WATCH_NODE_FLAGS) that can still be set in a running node: no
 * optimising or baseline compiler and regular expressions interpreted. watch mostly sleeps; each
 * compiler it never uses is resident memory it never pays for (BENCHMARKS.md, watch section).
 */
const WATCH_RUNTIME_FLAGS = ['--no-opt', '--no-sparkplug', '--regexp-interpret-all'];

/** Sets {@link WATCH_RUNTIME_FLAGS} for `watch` unless node was started with lite mode or flags of its own. */
function watchFlags(args) {
  if (
    cacheNameOf(args) !== 'watch' ||
    process.execArgv.some((a) => /^--(lite-mode|jitless|opt|sparkplug)\b/.test(a))
  )
    return;
  const v8 = require('node:v8');
  for (const flag of WATCH_RUNTIME_FLAGS) v8.setFlagsFromString(flag);
}

/** Runs the bundle as Node would run `node BUNDLE ARGS` (process.argv stays as it is). */
function runBundle(bundle, args) {
  watchFlags(args);
  const vm = require('node:vm');
  const Module = require('node:module');
  let stat;
  let source;
  try {
    // One open file for both, so that the identity is that of the text read even if a build
    // renames a new bundle into place meanwhile.
    const fd = fs.openSync(bundle, 'r');
    let bytes;
    try {
      stat = fs.fstatSync(fd, { bigint: true });
      bytes = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // The build makes the bundle ASCII (esbuild escapes the rest; no comments are kept): read as
    // Latin-1 it is V8's compact one-byte string, at the cost of a copy.
    source = bytes.toString(require('node:buffer').isAscii(bytes) ? 'latin1' : 'utf8');
  } catch (e) {
    process.stderr.write(`dockwall: cannot read ${bundle} (${e.code ?? e.message}): run \`npm run build\`\n`);
    process.exitCode = 1;
    return;
  }
  // The same length, so that the cache's source check and the error positions hold.
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;

  let cache;
  if (process.env.DOCKWALL_CODE_CACHE !== '0') {
    try {
      const dir = cacheDir();
      const identity = identityOf(bundle, stat);
      const file = `${identity}.${cacheNameOf(args)}.v8`;
      cache = { dir, identity, file, data: readCache(dir, file) };
    } catch {
      cache = undefined;
    }
  }
  // Node's own CommonJS wrapper, so the bundle runs as `node dist/dockwall.cjs` runs it.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new vm.Script(wrapped, {
    filename: bundle,
    cachedData: cache?.data,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cache && (cache.data === undefined || script.cachedDataRejected)) {
    // At exit, so that the cache holds every function this command compiled, not just the top level.
    process.on('exit', () => {
      try {
        writeCache(cache.dir, cache.file, cache.identity, () => script.createCachedData());
      } catch {
        // A cache that cannot be written costs the next run its speed, nothing else.
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  const wrapper = script.runInThisContext({ displayErrors: true });
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  mod.loaded = true;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  // Installed beside the bundle (dist/dockwall-launch.cjs, as the image and the Ansible role have it),
  // else the package's bin/ with the bundle in ../dist.
  const beside = path.join(__dirname, 'dockwall.cjs');
  const inPackage = !fs.existsSync(beside);
  if (inPackage && args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    // What the bundle prints (it is built with package.json's version), without reading or compiling it.
    process.stdout.write(`${require('../package.json').version}\n`);
  } else {
    runBundle(inPackage ? path.join(__dirname, '..', 'dist', 'dockwall.cjs') : beside, args);
  }
} else {
  module.exports = { COMMANDS, cacheNameOf, WATCH_RUNTIME_FLAGS };
}
