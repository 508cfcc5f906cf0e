import type { Rule, Ruleset, TableName } from '../model/ruleset.js';
import type { Family } from '../model/ruleset.js';
import { findChain } from '../model/index.js';

/** The interface a rule names with `-i`/`-o` (not negated), if any. */
function iface(r: Rule, name: '-i' | '-o'): string | undefined {
  const o = r.generic.find((g) => g.name === name && !g.negated);
  return o?.args[0]?.text;
}

/**
 * The bridges Docker's own rules name, in every Docker version: nat DOCKER's `-i BR -j RETURN`,
 * `-o BR -j DOCKER` in DOCKER-BRIDGE (28+) or FORWARD (17.06–27), and DOCKER-ISOLATION-STAGE-1's
 * `-i BR`. A network may name its bridge anything (`com.docker.network.bridge.name`, e.g. bridge1),
 * so a dump without an inventory is known by these, not by the docker0/br-… pattern.
 */
export function bridgesInDockerRules(rulesets: Partial<Record<Family, Ruleset>>): Set<string> {
  const out = new Set<string>();
  const each = (rs: Ruleset, table: TableName, chain: string, pick: (r: Rule) => string | undefined) => {
    for (const r of findChain(rs, table, chain)?.rules ?? []) {
      const b = pick(r);
      if (b) out.add(b);
    }
  };
  for (const rs of Object.values(rulesets)) {
    if (!rs) continue;
    each(rs, 'nat', 'DOCKER', (r) => (r.target?.name === 'RETURN' ? iface(r, '-i') : undefined));
    for (const chain of ['DOCKER-BRIDGE', 'FORWARD'])
      each(rs, 'filter', chain, (r) => (r.target?.name === 'DOCKER' ? iface(r, '-o') : undefined));
    each(rs, 'filter', 'DOCKER-ISOLATION-STAGE-1', (r) => iface(r, '-i'));
  }
  return out;
}
