// Writes schema/dockwall-policy.schema.json from the policy's zod schema: `npx tsx scripts/gen-schema.ts`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from '../src/policy/json-schema.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../schema/dockwall-policy.schema.json', import.meta.url));

export function schemaFileText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, schemaFileText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
