import type { Diagnostic, IpSet, Result } from '../model/index.js';
import { diag } from '../model/index.js';
import { parseIpsetSave } from './ipset.js';

/** One set as `ipset list -t NAME` describes it: its creation options and how many members it has. */
export interface IpsetHeader {
  /** The set as `ipset save` would begin it (`create NAME TYPE HEADER`), without members. */
  set: IpSet;
  /** "Number of entries", when this ipset prints it. */
  entries?: number;
}

/**
 * `ipset list -t NAME` (terse: the header, no members):
 *
 *     Name: block
 *     Type: hash:net
 *     Revision: 7
 *     Header: family inet hashsize 65536 maxelem 200000 bucketsize 12 initval 0x3b5a9ab5
 *     Size in memory: 3151056
 *     References: 0
 *     Number of entries: 100000
 *
 * The header words are those `ipset save` prints after `create NAME TYPE`, read the same way.
 */
export function parseIpsetTerse(text: string, opts: { file: string }): Result<IpsetHeader> {
  const fields = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const colon = line.indexOf(':');
    if (colon <= 0) return;
    const key = line.slice(0, colon);
    if (!fields.has(key)) fields.set(key, { value: line.slice(colon + 1).trim(), line: i + 1 });
  });
  const missing = (what: string): Result<IpsetHeader> => ({
    diagnostics: [
      diag('error', 'parse.ipset-terse', `expected a "${what}:" line`, {
        file: opts.file,
        line: 1,
        column: 1,
      }),
    ],
  });
  const name = fields.get('Name');
  const type = fields.get('Type');
  if (!name || name.value === '') return missing('Name');
  if (!type || type.value === '') return missing('Type');
  const header = fields.get('Header')?.value ?? '';
  const created = parseIpsetSave(`create ${name.value} ${type.value}${header ? ` ${header}` : ''}\n`, opts);
  const diagnostics: Diagnostic[] = created.diagnostics.map((d) => ({
    ...d,
    pos: { file: opts.file, line: fields.get('Header')?.line ?? name.line, column: 1 },
  }));
  const set = created.value?.sets[0];
  if (!set) return { diagnostics };
  delete set.pos;
  const out: IpsetHeader = { set };
  const entries = fields.get('Number of entries')?.value;
  if (entries !== undefined && /^\d+$/.test(entries)) out.entries = Number(entries);
  return { value: out, diagnostics };
}
