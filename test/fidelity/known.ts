/**
 * The registry of documented, intended differences between vnet and its references (issue 6). Each id
 * has a section in docs/fidelity.md giving its reason (a test checks both lists agree); a difference a
 * scenario finds is "documented" only when it carries one of these ids (result.ts `FrameDifference.known`).
 *
 * Groups keep their own lists beside their scenarios — vlan-known.ts (VLAN helper), dhcp-known.ts (DHCP
 * helper), each `export const KNOWN: readonly KnownDifference[]` — and `ALL_KNOWN` gathers them.
 */
import { KNOWN as DHCP_KNOWN } from "./dhcp-known.js";
import { KNOWN as VLAN_KNOWN } from "./vlan-known.js";

/** One documented, intended difference. */
export interface KnownDifference {
  /** Stable kebab-case id, e.g. "bridge-static-sticky"; the heading of its section in docs/fidelity.md. */
  readonly id: string;
  /** One line: what differs (the reason is in docs/fidelity.md). */
  readonly summary: string;
  /** The result group it belongs to ("bridge", "router", "nat", "vlan", "dhcp"), when it is one group's. */
  readonly group?: string;
}

/** The differences of the namespace groups (bridge, router, NAT). */
export const KNOWN: readonly KnownDifference[] = [
  {
    id: "bridge-static-sticky",
    group: "bridge",
    summary:
      "a static FDB entry never moves in vnet; Linux moves a plain `static` entry to the port its MAC is next seen on (only `static sticky` stays)",
  },
  {
    id: "bridge-no-local-macs",
    group: "bridge",
    summary:
      "a frame to the bridge's own MAC or a port's MAC floods in vnet (unknown unicast); Linux delivers it to the bridge device's own stack and forwards nothing",
  },
  {
    id: "ip-options-not-echoed",
    group: "router",
    summary:
      "vnet's replies (echo replies, ICMP errors, TCP resets) carry no IP options; Linux echoes a Record Route, Timestamp or source route option of the datagram it answers",
  },
  {
    id: "ip-gratuitous-arp-on-address",
    group: "router",
    summary:
      "vnet sends one gratuitous ARP request when an address is added; Linux (arp_notify=0) sends none — setup chatter, never compared",
  },
];

/** Every documented difference: this file's and the groups' own lists. */
export const ALL_KNOWN: readonly KnownDifference[] = [...KNOWN, ...VLAN_KNOWN, ...DHCP_KNOWN];

const byId = new Map(ALL_KNOWN.map((k) => [k.id, k]));

/** The documented difference with this id; throws for an unknown id (a typo must not pass as documented). */
export function knownDifference(id: string): KnownDifference {
  const k = byId.get(id);
  if (!k) throw new Error(`fidelity: no documented difference "${id}" in test/fidelity/known.ts`);
  return k;
}
