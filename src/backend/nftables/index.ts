export * from './for-nftables.js';
export * from './plan-nft.js';
export * from './read-table.js';
export * from './detect.js';
export * from './planned-ruleset.js';
export * from './rule-json.js';
