import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema } from '../../../src/policy/index.js';
import { SCHEMA_PATH, schemaFileText } from '../../../scripts/gen-schema.js';

type JsonObject = Record<string, unknown>;

describe('the JSON Schema of the policy format', () => {
  it('is committed exactly as scripts/gen-schema.ts generates it', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schemaFileText());
  });

  it('describes every property, so editors can show help', () => {
    const schema = policyJsonSchema() as JsonObject;
    const defs = (schema.$defs ?? {}) as Record<string, JsonObject>;
    const undescribed: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      const obj = node as JsonObject;
      for (const [key, prop] of Object.entries((obj.properties ?? {}) as Record<string, JsonObject>)) {
        const target = typeof prop.$ref === 'string' ? defs[prop.$ref.replace('#/$defs/', '')] : undefined;
        if (typeof prop.description !== 'string' && typeof target?.description !== 'string')
          undescribed.push(`${path}.${key}`);
      }
      for (const [key, child] of Object.entries(obj)) walk(child, `${path}.${key}`);
    };
    walk(schema, '#');
    expect(undescribed).toEqual([]);
  });

  it('is strict, and its top-level keys are those of the bundled example', () => {
    const schema = policyJsonSchema() as JsonObject;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['dockwall']);
    const example = parse(readFileSync('examples/firewalling-docker.yaml', 'utf8')) as JsonObject;
    const props = Object.keys(schema.properties as JsonObject);
    for (const key of Object.keys(example)) expect(props).toContain(key);
  });
});
