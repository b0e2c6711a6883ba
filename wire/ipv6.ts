import { type Ipv6, readIpv6, writeIpv6 } from "./addr.js";
import { needBytes, viewOf, WireError } from "./errors.js";
import { IpProtocol } from "./ipv4.js";

/**
 * IPv6 (RFC 8200): the fixed header, the extension headers vnet understands (hop-by-hop and
 * destination options with Pad1/PadN/Router Alert (RFC 2711)/Jumbo (RFC 2675), routing (type 0,
 * RFC 2460 §4.4, deprecated by RFC 5095, and generic), fragment), the AH length rule (RFC 4302) and a
 * bounded walker over the header chain.
 */

export const IPV6_HEADER_LEN = 40;

export class Ipv6Packet {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes. Throws WireError("ipv6", …): "truncated" when the 40-byte header or
   * 40 + payload length exceed the buffer; "malformed" when the version is not 6. Bytes after the
   * payload (Ethernet padding) are allowed and not part of `payload`. A payload length of 0 gives an
   * empty payload (Jumbograms are not supported).
   */
  static checked(bytes: Uint8Array): Ipv6Packet {
    needBytes("ipv6", bytes, IPV6_HEADER_LEN);
    const version = bytes[0] >>> 4;
    if (version !== 6) throw new WireError("ipv6", "malformed", 0, `version ${version}`);
    const pl = (bytes[4] << 8) | bytes[5];
    needBytes("ipv6", bytes, IPV6_HEADER_LEN + pl, "packet (payload length)");
    return new Ipv6Packet(bytes);
  }
  static unchecked(bytes: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(bytes);
  }
  get version(): number {
    return this.bytes[0] >>> 4;
  }
  get trafficClass(): number {
    return ((this.bytes[0] & 0x0f) << 4) | (this.bytes[1] >>> 4);
  }
  get flowLabel(): number {
    return ((this.bytes[1] & 0x0f) << 16) | (this.bytes[2] << 8) | this.bytes[3];
  }
  /** Writes version 6, traffic class and flow label (the first 32-bit word). */
  setVersionClassFlow(trafficClass: number, flowLabel: number): void {
    this.#dv.setUint32(0, (0x60000000 | (trafficClass << 20) | flowLabel) >>> 0);
  }
  get payloadLen(): number {
    return this.#dv.getUint16(4);
  }
  set payloadLen(v: number) {
    this.#dv.setUint16(4, v);
  }
  get nextHeader(): number {
    return this.bytes[6];
  }
  set nextHeader(v: number) {
    this.bytes[6] = v;
  }
  get hopLimit(): number {
    return this.bytes[7];
  }
  set hopLimit(v: number) {
    this.bytes[7] = v;
  }
  /** Source address bytes (a view, 16 bytes), e.g. for `pseudoHeaderSumV6`/`formatIpv6Bytes`. */
  get srcBytes(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }
  get dstBytes(): Uint8Array {
    return this.bytes.subarray(24, 40);
  }
  get src(): Ipv6 {
    return readIpv6(this.bytes, 8);
  }
  set src(v: Ipv6) {
    writeIpv6(this.bytes, 8, v);
  }
  get dst(): Ipv6 {
    return readIpv6(this.bytes, 24);
  }
  set dst(v: Ipv6) {
    writeIpv6(this.bytes, 24, v);
  }
  /** Bytes 40 .. 40 + payload length: a view (extension headers included). */
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + this.payloadLen);
  }
}

export interface Ipv6Repr {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Ipv6;
  readonly dst: Ipv6;
  /** Bytes after the fixed header (extension headers included). */
  readonly payloadLen: number;
}

export function parseIpv6(p: Ipv6Packet): Ipv6Repr {
  if (p.version !== 6) throw new WireError("ipv6", "malformed", 0, `version ${p.version}`);
  return {
    trafficClass: p.trafficClass,
    flowLabel: p.flowLabel,
    nextHeader: p.nextHeader,
    hopLimit: p.hopLimit,
    src: p.src,
    dst: p.dst,
    payloadLen: p.payloadLen,
  };
}

function range(layer: string, name: string, v: number, max: number, off: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new WireError(layer, "malformed", off, `${name} ${v} is not in 0..${max}`);
  }
}

/** Writes the 40-byte fixed header into `p` (sized with `ipv6BufferLen`); the payload is the caller's. */
export function emitIpv6(r: Ipv6Repr, p: Ipv6Packet): void {
  range("ipv6", "traffic class", r.trafficClass, 0xff, 0);
  range("ipv6", "flow label", r.flowLabel, 0xfffff, 1);
  range("ipv6", "payload length", r.payloadLen, 0xffff, 4);
  range("ipv6", "next header", r.nextHeader, 0xff, 6);
  range("ipv6", "hop limit", r.hopLimit, 0xff, 7);
  needBytes("ipv6", p.bytes, IPV6_HEADER_LEN, "emit buffer");
  p.setVersionClassFlow(r.trafficClass, r.flowLabel);
  p.payloadLen = r.payloadLen;
  p.nextHeader = r.nextHeader;
  p.hopLimit = r.hopLimit;
  p.src = r.src;
  p.dst = r.dst;
}

export function ipv6BufferLen(r: Ipv6Repr): number {
  return IPV6_HEADER_LEN + r.payloadLen;
}

// ---------------------------------------------------------------------------------------------------
// Extension headers: lengths

/** Length in bytes of a generic extension header from its Hdr Ext Len byte: (n + 1) * 8. */
export function extHeaderLen(hdrExtLen: number): number {
  return (hdrExtLen + 1) * 8;
}

/** AH (RFC 4302 §2.2): Payload Len is in 4-octet units minus 2, so the header is (n + 2) * 4 bytes. */
export function ahHeaderLen(payloadLenField: number): number {
  return (payloadLenField + 2) * 4;
}

export const IPV6_FRAGMENT_HEADER_LEN = 8;

/** Next-header values the walker steps over (RFC 7045 §1 list, minus ESP, whose payload is opaque). */
export function isIpv6ExtHeader(nextHeader: number): boolean {
  switch (nextHeader) {
    case IpProtocol.HopByHop:
    case IpProtocol.IPv6Route:
    case IpProtocol.IPv6Frag:
    case IpProtocol.IPv6Opts:
    case IpProtocol.AH:
    case IpProtocol.Mobility:
    case IpProtocol.HIP:
    case IpProtocol.Shim6:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Hop-by-hop and destination options headers

export const Ipv6OptionType = {
  Pad1: 0,
  PadN: 1,
  RouterAlert: 5,
  Jumbo: 0xc2,
} as const;

export type Ipv6OptionRepr =
  | { readonly kind: "pad1" }
  /** PadN: `data` is the N padding bytes (RFC 8200 says zeros; kept as found). */
  | { readonly kind: "padn"; readonly data: Uint8Array }
  | { readonly kind: "router-alert"; readonly value: number }
  | { readonly kind: "jumbo"; readonly payloadLen: number }
  | { readonly kind: "unknown"; readonly type: number; readonly data: Uint8Array };

/** Bytes `o` occupies on the wire. */
export function ipv6OptionLen(o: Ipv6OptionRepr): number {
  switch (o.kind) {
    case "pad1":
      return 1;
    case "padn":
    case "unknown":
      return 2 + o.data.byteLength;
    case "router-alert":
      return 4;
    case "jumbo":
      return 6;
  }
}

/**
 * Parses the TLV options area of a hop-by-hop / destination options header (bytes 2.. of the header).
 * `base` is added to error offsets. Throws WireError("ipv6", "bad-length") for an option that runs past
 * the area or whose length does not fit its type.
 */
export function parseIpv6OptionList(area: Uint8Array, base = 0): Ipv6OptionRepr[] {
  const out: Ipv6OptionRepr[] = [];
  let i = 0;
  while (i < area.byteLength) {
    const type = area[i];
    if (type === Ipv6OptionType.Pad1) {
      out.push({ kind: "pad1" });
      i++;
      continue;
    }
    if (i + 2 > area.byteLength) {
      throw new WireError("ipv6", "bad-length", base + i, `option ${type}: length byte missing`);
    }
    const len = area[i + 1];
    if (i + 2 + len > area.byteLength) {
      throw new WireError(
        "ipv6",
        "bad-length",
        base + i,
        `option ${type}: length ${len} runs past the header`,
      );
    }
    const data = area.subarray(i + 2, i + 2 + len);
    if (type === Ipv6OptionType.PadN) {
      out.push({ kind: "padn", data });
    } else if (type === Ipv6OptionType.RouterAlert) {
      if (len !== 2) throw new WireError("ipv6", "bad-length", base + i, `router alert length ${len} != 2`);
      out.push({ kind: "router-alert", value: (data[0] << 8) | data[1] });
    } else if (type === Ipv6OptionType.Jumbo) {
      if (len !== 4) throw new WireError("ipv6", "bad-length", base + i, `jumbo length ${len} != 4`);
      out.push({
        kind: "jumbo",
        payloadLen: ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0,
      });
    } else {
      out.push({ kind: "unknown", type, data });
    }
    i += 2 + len;
  }
  return out;
}

/** Returns `options` followed by the Pad1/PadN needed to make the header a multiple of 8 bytes. */
export function padIpv6Options(options: readonly Ipv6OptionRepr[]): Ipv6OptionRepr[] {
  let len = 2;
  for (const o of options) len += ipv6OptionLen(o);
  const pad = (8 - (len % 8)) % 8;
  const out = [...options];
  if (pad === 1) out.push({ kind: "pad1" });
  else if (pad > 1) out.push({ kind: "padn", data: new Uint8Array(pad - 2) });
  return out;
}

/**
 * What every variable-length extension header shares (hop-by-hop, destination options, routing):
 * next header, Hdr Ext Len, the (n + 1) * 8-byte length, and the payload after it.
 */
abstract class Ipv6ExtHeaderView {
  protected constructor(readonly bytes: Uint8Array) {}
  /** Throws WireError("ipv6", "truncated") unless the whole (n + 1) * 8-byte header fits. */
  protected static checkLength(bytes: Uint8Array, what: string): void {
    needBytes("ipv6", bytes, 2, what);
    needBytes("ipv6", bytes, extHeaderLen(bytes[1]), what);
  }
  get nextHeader(): number {
    return this.bytes[0];
  }
  get hdrExtLen(): number {
    return this.bytes[1];
  }
  get headerLen(): number {
    return extHeaderLen(this.bytes[1]);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
}

/** A hop-by-hop (0) or destination options (60) header. */
export class Ipv6OptionsHeader extends Ipv6ExtHeaderView {
  /** Throws WireError("ipv6", "truncated") unless the whole (n + 1) * 8-byte header fits. */
  static checked(bytes: Uint8Array): Ipv6OptionsHeader {
    Ipv6ExtHeaderView.checkLength(bytes, "options header");
    return new Ipv6OptionsHeader(bytes);
  }
  static unchecked(bytes: Uint8Array): Ipv6OptionsHeader {
    return new Ipv6OptionsHeader(bytes);
  }
  /** The TLV area (a view). */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(2, this.headerLen);
  }
}

export interface Ipv6OptionsRepr {
  readonly nextHeader: number;
  /** Padding options included, so emit reproduces the bytes. */
  readonly options: readonly Ipv6OptionRepr[];
}

export function parseIpv6OptionsHeader(h: Ipv6OptionsHeader): Ipv6OptionsRepr {
  return { nextHeader: h.nextHeader, options: parseIpv6OptionList(h.optionBytes, 2) };
}

/** Header length for `r`; throws WireError("ipv6", "bad-length") unless a multiple of 8 up to 2048. */
export function ipv6OptionsHeaderLen(r: Ipv6OptionsRepr): number {
  let len = 2;
  for (const o of r.options) len += ipv6OptionLen(o);
  if (len % 8 !== 0 || len > 2048) {
    throw new WireError("ipv6", "bad-length", 1, `options header length ${len} (pad with padIpv6Options)`);
  }
  return len;
}

export function emitIpv6OptionsHeader(r: Ipv6OptionsRepr, h: Ipv6OptionsHeader): void {
  const len = ipv6OptionsHeaderLen(r);
  range("ipv6", "next header", r.nextHeader, 0xff, 0);
  needBytes("ipv6", h.bytes, len, "emit buffer");
  const b = h.bytes;
  b[0] = r.nextHeader;
  b[1] = len / 8 - 1;
  let i = 2;
  for (const o of r.options) {
    switch (o.kind) {
      case "pad1":
        b[i++] = 0;
        break;
      case "padn":
      case "unknown": {
        const type = o.kind === "padn" ? Ipv6OptionType.PadN : o.type;
        range("ipv6", "option type", type, 0xff, i);
        range("ipv6", "option length", o.data.byteLength, 0xff, i + 1);
        b[i] = type;
        b[i + 1] = o.data.byteLength;
        b.set(o.data, i + 2);
        i += 2 + o.data.byteLength;
        break;
      }
      case "router-alert":
        range("ipv6", "router alert", o.value, 0xffff, i + 2);
        b[i] = Ipv6OptionType.RouterAlert;
        b[i + 1] = 2;
        b[i + 2] = o.value >>> 8;
        b[i + 3] = o.value & 0xff;
        i += 4;
        break;
      case "jumbo":
        range("ipv6", "jumbo payload length", o.payloadLen, 0xffffffff, i + 2);
        b[i] = Ipv6OptionType.Jumbo;
        b[i + 1] = 4;
        viewOf(b).setUint32(i + 2, o.payloadLen);
        i += 6;
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Routing header

export class Ipv6RoutingHeader extends Ipv6ExtHeaderView {
  /** Throws WireError("ipv6", "truncated") unless the whole (n + 1) * 8-byte header fits. */
  static checked(bytes: Uint8Array): Ipv6RoutingHeader {
    Ipv6ExtHeaderView.checkLength(bytes, "routing header");
    return new Ipv6RoutingHeader(bytes);
  }
  static unchecked(bytes: Uint8Array): Ipv6RoutingHeader {
    return new Ipv6RoutingHeader(bytes);
  }
  get routingType(): number {
    return this.bytes[2];
  }
  get segmentsLeft(): number {
    return this.bytes[3];
  }
  /** Type-specific data, bytes 4 .. header length (a view). */
  get data(): Uint8Array {
    return this.bytes.subarray(4, this.headerLen);
  }
  /** Type 0: the 32-bit reserved field. */
  get type0Reserved(): number {
    return viewOf(this.bytes).getUint32(4);
  }
  /** Type 0: number of addresses (Hdr Ext Len / 2). */
  get type0Count(): number {
    return this.bytes[1] >>> 1;
  }
  /** Type 0: address `i` as bytes (a view). */
  type0AddressBytes(i: number): Uint8Array {
    return this.bytes.subarray(8 + 16 * i, 24 + 16 * i);
  }
}

export type Ipv6RoutingRepr =
  | {
      readonly kind: "type0";
      readonly nextHeader: number;
      readonly segmentsLeft: number;
      readonly reserved: number;
      readonly addresses: readonly Ipv6[];
    }
  | {
      readonly kind: "generic";
      readonly nextHeader: number;
      readonly routingType: number;
      readonly segmentsLeft: number;
      /** Bytes 4.. of the header; 4 + data length must be a multiple of 8. */
      readonly data: Uint8Array;
    };

/** Type 0 becomes `kind: "type0"` (odd Hdr Ext Len → WireError "bad-length"); others stay generic. */
export function parseIpv6Routing(h: Ipv6RoutingHeader): Ipv6RoutingRepr {
  if (h.routingType === 0) {
    if (h.hdrExtLen % 2 !== 0) {
      throw new WireError("ipv6", "bad-length", 1, `type 0 routing header length ${h.hdrExtLen} is odd`);
    }
    const addresses: Ipv6[] = [];
    for (let i = 0; i < h.type0Count; i++) addresses.push(readIpv6(h.bytes, 8 + 16 * i));
    return {
      kind: "type0",
      nextHeader: h.nextHeader,
      segmentsLeft: h.segmentsLeft,
      reserved: h.type0Reserved,
      addresses,
    };
  }
  return {
    kind: "generic",
    nextHeader: h.nextHeader,
    routingType: h.routingType,
    segmentsLeft: h.segmentsLeft,
    data: h.data,
  };
}

export function ipv6RoutingHeaderLen(r: Ipv6RoutingRepr): number {
  const len = r.kind === "type0" ? 8 + 16 * r.addresses.length : 4 + r.data.byteLength;
  if (len % 8 !== 0 || len > 2048) {
    throw new WireError("ipv6", "bad-length", 1, `routing header length ${len}`);
  }
  return len;
}

export function emitIpv6Routing(r: Ipv6RoutingRepr, h: Ipv6RoutingHeader): void {
  const len = ipv6RoutingHeaderLen(r);
  range("ipv6", "next header", r.nextHeader, 0xff, 0);
  range("ipv6", "segments left", r.segmentsLeft, 0xff, 3);
  needBytes("ipv6", h.bytes, len, "emit buffer");
  const b = h.bytes;
  b[0] = r.nextHeader;
  b[1] = len / 8 - 1;
  b[3] = r.segmentsLeft;
  if (r.kind === "type0") {
    range("ipv6", "reserved", r.reserved, 0xffffffff, 4);
    b[2] = 0;
    viewOf(b).setUint32(4, r.reserved);
    for (let i = 0; i < r.addresses.length; i++) writeIpv6(b, 8 + 16 * i, r.addresses[i]);
  } else {
    range("ipv6", "routing type", r.routingType, 0xff, 2);
    b[2] = r.routingType;
    b.set(r.data, 4);
  }
}

// ---------------------------------------------------------------------------------------------------
// Fragment header

export class Ipv6FragmentHeader {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  static checked(bytes: Uint8Array): Ipv6FragmentHeader {
    needBytes("ipv6", bytes, IPV6_FRAGMENT_HEADER_LEN, "fragment header");
    return new Ipv6FragmentHeader(bytes);
  }
  static unchecked(bytes: Uint8Array): Ipv6FragmentHeader {
    return new Ipv6FragmentHeader(bytes);
  }
  get nextHeader(): number {
    return this.bytes[0];
  }
  /** The reserved byte (byte 1). */
  get reserved(): number {
    return this.bytes[1];
  }
  /** Fragment offset in BYTES (the 13-bit field times 8). */
  get fragOffset(): number {
    return this.#dv.getUint16(2) & 0xfff8;
  }
  /** The two reserved bits between offset and M. */
  get reservedBits(): number {
    return (this.bytes[3] >>> 1) & 0x03;
  }
  get moreFrags(): boolean {
    return (this.bytes[3] & 1) !== 0;
  }
  get ident(): number {
    return this.#dv.getUint32(4);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_FRAGMENT_HEADER_LEN);
  }
}

export interface Ipv6FragmentRepr {
  readonly nextHeader: number;
  /** In bytes; a multiple of 8, at most 65528. */
  readonly fragOffset: number;
  readonly moreFrags: boolean;
  readonly ident: number;
  readonly reserved: number;
  readonly reservedBits: number;
}

export function parseIpv6Fragment(h: Ipv6FragmentHeader): Ipv6FragmentRepr {
  return {
    nextHeader: h.nextHeader,
    fragOffset: h.fragOffset,
    moreFrags: h.moreFrags,
    ident: h.ident,
    reserved: h.reserved,
    reservedBits: h.reservedBits,
  };
}

export function emitIpv6Fragment(r: Ipv6FragmentRepr, h: Ipv6FragmentHeader): void {
  range("ipv6", "next header", r.nextHeader, 0xff, 0);
  range("ipv6", "reserved", r.reserved, 0xff, 1);
  range("ipv6", "fragment offset", r.fragOffset, 0xfff8, 2);
  if (r.fragOffset % 8 !== 0) {
    throw new WireError("ipv6", "malformed", 2, `fragment offset ${r.fragOffset} is not a multiple of 8`);
  }
  range("ipv6", "reserved bits", r.reservedBits, 3, 3);
  range("ipv6", "ident", r.ident, 0xffffffff, 4);
  needBytes("ipv6", h.bytes, IPV6_FRAGMENT_HEADER_LEN, "emit buffer");
  const dv = viewOf(h.bytes);
  h.bytes[0] = r.nextHeader;
  h.bytes[1] = r.reserved;
  dv.setUint16(2, r.fragOffset | (r.reservedBits << 1) | (r.moreFrags ? 1 : 0));
  dv.setUint32(4, r.ident);
}

// ---------------------------------------------------------------------------------------------------
// The header chain

/** Default bound on the number of extension headers the walker follows. */
export const MAX_IPV6_EXT_HEADERS = 256;

export interface Ipv6HeaderInfo {
  /** The next-header value that announced this header (0, 43, 44, 60, 51, …). */
  readonly type: number;
  /** Offset of the header (relative to `base`, normally the start of the IPv6 packet). */
  readonly offset: number;
  readonly length: number;
}

export interface Ipv6Chain {
  readonly headers: readonly Ipv6HeaderInfo[];
  /** The upper-layer protocol (or 59 No Next Header, or 50 ESP, or what a non-first fragment carries). */
  readonly protocol: number;
  /** Offset of the upper-layer data. */
  readonly offset: number;
  /**
   * The first fragment header met, if any. When its `fragOffset` is not 0 the walk stopped there:
   * the bytes at `offset` are the middle of a datagram, not a header.
   */
  readonly fragment?: { readonly fragOffset: number; readonly moreFrags: boolean; readonly ident: number };
}

/**
 * Walks the extension headers in `bytes` (what follows a fixed header whose Next Header is
 * `nextHeader`). Offsets are reported as `base + offset in bytes`. Throws WireError("ipv6",
 * "truncated") when a header runs past `bytes`, and "unsupported" past `maxHeaders` headers.
 */
export function walkIpv6ExtHeaders(
  bytes: Uint8Array,
  nextHeader: number,
  base = 0,
  maxHeaders = MAX_IPV6_EXT_HEADERS,
): Ipv6Chain {
  const headers: Ipv6HeaderInfo[] = [];
  let fragment: Ipv6Chain["fragment"];
  let nh = nextHeader;
  let off = 0;
  while (isIpv6ExtHeader(nh)) {
    if (headers.length >= maxHeaders) {
      throw new WireError("ipv6", "unsupported", base + off, `more than ${maxHeaders} extension headers`);
    }
    const minLen = nh === IpProtocol.IPv6Frag ? IPV6_FRAGMENT_HEADER_LEN : 2;
    if (off + minLen > bytes.byteLength) {
      throw new WireError(
        "ipv6",
        "truncated",
        base + bytes.byteLength,
        `extension header ${nh} at ${base + off}`,
      );
    }
    const len =
      nh === IpProtocol.IPv6Frag
        ? IPV6_FRAGMENT_HEADER_LEN
        : nh === IpProtocol.AH
          ? ahHeaderLen(bytes[off + 1])
          : extHeaderLen(bytes[off + 1]);
    if (off + len > bytes.byteLength) {
      throw new WireError(
        "ipv6",
        "truncated",
        base + bytes.byteLength,
        `extension header ${nh} at ${base + off} needs ${len} bytes`,
      );
    }
    headers.push({ type: nh, offset: base + off, length: len });
    const next = bytes[off];
    if (nh === IpProtocol.IPv6Frag) {
      const word = (bytes[off + 2] << 8) | bytes[off + 3];
      const info = {
        fragOffset: word & 0xfff8,
        moreFrags: (word & 1) !== 0,
        ident:
          ((bytes[off + 4] << 24) | (bytes[off + 5] << 16) | (bytes[off + 6] << 8) | bytes[off + 7]) >>> 0,
      };
      fragment ??= info;
      if (info.fragOffset !== 0) {
        return { headers, protocol: next, offset: base + off + len, fragment };
      }
    }
    nh = next;
    off += len;
  }
  return fragment
    ? { headers, protocol: nh, offset: base + off, fragment }
    : { headers, protocol: nh, offset: base + off };
}

/** Walks the chain of a checked packet; offsets are from the start of the IPv6 header. */
export function walkIpv6(p: Ipv6Packet, maxHeaders = MAX_IPV6_EXT_HEADERS): Ipv6Chain {
  return walkIpv6ExtHeaders(p.payload, p.nextHeader, IPV6_HEADER_LEN, maxHeaders);
}
