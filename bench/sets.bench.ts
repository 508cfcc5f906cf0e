import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_HOME, TIME_FILE, cell, ratio, setRows } from './process.bench.js';

/**
 * `npm run bench -- sets`: only the 100,000-member set rows of the whole-process section (apply vs a
 * bare `ipset restore`, plan with it present, 10 changed lines), for work on the set path alone.
 * `BENCH_BEFORE_BIN=/path/to/bin/dockwall.js` (an earlier build) runs that too, in the same loop.
 */
export function setsBench(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-bench-sets-'));
  try {
    const rows = setRows(dir, join(dir, 'state'), process.env.BENCH_BEFORE_BIN);
    return [
      '### 100,000-member set (whole processes: wall min / **median** / max; CPU: median user + system)',
      '',
      '| set | bare `ipset restore` | dockwall | dockwall / bare |',
      '| --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.what} | ${cell(r.base)} | ${cell(r.result)} | ${ratio(r.base, r.result)} |`),
      '',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(TIME_FILE, { force: true });
    rmSync(CACHE_HOME, { recursive: true, force: true });
  }
}
