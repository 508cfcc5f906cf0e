export * from './for-nftables.js';
export * from './plan-nft.js';
export * from './read-table.js';
export * from './detect.js';
