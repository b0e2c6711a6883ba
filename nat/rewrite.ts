import { foldSum, type Ipv4, onesSum, readIpv4, writeIpv4 } from "../wire/index.js";

/**
 * In-place header rewrites for NAT, with RFC 1624 incremental checksum updates, on a buffer the NAT
 * owns (a copy of the packet it was given: frames handed on are never written again).
 *
 * The per-protocol rules follow Linux nf_nat_proto.c:
 * - the IPv4 header checksum is adjusted for the changed address;
 * - TCP: the port, and the checksum for the pseudo-header address and the port, when the 20-byte header
 *   is there (an 8-byte header quoted in an ICMP error only gets its port rewritten);
 * - UDP: the same, except that a zero checksum ("none") stays zero, and an adjusted checksum that comes
 *   out as zero is sent as 0xffff (RFC 768; the kernel's CSUM_MANGLED_0);
 * - ICMP queries (echo, timestamp, information, address mask): the identifier and the ICMP checksum
 *   (no pseudo-header);
 * - other protocols: the address only.
 */

/** RFC 1624 eqn. 3 for a 32-bit and a 16-bit change at once: ~(~HC + ~m + m'). */
function adjust(
  checksum: number,
  oldAddr: number,
  newAddr: number,
  oldPort: number,
  newPort: number,
): number {
  const sum =
    (~checksum & 0xffff) +
    (~(oldAddr >>> 16) & 0xffff) +
    (newAddr >>> 16) +
    (~oldAddr & 0xffff) +
    (newAddr & 0xffff) +
    (~oldPort & 0xffff) +
    newPort;
  return ~foldSum(sum) & 0xffff;
}

/** True for the ICMP query types whose identifier NAT translates (Linux icmp_manip_pkt). */
export function isIcmpQuery(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/**
 * Rewrites the source (`src`) or destination address of the IPv4 header at `ip` and the matching
 * transport port (or ICMP identifier) of the L4 header at `l4`, of which `l4Len` bytes are present.
 * `port` < 0 leaves the port alone. Returns nothing; all checksums covered are adjusted.
 */
export function rewriteEndpoint(
  b: Uint8Array,
  ip: number,
  l4: number,
  l4Len: number,
  src: boolean,
  addr: number,
  port: number,
): void {
  const aoff = ip + (src ? 12 : 16);
  const oldAddr = readIpv4(b, aoff);
  const proto = b[ip + 9];
  if (proto === 6 || proto === 17) {
    // With no port to change (port < 0, or no room for one) only the pseudo-header address changes:
    // ports 0 → 0 leave the RFC 1624 sum as it is.
    let oldPort = 0;
    let newPort = 0;
    if (port >= 0 && l4Len >= 4) {
      const poff = l4 + (src ? 0 : 2);
      oldPort = (b[poff] << 8) | b[poff + 1];
      newPort = port;
      b[poff] = port >>> 8;
      b[poff + 1] = port & 0xff;
    }
    if (proto === 6) {
      if (l4Len >= 20) {
        const c = (b[l4 + 16] << 8) | b[l4 + 17];
        const n = adjust(c, oldAddr, addr, oldPort, newPort);
        b[l4 + 16] = n >>> 8;
        b[l4 + 17] = n & 0xff;
      }
    } else if (l4Len >= 8) {
      const c = (b[l4 + 6] << 8) | b[l4 + 7];
      if (c !== 0) {
        let n = adjust(c, oldAddr, addr, oldPort, newPort);
        if (n === 0) n = 0xffff;
        b[l4 + 6] = n >>> 8;
        b[l4 + 7] = n & 0xff;
      }
    }
  } else if (proto === 1 && port >= 0 && l4Len >= 8 && isIcmpQuery(b[l4])) {
    const oldId = (b[l4 + 4] << 8) | b[l4 + 5];
    if (oldId !== port) {
      b[l4 + 4] = port >>> 8;
      b[l4 + 5] = port & 0xff;
      const c = (b[l4 + 2] << 8) | b[l4 + 3];
      const n = adjust(c, 0, 0, oldId, port);
      b[l4 + 2] = n >>> 8;
      b[l4 + 3] = n & 0xff;
    }
  }
  if (oldAddr !== addr) {
    writeIpv4(b, aoff, addr as Ipv4);
    const c = (b[ip + 10] << 8) | b[ip + 11];
    const n = adjust(c, oldAddr, addr, 0, 0);
    b[ip + 10] = n >>> 8;
    b[ip + 11] = n & 0xff;
  }
}

/** Rewrites only an address of the IPv4 header at `ip` (and its header checksum). */
export function rewriteAddress(b: Uint8Array, ip: number, src: boolean, addr: number): void {
  const aoff = ip + (src ? 12 : 16);
  const oldAddr = readIpv4(b, aoff);
  if (oldAddr === addr) return;
  writeIpv4(b, aoff, addr as Ipv4);
  const c = (b[ip + 10] << 8) | b[ip + 11];
  const n = adjust(c, oldAddr, addr, 0, 0);
  b[ip + 10] = n >>> 8;
  b[ip + 11] = n & 0xff;
}

/** Recomputes the ICMP checksum over `b[l4 .. end)` (Linux does so after rewriting an ICMP error). */
export function refillIcmpChecksum(b: Uint8Array, l4: number, end: number): void {
  b[l4 + 2] = 0;
  b[l4 + 3] = 0;
  const c = ~onesSum(b.subarray(l4, end)) & 0xffff;
  b[l4 + 2] = c >>> 8;
  b[l4 + 3] = c & 0xff;
}
