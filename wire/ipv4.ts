import { type Ipv4, readIpv4, writeIpv4 } from "./addr.js";
import { checksumOk, internetChecksum } from "./checksum.js";
import { needBytes, viewOf, WireError } from "./errors.js";

/**
 * IPv4 (RFC 791), header checksum (RFC 1071), DSCP/ECN (RFC 2474, RFC 3168), options (RFC 791 §3.1,
 * Router Alert RFC 2113).
 */

/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by IPv4 and IPv6. */
export const IpProtocol = {
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  IPv6Route: 43,
  IPv6Frag: 44,
  RSVP: 46,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  NoNext: 59,
  IPv6Opts: 60,
  OSPF: 89,
  PIM: 103,
  VRRP: 112,
  SCTP: 132,
  Mobility: 135,
  UDPLite: 136,
  HIP: 139,
  Shim6: 140,
} as const;

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;

/** Flag bits of the 16-bit flags/fragment-offset word. */
const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_MASK = 0x1fff;

export class Ipv4Packet {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes. Throws WireError("ipv4", …):
   * - "truncated" when the 20-byte header, the IHL*4 header or the total length exceed the buffer;
   * - "malformed" when the version is not 4;
   * - "bad-length" when IHL < 5 or total length < IHL*4.
   * Bytes after the total length (Ethernet padding) are allowed and are not part of `payload`.
   */
  static checked(bytes: Uint8Array): Ipv4Packet {
    needBytes("ipv4", bytes, IPV4_HEADER_LEN);
    const version = bytes[0] >>> 4;
    if (version !== 4) throw new WireError("ipv4", "malformed", 0, `version ${version}`);
    const hl = (bytes[0] & 0x0f) * 4;
    if (hl < IPV4_HEADER_LEN) throw new WireError("ipv4", "bad-length", 0, `header length ${hl} < 20`);
    needBytes("ipv4", bytes, hl, "header with options");
    const total = (bytes[2] << 8) | bytes[3];
    if (total < hl) {
      throw new WireError("ipv4", "bad-length", 2, `total length ${total} < header length ${hl}`);
    }
    needBytes("ipv4", bytes, total, "packet (total length)");
    return new Ipv4Packet(bytes);
  }
  static unchecked(bytes: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(bytes);
  }
  get version(): number {
    return this.bytes[0] >>> 4;
  }
  /** IHL in 32-bit words. */
  get ihl(): number {
    return this.bytes[0] & 0x0f;
  }
  /** Header length in bytes (IHL * 4). */
  get headerLen(): number {
    return (this.bytes[0] & 0x0f) * 4;
  }
  /** Sets version 4 and IHL = len / 4 (len a multiple of 4 in 20..60). */
  set headerLen(len: number) {
    this.bytes[0] = 0x40 | ((len >>> 2) & 0x0f);
  }
  /** The whole second byte (DSCP << 2 | ECN), as tcpdump's "tos". */
  get tos(): number {
    return this.bytes[1];
  }
  set tos(v: number) {
    this.bytes[1] = v;
  }
  get dscp(): number {
    return this.bytes[1] >>> 2;
  }
  get ecn(): number {
    return this.bytes[1] & 0x03;
  }
  get totalLen(): number {
    return this.#dv.getUint16(2);
  }
  set totalLen(v: number) {
    this.#dv.setUint16(2, v);
  }
  get ident(): number {
    return this.#dv.getUint16(4);
  }
  set ident(v: number) {
    this.#dv.setUint16(4, v);
  }
  /** The raw flags + fragment offset word. */
  get flagsFragWord(): number {
    return this.#dv.getUint16(6);
  }
  set flagsFragWord(v: number) {
    this.#dv.setUint16(6, v);
  }
  get reservedFlag(): boolean {
    return (this.flagsFragWord & FLAG_RESERVED) !== 0;
  }
  get dontFrag(): boolean {
    return (this.flagsFragWord & FLAG_DF) !== 0;
  }
  get moreFrags(): boolean {
    return (this.flagsFragWord & FLAG_MF) !== 0;
  }
  /** Fragment offset in BYTES (the 13-bit field times 8), as tcpdump prints it. */
  get fragOffset(): number {
    return (this.flagsFragWord & FRAG_MASK) * 8;
  }
  get ttl(): number {
    return this.bytes[8];
  }
  set ttl(v: number) {
    this.bytes[8] = v;
  }
  get protocol(): number {
    return this.bytes[9];
  }
  set protocol(v: number) {
    this.bytes[9] = v;
  }
  get checksum(): number {
    return this.#dv.getUint16(10);
  }
  set checksum(v: number) {
    this.#dv.setUint16(10, v);
  }
  get src(): Ipv4 {
    return readIpv4(this.bytes, 12);
  }
  set src(v: Ipv4) {
    writeIpv4(this.bytes, 12, v);
  }
  get dst(): Ipv4 {
    return readIpv4(this.bytes, 16);
  }
  set dst(v: Ipv4) {
    writeIpv4(this.bytes, 16, v);
  }
  /** The header (20..60 bytes, options included): a view. */
  get header(): Uint8Array {
    return this.bytes.subarray(0, this.headerLen);
  }
  /** Raw options, bytes 20 .. IHL*4 (a view; may be empty). */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LEN, this.headerLen);
  }
  /** Bytes IHL*4 .. total length: a view, padding excluded. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen, this.totalLen);
  }
  /** True when the header checksum verifies. */
  verifyChecksum(): boolean {
    return checksumOk(this.header);
  }
  /** Computes and stores the header checksum. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.header);
  }
}

export interface Ipv4Repr {
  readonly dscp: number;
  readonly ecn: number;
  readonly ident: number;
  /** The reserved ("evil", RFC 3514) flag bit: kept so that emit reproduces the bytes. */
  readonly reservedFlag: boolean;
  readonly dontFrag: boolean;
  readonly moreFrags: boolean;
  /** In bytes; a multiple of 8, at most 65528. */
  readonly fragOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: Ipv4;
  readonly dst: Ipv4;
  /** Raw options (a view into the parsed buffer); length a multiple of 4, at most 40. */
  readonly options: Uint8Array;
  readonly payloadLen: number;
}

export interface Ipv4ParseOptions {
  /** "verify" (default) throws WireError("ipv4", "bad-checksum"); "ignore" skips the check (offload). */
  readonly checksum?: "verify" | "ignore";
}

export function parseIpv4(p: Ipv4Packet, opts?: Ipv4ParseOptions): Ipv4Repr {
  if (p.version !== 4) throw new WireError("ipv4", "malformed", 0, `version ${p.version}`);
  if ((opts?.checksum ?? "verify") === "verify" && !p.verifyChecksum()) {
    throw new WireError("ipv4", "bad-checksum", 10, `checksum 0x${p.checksum.toString(16).padStart(4, "0")}`);
  }
  return {
    dscp: p.dscp,
    ecn: p.ecn,
    ident: p.ident,
    reservedFlag: p.reservedFlag,
    dontFrag: p.dontFrag,
    moreFrags: p.moreFrags,
    fragOffset: p.fragOffset,
    ttl: p.ttl,
    protocol: p.protocol,
    src: p.src,
    dst: p.dst,
    options: p.options,
    payloadLen: p.totalLen - p.headerLen,
  };
}

function fieldRange(name: string, v: number, max: number, off: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new WireError("ipv4", "malformed", off, `${name} ${v} is not in 0..${max}`);
  }
}

/** Header length for `r`: 20 + options. */
export function ipv4HeaderLen(r: Ipv4Repr): number {
  return IPV4_HEADER_LEN + r.options.byteLength;
}

export function ipv4BufferLen(r: Ipv4Repr): number {
  return ipv4HeaderLen(r) + r.payloadLen;
}

/**
 * Writes the header (options included) into `p`, which the caller sized with `ipv4BufferLen`, and
 * computes the header checksum. The payload is the caller's (`p.payload`). Throws WireError("ipv4",
 * "malformed" | "bad-length") for values that do not fit their fields.
 */
export function emitIpv4(r: Ipv4Repr, p: Ipv4Packet): void {
  const ol = r.options.byteLength;
  if (ol % 4 !== 0 || ol > IPV4_MAX_HEADER_LEN - IPV4_HEADER_LEN) {
    throw new WireError("ipv4", "bad-length", IPV4_HEADER_LEN, `options length ${ol} (multiple of 4, <= 40)`);
  }
  fieldRange("dscp", r.dscp, 63, 1);
  fieldRange("ecn", r.ecn, 3, 1);
  fieldRange("ident", r.ident, 0xffff, 4);
  fieldRange("ttl", r.ttl, 255, 8);
  fieldRange("protocol", r.protocol, 255, 9);
  if (r.fragOffset % 8 !== 0) {
    throw new WireError("ipv4", "malformed", 6, `fragment offset ${r.fragOffset} is not a multiple of 8`);
  }
  fieldRange("fragment offset", r.fragOffset, FRAG_MASK * 8, 6);
  const hl = IPV4_HEADER_LEN + ol;
  fieldRange("total length", hl + r.payloadLen, 0xffff, 2);
  needBytes("ipv4", p.bytes, hl, "emit buffer");
  p.headerLen = hl;
  p.tos = (r.dscp << 2) | r.ecn;
  p.totalLen = hl + r.payloadLen;
  p.ident = r.ident;
  p.flagsFragWord =
    (r.reservedFlag ? FLAG_RESERVED : 0) |
    (r.dontFrag ? FLAG_DF : 0) |
    (r.moreFrags ? FLAG_MF : 0) |
    (r.fragOffset / 8);
  p.ttl = r.ttl;
  p.protocol = r.protocol;
  p.src = r.src;
  p.dst = r.dst;
  p.bytes.set(r.options, IPV4_HEADER_LEN);
  p.fillChecksum();
}

// ---------------------------------------------------------------------------------------------------
// Options

export const Ipv4OptionType = {
  EOL: 0,
  NOP: 1,
  RR: 7,
  TS: 68,
  Security: 130,
  LSRR: 131,
  StreamId: 136,
  SSRR: 137,
  RouterAlert: 148,
} as const;

interface OptionBase {
  /** Offset of the option's type byte inside the options bytes. */
  readonly offset: number;
  /** Bytes the option occupies (1 for EOL/NOP). */
  readonly length: number;
}

export interface Ipv4TimestampEntry {
  /** Present for flag 1 (address + timestamp) and flag 3 (prespecified addresses). */
  readonly addr?: Ipv4;
  readonly timestamp: number;
}

export type Ipv4Option =
  | (OptionBase & { readonly kind: "eol"; readonly type: 0 })
  | (OptionBase & { readonly kind: "nop"; readonly type: 1 })
  | (OptionBase & {
      /** RR (7), LSRR (131), SSRR (137): pointer and the address slots (filled or not). */
      readonly kind: "route";
      readonly type: number;
      readonly pointer: number;
      readonly addresses: readonly Ipv4[];
    })
  | (OptionBase & {
      readonly kind: "timestamp";
      readonly type: 68;
      readonly pointer: number;
      readonly overflow: number;
      readonly flag: number;
      readonly entries: readonly Ipv4TimestampEntry[];
    })
  | (OptionBase & { readonly kind: "router-alert"; readonly type: 148; readonly value: number })
  | (OptionBase & { readonly kind: "unknown"; readonly type: number; readonly data: Uint8Array });

/**
 * Walks IPv4 options (the `options` bytes of a header). Stops after End of Option List (the bytes
 * after it are padding). Throws WireError("ipv4", "bad-length") for an option whose length byte is
 * missing, below 2, runs past the options, or does not fit its type's layout; offsets in errors are
 * relative to the start of the IPv4 header.
 */
export function ipv4Options(options: Uint8Array): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  const err = (off: number, why: string) =>
    new WireError("ipv4", "bad-length", IPV4_HEADER_LEN + off, `option ${options[off]}: ${why}`);
  let i = 0;
  while (i < options.byteLength) {
    const type = options[i];
    if (type === Ipv4OptionType.EOL) {
      out.push({ kind: "eol", type: 0, offset: i, length: 1 });
      break;
    }
    if (type === Ipv4OptionType.NOP) {
      out.push({ kind: "nop", type: 1, offset: i, length: 1 });
      i++;
      continue;
    }
    if (i + 1 >= options.byteLength) throw err(i, "length byte missing");
    const len = options[i + 1];
    if (len < 2) throw err(i, `length ${len} < 2`);
    if (i + len > options.byteLength) throw err(i, `length ${len} runs past the options`);
    const body = options.subarray(i, i + len);
    switch (type) {
      case Ipv4OptionType.RR:
      case Ipv4OptionType.LSRR:
      case Ipv4OptionType.SSRR: {
        if (len < 3 || (len - 3) % 4 !== 0) throw err(i, `route length ${len} is not 3 + 4n`);
        const addresses: Ipv4[] = [];
        for (let a = 3; a < len; a += 4) addresses.push(readIpv4(body, a));
        out.push({ kind: "route", type, offset: i, length: len, pointer: body[2], addresses });
        break;
      }
      case Ipv4OptionType.TS: {
        if (len < 4) throw err(i, `timestamp length ${len} < 4`);
        const flag = body[3] & 0x0f;
        const withAddr = flag === 1 || flag === 3;
        const step = withAddr ? 8 : 4;
        if ((len - 4) % step !== 0) throw err(i, `timestamp length ${len} does not hold whole entries`);
        const entries: Ipv4TimestampEntry[] = [];
        for (let a = 4; a < len; a += step) {
          entries.push(
            withAddr
              ? { addr: readIpv4(body, a), timestamp: readIpv4(body, a + 4) as number }
              : { timestamp: readIpv4(body, a) as number },
          );
        }
        out.push({
          kind: "timestamp",
          type: 68,
          offset: i,
          length: len,
          pointer: body[2],
          overflow: body[3] >>> 4,
          flag,
          entries,
        });
        break;
      }
      case Ipv4OptionType.RouterAlert: {
        if (len !== 4) throw err(i, `router alert length ${len} != 4`);
        out.push({ kind: "router-alert", type: 148, offset: i, length: 4, value: (body[2] << 8) | body[3] });
        break;
      }
      default:
        out.push({ kind: "unknown", type, offset: i, length: len, data: body.subarray(2) });
    }
    i += len;
  }
  return out;
}
