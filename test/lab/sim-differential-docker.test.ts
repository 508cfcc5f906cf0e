import { labGate } from './helpers/index.js';
import { differentialSuite } from './differential/suite.js';
import { DOCKER_LAYOUTS } from './differential/scenarios.js';

/** Simulator against the real kernel: the Docker layouts of fixtures 02-05, one dockerd, cumulative. */
differentialSuite('simulator vs kernel: Docker layouts', DOCKER_LAYOUTS, await labGate());
