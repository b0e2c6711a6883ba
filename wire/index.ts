/** wire/: packet formats — the public face of the module (see README.md). */
export * from "./addr.js";
export * from "./arp.js";
export * from "./checksum.js";
export * from "./dhcp.js";
export * from "./dns.js";
export * from "./errors.js";
export * from "./ethernet.js";
export * from "./icmpv4.js";
export * from "./icmpv6.js";
export * from "./ipv4.js";
export * from "./ipv6.js";
export * from "./l4-checksum.js";
export * from "./stp.js";
export * from "./tcp.js";
export * from "./udp.js";
export * from "./vlan.js";
