import { labGate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { ICC_FALSE } from './differential/scenarios.js';

/** Simulator against the real kernel: dockerd --icc=false --userland-proxy=false (fixture 06). */
differentialSuite('simulator vs kernel: icc=false, no userland proxy', ICC_FALSE, await labGate());
