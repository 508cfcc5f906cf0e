import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { otherVariantWarning } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { fixtureState, policyFrom, repoFile } from '../../helpers/fixtures.js';

/**
 * Issue 11, item 11: against fixture 09 (Docker writing to the legacy tables; the nf_tables dump
 * shows empty tables), plan created a DOCKER-USER that FORWARD never reaches and said nothing.
 */
const FIXTURE = 'test/fixtures/docker-20.10/09-legacy-backend.iptables-nft-save-with-warning';
const policy = policyFrom('examples/firewalling-docker.yaml');

describe('a DOCKER-USER nothing jumps to is said, and a dump naming legacy tables is flagged', () => {
  it('warns on fixture 09 as `iptables-nft-save > FILE` writes it (the warning went to stderr)', () => {
    const text = repoFile(FIXTURE).split('\n').slice(1).join('\n');
    const state: HostState = {
      rulesets: { ipv4: parseIptablesSave(text, { file: 'nft', family: 'ipv4' }).value! },
      sets: { sets: [] },
    };
    const plan = planChanges(state, compileDesired(policy));
    expect(plan.operations).toContainEqual(
      expect.objectContaining({ op: 'create-chain', chain: 'DOCKER-USER' }),
    );
    expect(plan.diagnostics.map((d) => [d.severity, d.code])).toContainEqual([
      'warning',
      'plan.docker-user-unreached',
    ]);
  });

  it('the dump with its warning line draws the other-variant warning too', () => {
    const rs = parseIptablesSave(repoFile(FIXTURE), {
      file: 'nft',
      family: 'ipv4',
    }).value!;
    expect(otherVariantWarning(rs)?.code).toBe('state.other-variant-tables');
    expect(otherVariantWarning(rs)?.message).toContain('holds none of Docker');
  });

  it('says nothing where Docker jumps to DOCKER-USER (fixture 07)', () => {
    const plan = planChanges(
      fixtureState('docker-20.10/07-seed003-wishes-applied.iptables-save'),
      compileDesired(policy),
    );
    expect(plan.diagnostics.map((d) => d.code)).not.toContain('plan.docker-user-unreached');
    const rs = fixtureState('docker-20.10/07-seed003-wishes-applied.iptables-save').rulesets.ipv4!;
    expect(otherVariantWarning(rs)).toBeUndefined();
  });
});
