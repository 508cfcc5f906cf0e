import { docker29Gate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { SEED_NFTABLES } from './differential/scenarios.js';

/**
 * Simulator against the real kernel on Docker 29.7.2 with its nftables backend: the seed after
 * `dockwall apply` of each example policy (dockwall's nftables writer), trace vs real traffic.
 */
differentialSuite(
  'simulator vs kernel: the seed on Docker 29 nftables after dockwall apply',
  SEED_NFTABLES,
  await docker29Gate(),
);
