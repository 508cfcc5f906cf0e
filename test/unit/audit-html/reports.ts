import { compileDesired } from '../../../src/compile/index.js';
import type { HostModel, HostState, Ruleset } from '../../../src/model/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import { audit, type AuditReport } from '../../../src/sim/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { fixtureRuleset, policyFrom, repoFile } from '../../helpers/fixtures.js';

/** Audit reports (and the rule sets behind them) the HTML tests look at. */

export interface Audited {
  report: AuditReport;
  rulesets: { ipv4?: Ruleset; ipv6?: Ruleset };
}

/** The host the fixtures were taken on: eth0 outside, docker0 the default bridge. */
export const FIXTURE_HOST: HostModel = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.122.190/24'] },
    { name: 'docker0', addresses: ['172.17.0.1/16'] },
  ],
  routes: [{ destination: 'default', device: 'eth0', via: '192.168.122.1' }],
};

/** Fixture 02: `docker run -p 8000:80` on the default bridge, no firewall of the host's own. */
export function fixture02(): Audited {
  const rulesets = { ipv4: fixtureRuleset('docker-20.10/02-one-published-port.iptables-save') };
  return { report: audit({ rulesets, host: FIXTURE_HOST }), rulesets };
}

/** The seed host after examples/firewalling-docker.yaml: its planned state, as `audit -f` computes it. */
export function seedPlanned(): Audited {
  const policy = policyFrom('examples/firewalling-docker.yaml');
  const file = 'examples/state/seed-host.iptables-save';
  const saved = parseIptablesSave(repoFile(file), { file, family: 'ipv4' }).value!;
  const before: HostState = { rulesets: { ipv4: saved }, sets: { sets: [] } };
  const state = applyPlanToState(before, planChanges(before, compileDesired(policy, {}))).state;
  const report = audit({ rulesets: state.rulesets, sets: state.sets, host: policy.host ?? FIXTURE_HOST });
  return { report, rulesets: state.rulesets };
}
