export * from './ownership.js';
export * from './desired-state.js';
export * from './container-select.js';
export { generatedRule, familyOfAddress } from './rule-builder.js';
export * from './docker-layout.js';
export * from './docker-user-jump.js';
export * from './families.js';
