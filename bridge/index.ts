export { access, type PortVlans, type TrunkOptions, trunk, type VlanMember } from "../vlan/membership.js";
export {
  Bridge,
  BridgeError,
  type BridgeOptions,
  type BridgePortOptions,
  type BridgePortStats,
  type FdbRow,
  type MirrorOptions,
} from "./bridge.js";
export { Fdb, type FdbEntry, type FdbOptions, type LearnResult } from "./fdb.js";
export {
  pathCostForSpeed,
  Rstp,
  RstpError,
  type RstpHost,
  type RstpOptions,
  type RstpPortOptions,
  type StpPortRow,
  type StpRole,
  type StpShow,
  StpState,
} from "./rstp.js";
export { STORM_GUARD_DEFAULTS, StormGuard, type StormGuardOptions, type StormReport } from "./storm-guard.js";
