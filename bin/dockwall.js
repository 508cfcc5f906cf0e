#!/usr/bin/env node
// Entry point for `npx dockwall`: runs the code-split build made by `npm run build` (dist/esm), which
// loads only what the command needs. dist/dockwall.cjs is the same CLI in one file.
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Node 22.1 and newer keep V8's compiled code between runs; Node 20 has no such cache. The cache
// lives in the user's own cache directory (not a shared temporary one: dockwall runs as root).
if (module.enableCompileCache) {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  module.enableCompileCache(process.env.NODE_COMPILE_CACHE || join(base, 'dockwall', 'compile-cache'));
}
await import('../dist/esm/dockwall.mjs');
