#!/usr/bin/env node
// Entry point for `npx dockwall`: runs the code-split build made by `npm run build` (dist/esm), which
// loads only what the command needs. dist/dockwall.cjs is the same CLI in one file.
import module from 'node:module';

// Node 22.1 and newer keep V8's compiled code between runs (in NODE_COMPILE_CACHE or a
// per-user cache directory); Node 20 has no such cache and compiles at every start.
module.enableCompileCache?.();
await import('../dist/esm/dockwall.mjs');
