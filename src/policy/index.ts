export { loadPolicy, type LoadPolicyOptions } from './load-policy.js';
export type { ReadMemberFile } from './member-files.js';
export { policyJsonSchema } from './json-schema.js';
export { policySchema, SET_TYPES } from './schema.js';
export { DOCKER_OWNED_CHAINS, isDockerOwnedChain } from './docker-chains.js';
export { parseDestination } from './expectations.js';
export type { Destination } from './expectations.js';
export { normalizePort, parseNetwork, addressFamily } from './values.js';
