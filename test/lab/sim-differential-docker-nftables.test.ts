import { docker29Gate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { DOCKER_LAYOUTS_NFTABLES, ICC_FALSE_NFTABLES } from './differential/scenarios.js';

/**
 * Simulator against the real kernel on Docker 29.7.2 with its nftables backend, no policy: the
 * Docker layouts of fixtures 02-05 (one dockerd, cumulative) and `--icc=false --userland-proxy=false`
 * (fixture 06), 220 probes each, walked on `nft -j list ruleset` and the Engine API.
 */
const gate = await docker29Gate();
differentialSuite('simulator vs kernel: Docker layouts on Docker 29 nftables', DOCKER_LAYOUTS_NFTABLES, gate);
differentialSuite(
  'simulator vs kernel: icc=false, no userland proxy, on Docker 29 nftables',
  ICC_FALSE_NFTABLES,
  gate,
);
