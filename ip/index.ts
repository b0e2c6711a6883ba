/** ip/: the IPv4 stack shared by hosts and routers — the public face of the module (see README.md). */
export {
  broadcastOf,
  type Cidr,
  cidrContains,
  formatCidr,
  IPV4_ANY,
  IPV4_BROADCAST,
  IpConfigError,
  networkOf,
  parseCidr,
  prefixMask,
  toIpv4,
} from "./cidr.js";
export { fragmentPacket } from "./fragment.js";
export { HOOK_POINTS, type HookContext, type HookPoint, type IpHook } from "./hooks.js";
export { IcmpRateLimiter, type IcmpRateLimitOptions } from "./icmp.js";
export { type IpDevice, IpInterface } from "./interface.js";
export {
  NEIGH_DEFAULTS,
  type NeighbourEntry,
  type NeighbourParams,
  type NeighbourState,
} from "./neighbour.js";
export { allocPacket, l4ChecksumAt, sumAt } from "./packet.js";
export { type EchoReply, type EchoSendOptions, IcmpEchoSocket } from "./ping.js";
export { Reassembler, type ReassemblyOptions } from "./reassembly.js";
export { formatRoute, type RouteEntry } from "./routes.js";
export { type IpProtocolHandler, IpStack, type IpStackOptions } from "./stack.js";
export { IcmpMib, IpMib, IpStats, type IpStatsSnapshot, UdpMib } from "./stats.js";
export {
  type IcmpErrorInfo,
  type UdpBindOptions,
  type UdpMessage,
  type UdpPayloadWriter,
  type UdpSendOptions,
  UdpSocket,
} from "./udp.js";
