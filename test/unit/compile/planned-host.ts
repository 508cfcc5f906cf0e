import { compileDesired, stateFamilies, type CompileContext } from '../../../src/compile/index.js';
import type { HostState, Policy } from '../../../src/model/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import { simulate, type Packet, type Trace } from '../../../src/sim/index.js';
import { dockerHost, fixture } from '../sim/hosts.js';

/** Fixture 06 (dual-stack Docker 20.10), both families, as a policy would leave it. */
export function planned06(policy: Policy, ctx: CompileContext = {}): HostState {
  const state: HostState = {
    rulesets: {
      ipv4: fixture('06-icc-false-no-userland-proxy-ipv6'),
      ipv6: fixture('06-icc-false-no-userland-proxy-ipv6', 'ipv6'),
    },
    sets: { sets: [] },
  };
  const desired = compileDesired(policy, { ...ctx, hostFamilies: stateFamilies(state) });
  return applyPlanToState(state, planChanges(state, desired)).state;
}

export function traceIn(state: HostState, packet: Partial<Packet> & Pick<Packet, 'src' | 'dst'>): Trace {
  const family = packet.dst.includes(':') ? 'ipv6' : 'ipv4';
  return simulate(
    { rulesets: state.rulesets, sets: state.sets, host: dockerHost },
    { family, proto: 'tcp', sport: 40000, in: 'eth0', ...packet },
  );
}
