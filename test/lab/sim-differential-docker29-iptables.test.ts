import { docker29Gate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { SEED_DOCKER29_IPTABLES } from './differential/scenarios.js';

/**
 * Simulator against the real kernel on Docker 29.7.2 with its default iptables backend: the seed
 * after `dockwall apply` of each example policy, trace vs real traffic (220 probes per scenario).
 */
differentialSuite(
  'simulator vs kernel: the seed on Docker 29 iptables after dockwall apply',
  SEED_DOCKER29_IPTABLES,
  await docker29Gate(),
);
