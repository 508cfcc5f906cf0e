import { compileDesired } from '../src/compile/index.js';
import type { HostState } from '../src/model/index.js';
import { parseIptablesSave } from '../src/parse/index.js';
import { planChanges } from '../src/plan/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { ownedPolicyYaml, syntheticDump } from './synthetic-dump.js';
import { fmt, medianCpuMs, medianMs, type Row } from './timing.js';

/** Parsing a 100,000-rule dump, and planning 1,000 owned rules with and without 100,000 others. */
export async function coreBench(): Promise<{ rows: Row[]; dump: string }> {
  const dump = syntheticDump(100_000, 1_000);
  const rows: Row[] = [];
  const parse = () => parseIptablesSave(dump, { file: 'bench', family: 'ipv4' }).value!;
  const parseMs = await medianMs(5, parse);
  const parseCpu = await medianCpuMs(5, parse);
  rows.push({
    what: 'parse iptables-save, 101,100 rules (validated; rules built when their chain is read)',
    value: fmt(parseMs),
    note: `CPU ${fmt(parseCpu)}; ${Math.round(101_100 / (parseMs / 1000)).toLocaleString('en')} rules/s`,
  });
  const readOne = () => parse().tables[0]!.chains.find((c) => c.name === 'OTHER-7')!.rules.length;
  rows.push({
    what: '… and read one chain of 1,000 rules',
    value: fmt(await medianMs(5, readOne)),
  });
  const readAll = () => {
    let n = 0;
    for (const t of parse().tables) for (const c of t.chains) n += c.rules.length;
    if (n !== 101_100) throw new Error(`bench: expected 101,100 rules, read ${n}`);
  };
  rows.push({
    what: '… and read every chain (all 101,100 rules built: `show`)',
    value: fmt(await medianMs(5, readAll)),
    note: `CPU ${fmt(await medianCpuMs(5, readAll))}`,
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
