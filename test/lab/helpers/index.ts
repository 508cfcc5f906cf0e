export * from './lab.js';
export * from './dockerd.js';
export * from './containers.js';
export * from './probes.js';
export * from './requirements.js';
export { labLeftovers, mountsUnder, LAB_ROOT, type Leftovers } from './cleanup.js';
export * from './services.js';
export * from './docker29.js';
export * from './sctp-init.js';
