import { type Mac, readMac, writeMac } from "./addr.js";
import { needBytes, viewOf } from "./errors.js";

/** EtherType values vnet knows by name. Unknown values stay numbers. */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  QinQ: 0x88a8,
} as const;

export const ETHERNET_HEADER_LEN = 14;

/** A zero-copy view of an Ethernet II frame (no FCS, as on a TAP device and in pcap). */
export class EthernetFrame {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /** For untrusted bytes: throws WireError("ethernet", "truncated") if the header does not fit. */
  static checked(bytes: Uint8Array): EthernetFrame {
    needBytes("ethernet", bytes, ETHERNET_HEADER_LEN);
    return new EthernetFrame(bytes);
  }
  /** For a buffer the caller sized itself (emission). */
  static unchecked(bytes: Uint8Array): EthernetFrame {
    return new EthernetFrame(bytes);
  }
  get dst(): Mac {
    return readMac(this.bytes, 0);
  }
  set dst(v: Mac) {
    writeMac(this.bytes, 0, v);
  }
  get src(): Mac {
    return readMac(this.bytes, 6);
  }
  set src(v: Mac) {
    writeMac(this.bytes, 6, v);
  }
  get etherType(): number {
    return this.#dv.getUint16(12);
  }
  set etherType(v: number) {
    this.#dv.setUint16(12, v);
  }
  /** The bytes after the 14-byte header: a view, not a copy. */
  get payload(): Uint8Array {
    return this.bytes.subarray(ETHERNET_HEADER_LEN);
  }
}

export interface EthernetRepr {
  readonly dst: Mac;
  readonly src: Mac;
  readonly etherType: number;
}

export function parseEthernet(f: EthernetFrame): EthernetRepr {
  return { dst: f.dst, src: f.src, etherType: f.etherType };
}

/** Writes the header into `f`; the payload is the caller's (write it into `f.payload`). */
export function emitEthernet(r: EthernetRepr, f: EthernetFrame): void {
  f.dst = r.dst;
  f.src = r.src;
  f.etherType = r.etherType;
}

export function ethernetBufferLen(_r: EthernetRepr, payloadLen: number): number {
  return ETHERNET_HEADER_LEN + payloadLen;
}
