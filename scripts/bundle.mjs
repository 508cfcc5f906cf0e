// Builds the CLI for Node 20 and newer, twice from the same sources:
// - dist/dockwall.cjs: the whole CLI in one file (`node dist/dockwall.cjs …`); each command's code
//   runs only when that command does, but the whole file is read and compiled at every start.
// - dist/esm/dockwall.mjs and its chunks: what bin/dockwall.js (`npx dockwall`) starts. Code is
//   split at each command's dynamic import, so a command loads and compiles only what it needs
//   (`--version` none of the commands, `validate` no certificate, host or simulator code).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';

const common = {
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

mkdirSync('dist', { recursive: true });
// Written beside and renamed, so a CLI started meanwhile never loads a half-written build.
const tmp = `dist/dockwall.cjs.${process.pid}.tmp`;
await build({ ...common, format: 'cjs', outfile: tmp, banner: { js: '#!/usr/bin/env node' } });
renameSync(tmp, 'dist/dockwall.cjs');

const tmpDir = `dist/esm.${process.pid}.tmp`;
await build({
  ...common,
  format: 'esm',
  splitting: true,
  outdir: tmpDir,
  entryNames: 'dockwall',
  chunkNames: 'chunk-[hash]',
  outExtension: { '.js': '.mjs' },
  // Bundled CommonJS dependencies (commander, yaml) require Node's built-ins.
  banner: {
    js: "import { createRequire as __dwCreateRequire } from 'node:module';\nconst require = __dwCreateRequire(import.meta.url);",
  },
});
rmSync('dist/esm', { recursive: true, force: true });
renameSync(tmpDir, 'dist/esm');
copyFileSync('schema/dockwall-policy.schema.json', 'dist/dockwall-policy.schema.json');
