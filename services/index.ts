/** services/: what a hypervisor's network offers its VMs (see README.md). */
export { canonicalName, ServiceConfigError, toIpv4, toMac } from "./config.js";
export {
  type DhcpAllocation,
  type DhcpLease,
  type DhcpLeaseState,
  type DhcpReservation,
  DhcpServer,
  type DhcpServerOptions,
  type DhcpServerStats,
} from "./dhcp-server.js";
export {
  DnsServer,
  type DnsServerOptions,
  type DnsServerStats,
  reverseName,
  reverseNameOf,
} from "./dns-server.js";
export { UdpEchoServer, type UdpEchoServerStats } from "./udp-echo-server.js";
