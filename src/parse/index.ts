export { Lexer, tokenizeLine, type LexToken, type TokenizeOptions, type TokenizeResult } from './tokenize.js';
export { isBareValue, quoteValue, saveString, needsQuoting, formatToken } from './quote.js';
export {
  parseRuleText,
  parseRuleTokens,
  type RuleParseContext,
  type RuleTextOptions,
} from './rule-parser.js';
export { canonicalRule, formatRule, ruleKey } from './canonical.js';
export { Interner } from './intern.js';
export { parseIptablesSave, printIptablesSave, type SaveParseOptions } from './iptables-save.js';
export { LEGACY_WARNING_PREFIX } from './dump-lines.js';
export { unbuiltRule, unbuiltRuleBodies } from './dump-rule-lines.js';
export { parseIptablesS, type ListRulesOptions } from './iptables-s.js';
export { parseIpsetSave, printIpsetSave, canonicalMember, type IpsetParseOptions } from './ipset.js';
export { parseIpsetTerse, type IpsetHeader } from './ipset-terse.js';
export {
  NO_PREFIX,
  hostlessKey,
  memberKeys,
  plainIPv4Key,
  plainIPv4Text,
  rememberMemberKeys,
  rememberSortedMemberKeys,
  sortedMemberKeys,
} from './ipv4-key.js';
export {
  MAX_MEMBER_COMMENT,
  isNomatch,
  joinMember,
  memberComment,
  memberElement,
  memberOptions,
  splitMember,
  type MemberOptions,
  type SplitMember,
} from './ipset-member.js';
export { commentOf, withComment } from './rule-query.js';
export {
  canonicalAddress,
  canonicalNetwork,
  isPlainIPv4,
  addressFamily,
  parseIPv4,
  parseIPv6,
  formatIPv4,
  formatIPv6,
  type Network,
} from './address.js';
export { canonicalPortRange, parsePort, protocolName, protocolNumber, canonicalIcmpType } from './names.js';
export { isKnownMatch, isKnownTarget, knownMatches, knownTargets } from './extension-names.js';
export { parseNftJson, type NftJsonOptions } from './nft-json.js';
export { parseJsonWithPositions, type JsonParse, type JsonLocation } from './json-positions.js';
export {
  interfacesFromIpAddr,
  mergeHostModelParts,
  parseHostModelJson,
  routesFromIpRoute,
  type HostModelPart,
} from './host-model-json.js';
