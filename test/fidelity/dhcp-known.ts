/**
 * The DHCP group's documented, intended differences from dnsmasq (issue 6); reasons in
 * docs/fidelity.md (and /tmp/i5/fidelity-dhcp.md until the lead merges them). `classifyDhcp` says which
 * one explains a difference dhcp.test.ts found, or none.
 */

import type { DhcpDifferenceSite } from "./dhcp-compare.js";
import type { KnownDifference } from "./known.js";

export const KNOWN: readonly KnownDifference[] = [
  {
    id: "dhcp-no-ping-check",
    group: "dhcp",
    summary:
      "dnsmasq probes an address with an ICMP echo (and the kernel's ARP for it, and re-probes of neighbour entries its ARP injection made) before offering it; vnet's server offers at once, without the probe",
  },
];

/** ARP requests and ICMP echo requests the server itself sends (what the ping check puts on the wire). */
const PROBE = /^(ARP who-has \S+ tell 192\.168\.122\.1 |IPv4 192\.168\.122\.1 > \S+ ICMP type 8\b)/;

const byId = new Map(KNOWN.map((k) => [k.id, k]));

/** The DHCP difference with this id; throws for an unknown id. */
export function dhcpKnown(id: string): KnownDifference {
  const k = byId.get(id);
  if (!k) throw new Error(`fidelity: no documented DHCP difference "${id}" in test/fidelity/dhcp-known.ts`);
  return k;
}

/** Which documented difference explains `d`, or undefined. */
export function classifyDhcp(d: DhcpDifferenceSite): string | undefined {
  if (d.field === "frame" && d.vnet === undefined && d.oracle !== undefined && PROBE.test(d.oracle))
    return "dhcp-no-ping-check";
  return undefined;
}
