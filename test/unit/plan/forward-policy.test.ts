import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState } from '../../../src/model/index.js';
import { hasDockerChains } from '../../../src/compile/index.js';
import { planChanges } from '../../../src/plan/index.js';
import { fixtureRuleset, policyText } from '../../helpers/fixtures.js';

const desired = () =>
  compileDesired(policyText('dockwall: 1\nipv4:\n  filter:\n    FORWARD:\n      policy: DROP\n'));

/** What a live read gives: only the built-in chains, none of Docker's. */
function partialState(dockerChainsPresent?: boolean): HostState {
  const chains = ['INPUT', 'FORWARD', 'OUTPUT'].map((name) => ({
    name,
    policy: 'ACCEPT' as const,
    rules: [],
  }));
  const state: HostState = {
    rulesets: { ipv4: { family: 'ipv4', tables: [{ name: 'filter', chains }] } },
    sets: { sets: [] },
  };
  if (dockerChainsPresent !== undefined) state.dockerChainsPresent = { ipv4: dockerChainsPresent };
  return state;
}

describe("FORWARD's policy on a Docker host", () => {
  it('is left to Docker when the reader says Docker’s chains exist, though it did not read them', () => {
    const plan = planChanges(partialState(true), desired());
    expect(plan.operations).toEqual([]);
    expect(plan.diagnostics.map((d) => d.code)).toContain('plan.forward-policy-docker');
  });

  it('is set on a host without Docker', () => {
    expect(planChanges(partialState(false), desired()).operations).toEqual([
      expect.objectContaining({ op: 'set-policy', chain: 'FORWARD', to: 'DROP' }),
    ]);
  });

  it('is told from the dump when the whole table was read (20.10 fixtures)', () => {
    expect(hasDockerChains(fixtureRuleset('docker-20.10/02-one-published-port.iptables-save'))).toBe(true);
    expect(
      hasDockerChains(fixtureRuleset('docker-20.10/09-legacy-backend.iptables-nft-save-with-warning')),
    ).toBe(false);
  });
});
