export * from './diagnostic.js';
export * from './ruleset.js';
export * from './ipset.js';
export * from './host.js';
export * from './docker.js';
export * from './policy.js';
export * from './plan.js';
export * from './state.js';
