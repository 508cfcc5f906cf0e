// Builds dist/dockwall.cjs: the whole CLI in one file that runs on Node 20 and newer.
import { build } from 'esbuild';
import { mkdirSync, copyFileSync } from 'node:fs';

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/dockwall.cjs',
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'warning',
});
mkdirSync('dist', { recursive: true });
copyFileSync('schema/dockwall-policy.schema.json', 'dist/dockwall-policy.schema.json');
