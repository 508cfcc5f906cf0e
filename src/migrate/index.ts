export { importPyfw, type ImportedPolicy } from './pyfw-import.js';
export { dockerRuleToUser, type DockerRuleConversion } from './docker-chain-rule.js';
export { writeNativeYaml, type NativeDoc } from './native-yaml.js';
