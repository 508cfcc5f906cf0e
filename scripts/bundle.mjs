// Builds dist/dockwall.cjs: the whole CLI in one file that runs on Node 20 and newer.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
// Written beside and renamed, so a CLI started meanwhile never loads a half-written bundle.
const tmp = `dist/dockwall.cjs.${process.pid}.tmp`;
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: tmp,
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'warning',
});
renameSync(tmp, 'dist/dockwall.cjs');
copyFileSync('schema/dockwall-policy.schema.json', 'dist/dockwall-policy.schema.json');
