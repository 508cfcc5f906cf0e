export * from './types.js';
export * from './san.js';
export * from './pem.js';
export * from './issue.js';
export * from './check.js';
export * from './chain.js';
export * from './files-plan.js';
export { describeKeyAlgorithm } from './signing-key.js';
