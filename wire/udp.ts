import { needBytes, viewOf, WireError } from "./errors.js";
import { l4Checksum, type PseudoHeader } from "./l4-checksum.js";

/**
 * UDP (RFC 768; over IPv6, RFC 8200 §8.1). `UdpPacket` is a zero-copy view over the segment (the bytes
 * the IP header delimits); `UdpRepr` is the parsed header plus a view of the payload.
 *
 * Checksum rules: over IPv4 a checksum field of 0 means "no checksum" and is accepted; a computed
 * checksum of 0 is transmitted as 0xffff. Over IPv6 the checksum is mandatory, so 0 is rejected.
 */
export const UDP_HEADER_LEN = 8;
const PROTO_UDP = 17;

export class UdpPacket {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes: the 8-byte header must fit, the length field must be at least 8
   * (`bad-length`) and no more than the buffer (`truncated`). Bytes past `length` (link padding) are
   * not part of the datagram.
   */
  static checked(bytes: Uint8Array): UdpPacket {
    needBytes("udp", bytes, UDP_HEADER_LEN);
    const p = new UdpPacket(bytes);
    const len = p.length;
    if (len < UDP_HEADER_LEN) {
      throw new WireError("udp", "bad-length", 4, `length field ${len} < header length ${UDP_HEADER_LEN}`);
    }
    if (len > bytes.byteLength) {
      throw new WireError(
        "udp",
        "truncated",
        bytes.byteLength,
        `length field ${len} > ${bytes.byteLength} bytes`,
      );
    }
    return p;
  }
  /** For a buffer the caller sized itself (emission). */
  static unchecked(bytes: Uint8Array): UdpPacket {
    return new UdpPacket(bytes);
  }
  get srcPort(): number {
    return this.#dv.getUint16(0);
  }
  set srcPort(v: number) {
    this.#dv.setUint16(0, v);
  }
  get dstPort(): number {
    return this.#dv.getUint16(2);
  }
  set dstPort(v: number) {
    this.#dv.setUint16(2, v);
  }
  /** The length field: header plus payload. */
  get length(): number {
    return this.#dv.getUint16(4);
  }
  set length(v: number) {
    this.#dv.setUint16(4, v);
  }
  get checksum(): number {
    return this.#dv.getUint16(6);
  }
  set checksum(v: number) {
    this.#dv.setUint16(6, v);
  }
  /** The header and payload as the length field delimits them (a view). */
  get datagram(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
  /** The payload, up to the length field (a view, not a copy). */
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LEN, this.length);
  }
  /** True when the checksum verifies; over IPv4 a zero checksum ("none") also counts as valid. */
  verifyChecksum(ip: PseudoHeader): boolean {
    const c = this.checksum;
    if (c === 0) return ip.version === 4;
    return l4Checksum(ip, PROTO_UDP, this.datagram) === 0;
  }
  /** Computes and stores the checksum over the datagram (0 is stored as 0xffff). */
  fillChecksum(ip: PseudoHeader): void {
    this.checksum = 0;
    const c = l4Checksum(ip, PROTO_UDP, this.datagram);
    this.checksum = c === 0 ? 0xffff : c;
  }
}

export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  /** A view into the parsed buffer (parse) or the bytes to copy in (emit). */
  readonly payload: Uint8Array;
}

/**
 * Parses a checked view. With `ip`, verifies the checksum (throws `bad-checksum`; over IPv6 a zero
 * checksum is also `bad-checksum`); with `null` (checksum offloaded, or a quoted header), skips it.
 */
export function parseUdp(p: UdpPacket, ip: PseudoHeader | null): UdpRepr {
  if (ip !== null && !p.verifyChecksum(ip)) {
    throw new WireError("udp", "bad-checksum", 6, `checksum 0x${p.checksum.toString(16).padStart(4, "0")}`);
  }
  return { srcPort: p.srcPort, dstPort: p.dstPort, payload: p.payload };
}

export function udpBufferLen(r: UdpRepr): number {
  return UDP_HEADER_LEN + r.payload.byteLength;
}

/**
 * Writes header and payload into `p` (sized by `udpBufferLen`) and fills the checksum over `ip`;
 * `ip === null` writes checksum 0 ("none", valid over IPv4 only).
 */
export function emitUdp(r: UdpRepr, p: UdpPacket, ip: PseudoHeader | null): void {
  const len = udpBufferLen(r);
  if (len > 0xffff) throw new WireError("udp", "bad-length", 4, `datagram of ${len} bytes > 65535`);
  if (p.bytes.byteLength < len) {
    throw new WireError("udp", "truncated", p.bytes.byteLength, `emit needs ${len} bytes`);
  }
  p.srcPort = r.srcPort;
  p.dstPort = r.dstPort;
  p.length = len;
  p.checksum = 0;
  p.bytes.set(r.payload, UDP_HEADER_LEN);
  if (ip !== null) p.fillChecksum(ip);
}
