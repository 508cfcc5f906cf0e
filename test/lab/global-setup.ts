import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';

/**
 * Lab tests run the real CLI bundle inside namespaces: build it from the sources first. Commands a
 * test runs without `--state-dir` keep their lock, journal and snapshots in a directory of this run
 * (DOCKWALL_STATE_DIR, inherited by every process the tests start), never in the machine's
 * /var/lib/dockwall; it is removed at the end.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
  const stateDir = mkdtempSync('/tmp/dwl-state-');
  process.env.DOCKWALL_STATE_DIR = stateDir;
  return () => rmSync(stateDir, { recursive: true, force: true });
}
