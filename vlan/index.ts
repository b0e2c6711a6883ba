export {
  access,
  checkVid,
  type PortVlans,
  type TrunkOptions,
  trunk,
  VlanConfigError,
  VlanFlag,
  type VlanMember,
  VlanMembership,
} from "./membership.js";
export { type SubInterfaceOptions, VlanDemux } from "./sub-interface.js";
