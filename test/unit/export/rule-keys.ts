import type { DesiredState } from '../../../src/compile/index.js';
import type { Family, Ruleset } from '../../../src/model/index.js';
import { parseIptablesSave, ruleKey } from '../../../src/parse/index.js';

/** `table chain` → the canonical keys of its rules, in order. */
export type ChainKeys = Map<string, string[]>;

export function rulesetKeys(rs: Ruleset): ChainKeys {
  const out: ChainKeys = new Map();
  for (const t of rs.tables)
    for (const c of t.chains)
      out.set(
        `${t.name} ${c.name}`,
        c.rules.map((r) => ruleKey(r, rs.family)),
      );
  return out;
}

export function desiredKeys(desired: DesiredState, family: Family): ChainKeys {
  const out: ChainKeys = new Map();
  for (const c of desired.chains)
    if (c.family === family)
      out.set(
        `${c.table} ${c.chain}`,
        c.rules.map((r) => r.key),
      );
  return out;
}

/** Parses iptables-save style text (ferm's output, a restore file without its `-F` lines). */
export function parseSave(text: string, family: Family = 'ipv4'): Ruleset {
  const body = text
    .split('\n')
    .filter((l) => !/^-F /.test(l))
    .join('\n');
  const res = parseIptablesSave(body, { file: 'test', family });
  if (!res.value) throw new Error(`does not parse: ${JSON.stringify(res.diagnostics)}\n${text}`);
  return res.value;
}

export function policies(rs: Ruleset): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const t of rs.tables) for (const c of t.chains) out.set(`${t.name} ${c.name}`, c.policy);
  return out;
}
