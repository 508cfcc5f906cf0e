import { labGate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { SEED } from './differential/scenarios.js';

/** Simulator against the real kernel: the seed scenario after `dockwall apply` of each example policy. */
differentialSuite('simulator vs kernel: the seed after dockwall apply', SEED, await labGate());
