import type { Ipv4 } from "./addr.js";

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * `onesSum` returns the 16-bit one's-complement sum (not complemented) so partial sums (a pseudo-header,
 * then the segment) can be chained; `internetChecksum` complements the final sum.
 */
export function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = bytes.byteLength;
  const end = n & ~1;
  for (let i = 0; i < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (n & 1) sum += bytes[n - 1] << 8;
  // Fold: each step keeps the value bounded, two folds suffice for any sum below 2^32.
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to put in a header whose checksum field is zero: ~sum, as 16 bits. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesSum(bytes, initial) & 0xffff;
}

/** True when a header including its checksum field sums to 0xffff (i.e. verifies). */
export function checksumOk(bytes: Uint8Array, initial = 0): boolean {
  return onesSum(bytes, initial) === 0xffff;
}

/** Folds a one's-complement sum (any non-negative value below 2^48) to 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** One's-complement sum of the IPv4 pseudo-header (RFC 768/793): src, dst, zero, protocol, length. */
export function pseudoHeaderSumV4(src: Ipv4, dst: Ipv4, protocol: number, length: number): number {
  return foldSum((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

/**
 * One's-complement sum of the IPv6 pseudo-header (RFC 8200 §8.1): src and dst as 16 bytes each, the
 * upper-layer length (32 bits) and the next header.
 */
export function pseudoHeaderSumV6(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  sum += Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
  return foldSum(sum);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from `oldWord`
 * to `newWord`: HC' = ~(~HC + ~m + m').
 */
export function checksumAdjust16(checksum: number, oldWord: number, newWord: number): number {
  const sum = foldSum((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff));
  return ~sum & 0xffff;
}

/** RFC 1624 for a 32-bit field (an IPv4 address): two 16-bit adjustments. */
export function checksumAdjust32(checksum: number, oldValue: number, newValue: number): number {
  const c = checksumAdjust16(checksum, oldValue >>> 16, newValue >>> 16);
  return checksumAdjust16(c, oldValue & 0xffff, newValue & 0xffff);
}
