import * as z from 'zod';
import { policySchema } from './schema.js';

/**
 * The JSON Schema of the native policy format, generated from the same zod schema the loader uses,
 * so editors (yaml-language-server) check and explain the file as it is written.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policySchema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, title: 'dockwall policy', ...rest };
}
