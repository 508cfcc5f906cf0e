export * from './types.js';
export {
  describePacket,
  packetFromExpectation,
  parseInstant,
  validatePacket,
  type Packet,
  type PacketProto,
  type PacketState,
} from './packet.js';
export {
  createSimulator,
  describeDecision,
  knownInterfaces,
  renderTrace,
  simulate,
  type RenderOptions,
  type Simulator,
} from './trace.js';
export {
  addrType,
  buildHostIndex,
  externalInterfaces,
  hostInterfaces,
  primaryAddress,
  routeLookup,
  type AddrType,
  type HostIndex,
  type RouteDecision,
} from './routing.js';
export {
  collectDestinations,
  dockerDestinations,
  listeningDestinations,
  natDestinations,
  type ListeningPort,
  type MatrixDestination,
} from './destinations.js';
export {
  serviceMatrix,
  type DestinationResult,
  type MatrixInput,
  type Probe,
  type ServiceMatrix,
  type SourceGroup,
} from './service-matrix.js';
export { audit, describeDestination, renderAudit, type AuditReport } from './audit.js';
export { syntheticRuleset, type SyntheticOptions, type SyntheticSetup } from './synthetic.js';
export { formatRuleText } from './format-rule.js';
