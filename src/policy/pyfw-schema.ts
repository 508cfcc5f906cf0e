import * as z from 'zod';
import { chainName, extensions, setName } from './schema.js';

/**
 * The pyfw wishes format (`pyfw_wishes:` at the top), accepted as pyfw reads it:
 * `ipsets.NAME.{type, header, members_equal}`, `iptables`/`ip6tables` `.TABLE.CHAIN.{default_action,
 * rules}`, each rule a one-key map `NAME: RULE TEXT`. pyfw itself reads only `pyfw_wishes`; other
 * top-level keys are reported and ignored.
 */

export const pyfwRule = z
  .record(z.string().min(1, { error: 'must not be empty' }), z.string())
  .refine((o) => Object.keys(o).length === 1, { error: 'a pyfw rule entry is one `NAME: RULE TEXT` pair' });

const pyfwChain = z.strictObject({
  default_action: z.enum(['ACCEPT', 'DROP']).optional(),
  rules: z.array(pyfwRule).optional(),
});

const pyfwTables = z.strictObject({
  filter: z.record(chainName, pyfwChain).optional(),
  nat: z.record(chainName, pyfwChain).optional(),
  mangle: z.record(chainName, pyfwChain).optional(),
  raw: z.record(chainName, pyfwChain).optional(),
  security: z.record(chainName, pyfwChain).optional(),
});

const pyfwIpset = z.strictObject({
  type: z.string().min(1, { error: 'must not be empty' }),
  /** The creation options as `ipset save` prints them after the type: `family inet hashsize 1024`. */
  header: z.string().nullable().optional(),
  members_equal: z.array(z.union([z.string(), z.number()])).nullable(),
});

export const pyfwSchema = z.object({
  pyfw_wishes: z.strictObject({
    ipsets: z.record(setName, pyfwIpset).optional(),
    iptables: pyfwTables.optional(),
    ip6tables: pyfwTables.optional(),
  }),
  /** dockwall's own key beside `pyfw_wishes` (pyfw reads only `pyfw_wishes`). */
  extensions: extensions.optional(),
});

export type PyfwInput = z.infer<typeof pyfwSchema>;
