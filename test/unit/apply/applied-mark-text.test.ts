import { describe, expect, it } from 'vitest';
import { appliedMark, type Snapshot } from '../../../src/apply/snapshot.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesS, unbuiltRuleBodies } from '../../../src/parse/index.js';
import { loadPolicy } from '../../../src/policy/index.js';

const POLICY = [
  'dockwall: 1',
  'ipv4:',
  '  filter:',
  '    DOCKWALL-T:',
  '      rules:',
  '        - ssh: -p tcp --dport 22 -s 10.0.0.1 -j ACCEPT',
  '        - web: -p 6 -m multiport --dports 80,443 -j ACCEPT',
  '        - last: -m conntrack --ctstate INVALID -j DROP',
  '',
].join('\n');

/** The chain as a read back gives it: rule text, rules not built yet. */
function state(bodies: string[]): HostState {
  const text = ['-N DOCKWALL-T', ...bodies.map((b) => `-A DOCKWALL-T ${b}`), ''].join('\n');
  const table = parseIptablesS(text, { file: 't', family: 'ipv4', table: 'filter' }).value!;
  return {
    rulesets: { ipv4: { family: 'ipv4', tables: [table] } },
    sets: { sets: [] },
  } as unknown as HostState;
}

describe('the applied mark read from rule text', () => {
  const desired = compileDesired(loadPolicy(POLICY, 'p.yaml').value!, { policyOnly: true });
  const snap = {
    formatVersion: 1,
    createdAt: '',
    policyFile: 'p.yaml',
    chains: [
      { family: 'ipv4', table: 'filter', chain: 'DOCKWALL-T', existed: false, policy: null, rules: [] },
    ],
    sets: [],
  } as Snapshot;
  const keys = desired.chains.find((c) => c.chain === 'DOCKWALL-T')!.rules.map((r) => r.key);

  it('is the mark of the built rules, for wanted keys and for other spellings alike', () => {
    for (const bodies of [
      keys,
      [keys[0]!, '-p 6 -m tcp --dport 25 -j ACCEPT', keys[2]!],
      ['-s 10.0.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT', ...keys.slice(1)],
      [],
    ]) {
      const read = state(bodies);
      if (bodies.length > 0)
        expect(unbuiltRuleBodies(read.rulesets.ipv4!.tables[0]!.chains[0]!)).toBeDefined();
      const fast = appliedMark(read, snap, desired);
      const built = appliedMark(state(bodies), snap);
      expect(fast).toEqual(built);
      expect(fast.chains[0]!.rules).toHaveLength(bodies.length);
    }
  });
});
