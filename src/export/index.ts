export * from './export-types.js';
export { sourceFromDesired, sourceFromState, isDockerBuiltin } from './export-source.js';
export { exportRestore, type RestoreExportOptions } from './restore.js';
export { exportFerm, dockerPreserveList, type DockerGeneration, type FermExportOptions } from './ferm.js';
export { fermRule, fermWord } from './ferm-rule.js';
export { exportNft } from './nft.js';
export { nftRule, type NftContext } from './nft-rule.js';
export * from './nft-table.js';
export { exportPf, type PfExportOptions } from './pf.js';
export { launchdPlist } from './launchd.js';
export { ipsetSyncLines } from './ipset-lines.js';
export {
  execArg,
  restoreUnit,
  unitPath,
  watchUnit,
  type WatchUnit,
  type WatchUnitOptions,
} from './systemd-units.js';
