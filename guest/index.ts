/** guest/: the simulated VM — an ip/ stack with a DHCP client, a stub resolver and traffic apps (see README.md). */
export { type GuestApp, GuestError, type GuestHost } from "./app.js";
export {
  DhcpClient,
  type DhcpClientEvent,
  type DhcpClientEventType,
  type DhcpClientLease,
  type DhcpClientOptions,
  type DhcpClientState,
  type DhcpClientStats,
} from "./dhcp-client.js";
export { Guest, type GuestNic, type GuestOptions } from "./guest.js";
export { formatFloatG, formatReplyTime, icmpErrorKind, icmpErrorText, llsqrt, RttStats } from "./iputils.js";
export {
  type PingOptions,
  type PingReplyInfo,
  type PingResult,
  PingSession,
  pingPayloadTime,
} from "./ping.js";
export {
  RESOLVE_NO_SERVERS,
  RESOLVE_TIMEOUT,
  type ResolveResult,
  Resolver,
  type ResolverOptions,
  type ResolverStats,
} from "./resolver.js";
export {
  type UdpEchoOptions,
  type UdpEchoResult,
  UdpEchoSession,
  UdpFlow,
  type UdpFlowOptions,
  type UdpFlowResult,
  UdpSink,
  type UdpSinkResult,
  type UdpSinkSource,
} from "./udp-apps.js";
