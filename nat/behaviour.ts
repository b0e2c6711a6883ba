/**
 * NAT behaviour per RFC 4787 ("NAT Behavioral Requirements for Unicast UDP"): how external mappings
 * are reused (§4.1) and which inbound packets a mapping lets in (§5).
 *
 * - `"linux"` (the default) is what netfilter MASQUERADE does: a connection keeps its source port when
 *   the resulting reply tuple is free (else a random port in the same range), and an existing mapping
 *   of the same internal endpoint is reused when it gives a unique tuple (nf_nat_core.c
 *   find_appropriate_src); inbound packets are translated only as replies of an existing conntrack
 *   entry or by a DNAT rule. Unsolicited packets are left alone (they reach the router's own stack).
 * - Explicit modes give each external port exactly one owner (the mapping), so that endpoint- and
 *   address-dependent filtering can send unsolicited packets to it:
 *   - mapping `endpoint-independent`: one external port per internal (address, port) for every
 *     destination; `address-dependent`: per destination address; `address-and-port-dependent`: per
 *     destination address and port (a "symmetric" NAT: a new port for every new destination).
 *   - filtering `endpoint-independent`: anyone may send to a mapped port; `address-dependent`: only
 *     addresses the internal endpoint has sent to; `address-and-port-dependent`: only (address, port)
 *     pairs it has sent to. Filtered packets are dropped and counted (`filtered`).
 *   The source port is preserved when it is free (RFC 4787 REQ-3 recommends nothing against it; it is
 *   what Linux and most home routers do). ICMP echo identifiers follow the mapping rule; ICMP is
 *   never let in by filtering (only replies of an existing entry).
 */
export type NatMappingMode = "endpoint-independent" | "address-dependent" | "address-and-port-dependent";
export type NatFilteringMode = NatMappingMode;

export interface NatBehaviour {
  readonly mapping: NatMappingMode;
  readonly filtering: NatFilteringMode;
}

/** The classic names (RFC 3489 §5) as RFC 4787 mapping/filtering pairs. */
export const NAT_BEHAVIOURS = {
  "full-cone": { mapping: "endpoint-independent", filtering: "endpoint-independent" },
  "restricted-cone": { mapping: "endpoint-independent", filtering: "address-dependent" },
  "port-restricted-cone": { mapping: "endpoint-independent", filtering: "address-and-port-dependent" },
  symmetric: { mapping: "address-and-port-dependent", filtering: "address-and-port-dependent" },
} as const satisfies Record<string, NatBehaviour>;

export type NatBehaviourName = "linux" | keyof typeof NAT_BEHAVIOURS;

const MODES: readonly string[] = ["endpoint-independent", "address-dependent", "address-and-port-dependent"];

/** Normalises the `behaviour` option; null means "linux". Throws NatConfigError on unknown names. */
export function resolveBehaviour(
  b: NatBehaviourName | NatBehaviour | undefined,
  err: (msg: string) => Error,
): NatBehaviour | null {
  if (b === undefined || b === "linux") return null;
  if (typeof b === "string") {
    const known = (NAT_BEHAVIOURS as Record<string, NatBehaviour>)[b];
    if (!known) {
      throw err(
        `unknown NAT behaviour ${JSON.stringify(b)} (linux, ${Object.keys(NAT_BEHAVIOURS).join(", ")} or { mapping, filtering })`,
      );
    }
    return known;
  }
  if (!MODES.includes(b.mapping)) throw err(`unknown NAT mapping mode ${JSON.stringify(b.mapping)}`);
  if (!MODES.includes(b.filtering)) throw err(`unknown NAT filtering mode ${JSON.stringify(b.filtering)}`);
  return b;
}

/** An external mapping of an explicit-mode NAT. */
export interface Mapping {
  readonly id: number;
  /** 1 TCP, 2 UDP, 3 ICMP. */
  readonly protoIdx: number;
  readonly intAddr: number;
  readonly intPort: number;
  readonly extAddr: number;
  readonly extPort: number;
  /** Name of the interface whose masquerade/SNAT rule made it (packets from elsewhere are hairpin). */
  readonly outIf: string | null;
  /** The key of the mapping in its internal endpoint's group (0, remote address, or address:port). */
  readonly remoteKey: number;
  /** Conntrack entries holding it; the mapping ends with the last one. */
  refs: number;
  /** The latest expiry of its entries (ns): past it, the mapping no longer lets anything in. */
  expires: number;
  /** Addresses and address:port pairs the internal endpoint sent to through it (for filtering). */
  readonly sentToAddr: Set<number>;
  readonly sentToEndpoint: Set<number>;
}

/** (address, port, protocol index) as one exact number below 2^50. */
export function endpointKey(protoIdx: number, addr: number, port: number): number {
  return (addr * 65536 + port) * 4 + protoIdx;
}

/** (address, port) as one exact number below 2^48. */
export function addrPortKey(addr: number, port: number): number {
  return addr * 65536 + port;
}
