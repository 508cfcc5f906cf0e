import type { Chain, HostState, Rule } from '../model/index.js';
import { findChain } from '../model/index.js';
import { unbuiltRuleBodies } from '../parse/index.js';
import { desiredRule, type DesiredChain, type DesiredState } from './desired-state.js';
import { dockerChainsIn } from './docker-layout.js';
import { DOCKER_USER } from './ownership.js';
import { generatedRule } from './rule-builder.js';

/** Name (and so `dockwall:docker-user` tag) of the jump dockwall adds when Docker's is missing. */
export const DOCKER_USER_JUMP = 'docker-user';

const JUMP_BODY = `-j ${DOCKER_USER}`;

/**
 * Rules in DOCKER-USER only work if FORWARD jumps there. Docker writes that jump for IPv4, but
 * Docker 20.10 with `--ip6tables` (experimental) writes its ip6tables chains without DOCKER-USER and
 * without the jump (seen in the lab), so a filter put there would be silently skipped and published
 * ports would stay open over IPv6. Where the desired state puts rules in DOCKER-USER, Docker's chains
 * are there and FORWARD has no jump of Docker's own, dockwall adds one of its own on top of FORWARD
 * (the planner creates DOCKER-USER itself if it is missing); once Docker writes its jump, dockwall's
 * is no longer wanted and goes away like any stale rule.
 */
export function withDockerUserJumps(state: HostState, desired: DesiredState): DesiredState {
  let chains = desired.chains;
  for (const family of desired.families) {
    const user = chains.some(
      (c) => c.family === family && c.table === 'filter' && c.chain === DOCKER_USER && c.rules.length > 0,
    );
    const rs = state.rulesets[family];
    if (!user || !rs || !dockerChainsIn(state, family)) continue;
    const forward = findChain(rs, 'filter', 'FORWARD');
    if (!forward || dockerJumps(forward)) continue;
    const jump = desiredRule(family, DOCKER_USER_JUMP, generatedRule(JUMP_BODY, family), 'tag');
    const at = chains.findIndex((c) => c.family === family && c.table === 'filter' && c.chain === 'FORWARD');
    if (at < 0) {
      const added: DesiredChain = {
        family,
        table: 'filter',
        chain: 'FORWARD',
        kind: 'shared',
        rules: [jump],
      };
      chains = [...chains, added];
    } else if (!chains[at]!.rules.some((r) => r.name === DOCKER_USER_JUMP)) {
      chains = chains.map((c, i) => (i === at ? { ...c, rules: [jump, ...c.rules] } : c));
    }
  }
  return chains === desired.chains ? desired : { ...desired, chains };
}

/** Whether FORWARD holds Docker's own `-j DOCKER-USER` (a bare jump, no comment). */
function dockerJumps(forward: Chain): boolean {
  const bodies = unbuiltRuleBodies(forward);
  if (bodies) return bodies.includes(JUMP_BODY);
  return forward.rules.some(isBareJump);
}

function isBareJump(r: Rule): boolean {
  return (
    r.generic.length === 0 &&
    r.matches.length === 0 &&
    r.target?.kind === 'jump' &&
    r.target.name === DOCKER_USER &&
    r.target.options.length === 0
  );
}
