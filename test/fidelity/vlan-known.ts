/**
 * Documented, intended differences between vnet's VLAN-aware bridge and the Linux 6.1 bridge with
 * `vlan_filtering 1` (the oracle of test/vm/vlan.test.ts, a QEMU guest). Each id has its reason in
 * docs/fidelity.md. Empty: on every VLAN scenario vnet sends the same frames as Linux, port by port,
 * byte for byte.
 */
import type { DifferenceSite } from "./compare.js";
import type { KnownDifference } from "./known.js";

export const KNOWN: readonly KnownDifference[] = [];

/**
 * The id of the documented difference that explains one VLAN frame difference (the items are
 * test/vm/vlan-compare.ts's `vlanItem` strings), or undefined: then it is a failure.
 */
export function classifyVlanDifference(_scenario: string, _site: DifferenceSite): string | undefined {
  // No VLAN difference is documented (KNOWN is empty): every difference is a failure.
  return undefined;
}
