import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliContext } from '../../src/cli/context.js';
import { readLiveChains, readLiveState } from '../../src/cli/live.js';
import { makePaint } from '../../src/cli/output.js';
import { compileDesired } from '../../src/compile/index.js';
import { isBuiltinChain, type HostState } from '../../src/model/index.js';
import { formatRule } from '../../src/parse/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { createLab, labGate, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

const POLICY = `dockwall: 1
ipv4:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport 22 -j ACCEPT
    DOCKWALL-EXTRA:
      rules:
        - web: -p tcp --dport 80 -j ACCEPT
`;

/**
 * Each chain as `NAME POLICY: rule | rule`, sorted. A built-in chain with policy ACCEPT and no rules
 * is left out: nft may not have it yet (iptables-nft creates them when first used), and the planner
 * takes a missing built-in chain as exactly that.
 */
function chains(s: HostState): string[] {
  for (const t of s.rulesets.ipv4!.tables) {
    const names = t.chains.map((c) => c.name);
    expect(new Set(names).size, `a chain read twice: ${names.join(' ')}`).toBe(names.length);
  }
  return s.rulesets
    .ipv4!.tables.flatMap((t) =>
      t.chains
        .filter((c) => !(isBuiltinChain(t.name, c.name) && c.policy === 'ACCEPT' && c.rules.length === 0))
        .map((c) => `${t.name} ${c.name} ${c.policy}: ${c.rules.map(formatRule).join(' | ')}`),
    )
    .sort();
}

describe.skipIf(gate.skip)('reading the live state (nf_tables, in a lab namespace)', () => {
  let lab: Lab;
  let fw: LabHost;
  const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
  const desired = compileDesired(loadPolicy(POLICY, 'p.yaml').value!);
  const read = () => readLiveState(ctx, desired, { runner: fw.runner, variant: 'nf_tables' });

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.98.0.1/24' });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('a table nothing created yet reads as empty', async () => {
    expect(chains(await read())).toEqual([]);
  });

  it('the same chains whether the tables are read or just the chains asked for', async () => {
    await lab.execChecked(fw, ['iptables-restore', '--noflush'], {
      stdin: [
        '*filter',
        ':DOCKWALL-EXTRA - [0:0]',
        ':DOCKWALL-OLD - [0:0]',
        '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT',
        '-A INPUT -s 10.0.0.1/32 -j DROP',
        '-A DOCKWALL-EXTRA -p tcp -m tcp --dport 80 -j ACCEPT',
        '-A DOCKWALL-OLD -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    });
    const byChain = chains(await read());
    expect(byChain).toContain('filter DOCKWALL-OLD null: -j RETURN');
    expect(byChain).toContain(
      'filter INPUT ACCEPT: -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT | -s 10.0.0.1/32 -j DROP',
    );
    // What apply reads back: only the chains asked for; one that does not exist is left out.
    const asked = await readLiveChains(
      ctx,
      fw.runner,
      'nf_tables',
      ['INPUT', 'DOCKWALL-OLD', 'DOCKWALL-NOPE'].map((chain) => ({ family: 'ipv4', table: 'filter', chain })),
      [],
    );
    expect(chains(asked)).toEqual(byChain.filter((c) => / (INPUT|DOCKWALL-OLD) /.test(c)));
  });

  it("a DOCKWALL chain that appeared since is read (nft lists it), another program's chain is not", async () => {
    await lab.execChecked(fw, ['iptables', '-N', 'DOCKWALL-NEW']);
    await lab.execChecked(fw, ['iptables', '-N', 'SOMEONE-ELSE']);
    const now = chains(await read());
    expect(now).toContain('filter DOCKWALL-NEW null: ');
    expect(now.some((c) => c.includes('SOMEONE-ELSE'))).toBe(false);
  });
});
