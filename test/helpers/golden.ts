import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { repoRoot } from './fixtures.js';

const update = process.env.UPDATE_GOLDEN === '1';

/** Compares with test/golden/DIR/NAME, or writes it when UPDATE_GOLDEN=1 (review the file then). */
export function expectGolden(dir: string, name: string, actual: string): void {
  const path = `${repoRoot}test/golden/${dir}/${name}`;
  if (update) {
    mkdirSync(`${repoRoot}test/golden/${dir}`, { recursive: true });
    writeFileSync(path, actual);
  } else if (!existsSync(path)) {
    throw new Error(`golden file ${path} is missing; run with UPDATE_GOLDEN=1 and review it`);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
