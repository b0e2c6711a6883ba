import { type Ipv4, type Mac, readIpv4, readMac, writeIpv4, writeMac } from "./addr.js";
import { needBytes, viewOf, WireError } from "./errors.js";
import { EtherType } from "./ethernet.js";

/**
 * ARP (RFC 826). The view is generic over the hardware and protocol address lengths (`hlen`, `plen`),
 * so odd packets (unknown hardware, 14-byte "MACs") can still be inspected and printed; the repr covers
 * the one combination vnet speaks: Ethernet (hw type 1, hlen 6) and IPv4 (0x0800, plen 4).
 */
export const ArpHardware = {
  Ethernet: 1,
  ExperimentalEthernet: 2,
  AX25: 3,
  IEEE802: 6,
  FrameRelay: 15,
  ATM: 19,
  InfiniBand: 32,
} as const;

export const ArpOperation = {
  Request: 1,
  Reply: 2,
  ReverseRequest: 3,
  ReverseReply: 4,
  InRequest: 8,
  InReply: 9,
  Nak: 10,
} as const;

/** The fixed part: htype, ptype, hlen, plen, oper. */
export const ARP_HEADER_LEN = 8;
/** A whole Ethernet/IPv4 ARP packet. */
export const ARP_ETH_IPV4_LEN = 28;

export class ArpPacket {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes: throws WireError("arp", "truncated") unless the fixed part and the four
   * addresses (2 * hlen + 2 * plen bytes) fit. Bytes after them (Ethernet padding) are ignored.
   */
  static checked(bytes: Uint8Array): ArpPacket {
    needBytes("arp", bytes, ARP_HEADER_LEN);
    const total = ARP_HEADER_LEN + 2 * (bytes[4] + bytes[5]);
    needBytes("arp", bytes, total, "addresses");
    return new ArpPacket(bytes);
  }
  static unchecked(bytes: Uint8Array): ArpPacket {
    return new ArpPacket(bytes);
  }
  get hardwareType(): number {
    return this.#dv.getUint16(0);
  }
  set hardwareType(v: number) {
    this.#dv.setUint16(0, v);
  }
  get protocolType(): number {
    return this.#dv.getUint16(2);
  }
  set protocolType(v: number) {
    this.#dv.setUint16(2, v);
  }
  get hardwareLen(): number {
    return this.bytes[4];
  }
  set hardwareLen(v: number) {
    this.bytes[4] = v;
  }
  get protocolLen(): number {
    return this.bytes[5];
  }
  set protocolLen(v: number) {
    this.bytes[5] = v;
  }
  get operation(): number {
    return this.#dv.getUint16(6);
  }
  set operation(v: number) {
    this.#dv.setUint16(6, v);
  }
  /** Length of the ARP packet proper: 8 + 2 * (hlen + plen). */
  get packetLen(): number {
    return ARP_HEADER_LEN + 2 * (this.hardwareLen + this.protocolLen);
  }
  /** Sender hardware address, `hlen` bytes (a view). */
  get shaBytes(): Uint8Array {
    return this.bytes.subarray(ARP_HEADER_LEN, ARP_HEADER_LEN + this.hardwareLen);
  }
  /** Sender protocol address, `plen` bytes (a view). */
  get spaBytes(): Uint8Array {
    const o = ARP_HEADER_LEN + this.hardwareLen;
    return this.bytes.subarray(o, o + this.protocolLen);
  }
  /** Target hardware address, `hlen` bytes (a view). */
  get thaBytes(): Uint8Array {
    const o = ARP_HEADER_LEN + this.hardwareLen + this.protocolLen;
    return this.bytes.subarray(o, o + this.hardwareLen);
  }
  /** Target protocol address, `plen` bytes (a view). */
  get tpaBytes(): Uint8Array {
    const o = ARP_HEADER_LEN + 2 * this.hardwareLen + this.protocolLen;
    return this.bytes.subarray(o, o + this.protocolLen);
  }
  /** True for hlen 6 / plen 4 (the layout the typed accessors below assume). */
  get isEthernetIpv4Layout(): boolean {
    return this.hardwareLen === 6 && this.protocolLen === 4;
  }
  // Typed accessors for the 6/4 layout (check `isEthernetIpv4Layout` first, or use parseArp).
  get sha(): Mac {
    return readMac(this.bytes, 8);
  }
  set sha(v: Mac) {
    writeMac(this.bytes, 8, v);
  }
  get spa(): Ipv4 {
    return readIpv4(this.bytes, 14);
  }
  set spa(v: Ipv4) {
    writeIpv4(this.bytes, 14, v);
  }
  get tha(): Mac {
    return readMac(this.bytes, 18);
  }
  set tha(v: Mac) {
    writeMac(this.bytes, 18, v);
  }
  get tpa(): Ipv4 {
    return readIpv4(this.bytes, 24);
  }
  set tpa(v: Ipv4) {
    writeIpv4(this.bytes, 24, v);
  }
}

/** Ethernet/IPv4 ARP, as smoltcp's `ArpRepr::EthernetIpv4`. */
export interface ArpRepr {
  readonly operation: number;
  readonly sha: Mac;
  readonly spa: Ipv4;
  readonly tha: Mac;
  readonly tpa: Ipv4;
}

/** Throws WireError("arp", "unsupported") unless the packet is Ethernet (1, hlen 6) / IPv4 (plen 4). */
export function parseArp(p: ArpPacket): ArpRepr {
  if (p.hardwareType !== ArpHardware.Ethernet || p.hardwareLen !== 6) {
    throw new WireError(
      "arp",
      "unsupported",
      0,
      `hardware type ${p.hardwareType} with address length ${p.hardwareLen}`,
    );
  }
  if (p.protocolType !== EtherType.IPv4 || p.protocolLen !== 4) {
    throw new WireError(
      "arp",
      "unsupported",
      2,
      `protocol type 0x${p.protocolType.toString(16)} with address length ${p.protocolLen}`,
    );
  }
  return { operation: p.operation, sha: p.sha, spa: p.spa, tha: p.tha, tpa: p.tpa };
}

/** Writes all 28 bytes into `p` (sized with `arpBufferLen`). */
export function emitArp(r: ArpRepr, p: ArpPacket): void {
  p.hardwareType = ArpHardware.Ethernet;
  p.protocolType = EtherType.IPv4;
  p.hardwareLen = 6;
  p.protocolLen = 4;
  p.operation = r.operation;
  p.sha = r.sha;
  p.spa = r.spa;
  p.tha = r.tha;
  p.tpa = r.tpa;
}

export function arpBufferLen(_r: ArpRepr): number {
  return ARP_ETH_IPV4_LEN;
}
