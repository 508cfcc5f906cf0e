import { execFileSync } from 'node:child_process';

/** Lab tests run the real CLI bundle inside namespaces: build it from the sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
}
