/**
 * The fidelity result model (issue 6): what every differential scenario reports — Linux namespaces, the
 * guest kernel under QEMU for VLANs, dnsmasq for DHCP — and what `npm run fidelity` prints as one table.
 * Defined here, in the built runner, so the table reads the same types the tests write; the tests take
 * them from test/fidelity/result.ts, which re-exports them with `recordResult` and `undocumented`.
 */

/** One frame (or one missing/extra frame) where vnet and the oracle differ on a port. */
export interface FrameDifference {
  /** Position in the port's output (0-based, the oracle's order). */
  readonly index: number;
  /** What differs, in a line: field names and both values, or "missing in vnet" / "extra in vnet". */
  readonly what: string;
  /** The id of the documented difference that explains it (test/fidelity/known.ts), if any. */
  readonly known?: string;
}

/** How one port compared: frames the oracle and vnet sent out of it, and how many were equal. */
export interface PortComparison {
  readonly port: string;
  readonly oracle: number;
  readonly vnet: number;
  /** Frames equal byte for byte, after masking only what the oracle draws at random. */
  readonly equal: number;
  readonly differences: readonly FrameDifference[];
}

export interface ScenarioResult {
  /** "bridge", "vlan", "router", "nat", "dhcp". */
  readonly group: string;
  readonly scenario: string;
  /** The reference, e.g. "Linux 6.12 (netns)", "Linux 6.1 guest (QEMU)", "dnsmasq 2.90". */
  readonly oracle: string;
  readonly ports: readonly PortComparison[];
  /**
   * What was masked before comparing, one short phrase each (fields the oracle draws at random, e.g.
   * "IP ID of router ICMP errors"); listed under the table. Absent when nothing was.
   */
  readonly masked?: readonly string[];
}
