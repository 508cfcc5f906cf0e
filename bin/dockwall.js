#!/usr/bin/env node
// Entry point for `npx dockwall`: runs the one-file bundle built by `npm run build`.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
require('../dist/dockwall.cjs');
