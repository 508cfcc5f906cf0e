export * from './runner.js';
export * from './iptables-commands.js';
export * from './iptables-host.js';
export * from './iptables-variant.js';
export * from './ipset-host.js';
export * from './host-model.js';
export * from './doctor-facts.js';
export * from './nft-host.js';
