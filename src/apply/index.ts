export * from './restore-script.js';
export * from './snapshot.js';
export * from './rollback.js';
export * from './apply-procedure.js';
export * from './read-back.js';
export * from './journal.js';
export * from './set-count-check.js';
export * from './member-undo.js';
