/** Checks a device makes on a frame entering it, shared by TAP and VM NIC. */

/** Bytes of an Ethernet header without tags (destination, source, EtherType). */
export const ETH_HLEN = 14;

/**
 * Number of 802.1Q/802.1ad tags at the front of an Ethernet frame (at most 2 counted: a C-tag and an
 * S-tag), so a device can allow MTU + 14 + 4 per tag, as Linux does for VLAN sub-interfaces.
 */
export function leadingVlanTags(frame: Uint8Array): number {
  let n = 0;
  let off = 12;
  while (n < 2 && off + 4 <= frame.length) {
    const t = (frame[off] << 8) | frame[off + 1];
    if (t !== 0x8100 && t !== 0x88a8) break;
    n++;
    off += 4;
  }
  return n;
}

/** Why an Ethernet frame cannot enter a device with this MTU, or null when it can. */
export function ethernetFrameProblem(frame: Uint8Array, mtu: number): "malformed" | "mtu-exceeded" | null {
  const len = frame.length;
  // The common case (header present, within the MTU) decides without looking at VLAN tags.
  if (len >= ETH_HLEN && len <= mtu + ETH_HLEN) return null;
  if (len < ETH_HLEN) return "malformed";
  if (len > mtu + ETH_HLEN + 4 * leadingVlanTags(frame)) return "mtu-exceeded";
  return null;
}
