import { execFileSync } from 'node:child_process';

/** CLI tests run the real one-file bundle: build it from the sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
}
