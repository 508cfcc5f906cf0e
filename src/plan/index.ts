export * from './planner.js';
export * from './chain-diff.js';
export * from './set-diff.js';
export * from './render-text.js';
export * from './apply-plan.js';
export * from './chain-references.js';
export * from './describe-op.js';
export * from './saved-plan.js';
