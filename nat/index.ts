/** nat/: connection tracking and NAT — the public face of the module (see README.md). */
export {
  type Mapping,
  NAT_BEHAVIOURS,
  type NatBehaviour,
  type NatBehaviourName,
  type NatFilteringMode,
  type NatMappingMode,
} from "./behaviour.js";
export { type ConntrackEntry, type ConntrackTuple, formatEntry, protoName } from "./format.js";
export {
  Nat,
  type NatCidr,
  NatConfigError,
  type NatContext,
  type NatHookPoint,
  type NatInterface,
  type NatOptions,
  NatStats,
  type PortForwardRule,
  type SourceNatRule,
} from "./nat.js";
export { isIcmpQuery, refillIcmpChecksum, rewriteAddress, rewriteEndpoint } from "./rewrite.js";
export { ConnTable, CtStatus, tupleHash } from "./table.js";
export {
  type ConntrackTimeouts,
  DEFAULT_TIMEOUTS,
  TCP_STATE_NAMES,
  TcpCtState,
  type TcpCtStateName,
} from "./tcp-state.js";
