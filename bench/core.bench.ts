import { compileDesired } from '../src/compile/index.js';
import type { HostState } from '../src/model/index.js';
import { parseIptablesSave } from '../src/parse/index.js';
import { planChanges } from '../src/plan/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { ownedPolicyYaml, syntheticDump } from './synthetic-dump.js';
import { fmt, medianMs, type Row } from './timing.js';

/** Parsing a 100,000-rule dump, and planning 1,000 owned rules with and without 100,000 others. */
export async function coreBench(): Promise<{ rows: Row[]; dump: string }> {
  const dump = syntheticDump(100_000, 1_000);
  const rows: Row[] = [];
  const parseMs = await medianMs(5, () => parseIptablesSave(dump, { file: 'bench', family: 'ipv4' }));
  rows.push({
    what: 'parse iptables-save, 101,100 rules',
    value: fmt(parseMs),
    note: `${Math.round(101_100 / (parseMs / 1000)).toLocaleString('en')} rules/s`,
  });

  const policy = loadPolicy(ownedPolicyYaml(1_000), 'bench.yaml').value!;
  const desired = compileDesired(policy);
  const big: HostState = {
    rulesets: { ipv4: parseIptablesSave(dump, { file: 'b', family: 'ipv4' }).value! },
    sets: { sets: [] },
  };
  const small: HostState = {
    rulesets: { ipv4: parseIptablesSave(syntheticDump(0, 1_000), { file: 's', family: 'ipv4' }).value! },
    sets: { sets: [] },
  };
  const planBig = await medianMs(5, () => planChanges(big, desired));
  const planSmall = await medianMs(5, () => planChanges(small, desired));
  if (planChanges(big, desired).operations.length !== 0)
    throw new Error('bench: the synthetic state should already match');
  rows.push({ what: 'plan 1,000 owned rules, 100,000 other rules in the dump', value: fmt(planBig) });
  rows.push({
    what: 'plan 1,000 owned rules, no other rules',
    value: fmt(planSmall),
    note: `ratio ${(planBig / planSmall).toFixed(2)}`,
  });
  return { rows, dump };
}
