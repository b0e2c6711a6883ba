import type { Ipv4, Ipv6 } from "./addr.js";
import { foldSum, onesSum, pseudoHeaderSumV4, pseudoHeaderSumV6 } from "./checksum.js";

/**
 * The pseudo-header checksum of a transport segment (TCP, UDP, ICMPv6), given the IP layer around it
 * (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1). The segment's length in the pseudo-header is always
 * `segment.byteLength`: callers pass exactly the upper-layer bytes the IP header delimits.
 *
 * The `l4Checksum*` functions return `~(pseudo-header sum + segment sum)` as 16 bits, so:
 * - with the segment's checksum field zeroed, the result is the value to store;
 * - with the checksum field filled in, the result is 0 exactly when the checksum verifies.
 */

/** The addresses of the IP header a segment travels in. IPv6 addresses as bigint or 16 bytes. */
export type PseudoHeader =
  | { readonly version: 4; readonly src: Ipv4; readonly dst: Ipv4 }
  | { readonly version: 6; readonly src: Ipv6 | Uint8Array; readonly dst: Ipv6 | Uint8Array };

export type PseudoHeaderV4 = Extract<PseudoHeader, { readonly version: 4 }>;
export type PseudoHeaderV6 = Extract<PseudoHeader, { readonly version: 6 }>;

export function pseudoV4(src: Ipv4, dst: Ipv4): PseudoHeaderV4 {
  return { version: 4, src, dst };
}

export function pseudoV6(src: Ipv6 | Uint8Array, dst: Ipv6 | Uint8Array): PseudoHeaderV6 {
  return { version: 6, src, dst };
}

/** Sum of the eight 16-bit groups of an IPv6 address given as a bigint (not folded). */
function v6GroupSum(a: Ipv6): number {
  let v: bigint = a;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    sum += Number(v & 0xffffn);
    v >>= 16n;
  }
  return sum;
}

/** One's-complement sum (not complemented) of the pseudo-header for `protocol` and `length`. */
export function pseudoSum(ip: PseudoHeader, protocol: number, length: number): number {
  if (ip.version === 4) return pseudoHeaderSumV4(ip.src, ip.dst, protocol, length);
  const { src, dst } = ip;
  if (src instanceof Uint8Array && dst instanceof Uint8Array) {
    return pseudoHeaderSumV6(src, dst, protocol, length);
  }
  const s = src instanceof Uint8Array ? onesSum(src.subarray(0, 16)) : v6GroupSum(src);
  const d = dst instanceof Uint8Array ? onesSum(dst.subarray(0, 16)) : v6GroupSum(dst);
  return foldSum(s + d + Math.floor(length / 0x10000) + (length & 0xffff) + protocol);
}

/** `~(pseudo-header + segment)` for a segment carried over IPv4. */
export function l4ChecksumV4(src: Ipv4, dst: Ipv4, protocol: number, segment: Uint8Array): number {
  return ~onesSum(segment, pseudoHeaderSumV4(src, dst, protocol, segment.byteLength)) & 0xffff;
}

/** `~(pseudo-header + segment)` for a segment carried over IPv6 (addresses as 16 bytes each). */
export function l4ChecksumV6(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  segment: Uint8Array,
): number {
  return ~onesSum(segment, pseudoHeaderSumV6(src, dst, nextHeader, segment.byteLength)) & 0xffff;
}

/** `~(pseudo-header + segment)` for either IP version. */
export function l4Checksum(ip: PseudoHeader, protocol: number, segment: Uint8Array): number {
  return ~onesSum(segment, pseudoSum(ip, protocol, segment.byteLength)) & 0xffff;
}

/** True when a segment whose checksum field is filled in verifies against `ip`. */
export function l4ChecksumOk(ip: PseudoHeader, protocol: number, segment: Uint8Array): boolean {
  return onesSum(segment, pseudoSum(ip, protocol, segment.byteLength)) === 0xffff;
}
