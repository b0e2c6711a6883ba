import { needBytes, viewOf, WireError } from "./errors.js";
import { l4Checksum, type PseudoHeader } from "./l4-checksum.js";

/**
 * TCP (RFC 9293) header view and representation, with options (RFC 7323 window scale and
 * timestamps, RFC 2018 SACK, RFC 7413 Fast Open and its experimental form, kind 254 with magic
 * 0xF989, RFC 6994). The option list keeps every byte: NOPs as entries, an End-of-List with the bytes
 * after it, and options of unknown kind (or a known kind with an unexpected length) as
 * `{ kind: "unknown", optionKind, data }`, so `emit(parse(b))` gives `b` back byte for byte.
 */
export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
const PROTO_TCP = 6;

/**
 * Bits of the 12-bit flags field (the low 12 bits of the 16-bit word at offset 12). `NS` is RFC 3540's
 * nonce sum bit, reused as AccECN's `AE`; the three bits above it are reserved and kept as they are.
 */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  NS: 0x100,
  AE: 0x100,
} as const;

/** TCP option kinds vnet knows by name. */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WindowScale: 3,
  SackPermitted: 4,
  Sack: 5,
  Timestamps: 8,
  FastOpen: 34,
  Experimental: 254,
} as const;

/** RFC 6994 ExID of experimental TCP Fast Open (kind 254). */
export const TFO_EXPERIMENT_ID = 0xf989;

export type TcpOption =
  /** End of option list; `rest` is every byte after it up to the end of the header (normally zeros). */
  | { readonly kind: "eol"; readonly rest: Uint8Array }
  | { readonly kind: "nop" }
  | { readonly kind: "mss"; readonly mss: number }
  | { readonly kind: "window-scale"; readonly shift: number }
  | { readonly kind: "sack-permitted" }
  /** Left and right edges, as sequence numbers. */
  | { readonly kind: "sack"; readonly blocks: readonly (readonly [number, number])[] }
  | { readonly kind: "timestamps"; readonly tsVal: number; readonly tsEcr: number }
  /** Kind 34, or 254 with magic 0xF989 when `experimental`; an empty cookie is a cookie request. */
  | { readonly kind: "fast-open"; readonly experimental: boolean; readonly cookie: Uint8Array }
  /** Any other kind (or a known kind with an unexpected length): `data` excludes kind and length. */
  | { readonly kind: "unknown"; readonly optionKind: number; readonly data: Uint8Array };

export class TcpPacket {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes (exactly the segment the IP header delimits): 20 bytes must fit, the data
   * offset must be at least 5 (`bad-length`) and the header must fit in the buffer (`truncated`).
   */
  static checked(bytes: Uint8Array): TcpPacket {
    needBytes("tcp", bytes, TCP_HEADER_LEN);
    const p = new TcpPacket(bytes);
    const hl = p.headerLen;
    if (hl < TCP_HEADER_LEN) {
      throw new WireError("tcp", "bad-length", 12, `data offset ${hl / 4} < 5`);
    }
    needBytes("tcp", bytes, hl, "header with options");
    return p;
  }
  /** For a buffer the caller sized itself (emission). */
  static unchecked(bytes: Uint8Array): TcpPacket {
    return new TcpPacket(bytes);
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
  get seq(): number {
    return this.#dv.getUint32(4);
  }
  set seq(v: number) {
    this.#dv.setUint32(4, v >>> 0);
  }
  get ack(): number {
    return this.#dv.getUint32(8);
  }
  set ack(v: number) {
    this.#dv.setUint32(8, v >>> 0);
  }
  /** Header length in bytes (data offset × 4). */
  get headerLen(): number {
    return (this.bytes[12] >>> 4) * 4;
  }
  set headerLen(v: number) {
    this.bytes[12] = ((v >>> 2) << 4) | (this.bytes[12] & 0x0f);
  }
  /** The 12 bits below the data offset: reserved bits, NS/AE, CWR … FIN (see `TcpFlag`). */
  get flags(): number {
    return this.#dv.getUint16(12) & 0x0fff;
  }
  set flags(v: number) {
    this.#dv.setUint16(12, (this.#dv.getUint16(12) & 0xf000) | (v & 0x0fff));
  }
  get window(): number {
    return this.#dv.getUint16(14);
  }
  set window(v: number) {
    this.#dv.setUint16(14, v);
  }
  get checksum(): number {
    return this.#dv.getUint16(16);
  }
  set checksum(v: number) {
    this.#dv.setUint16(16, v);
  }
  get urgentPointer(): number {
    return this.#dv.getUint16(18);
  }
  set urgentPointer(v: number) {
    this.#dv.setUint16(18, v);
  }
  /** The option bytes (a view). */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LEN, this.headerLen);
  }
  /** The payload after the header (a view, not a copy). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
  /** Parses the options (throws WireError("tcp", "malformed" | "bad-length") on a bad option length). */
  get options(): TcpOption[] {
    return parseTcpOptions(this.optionBytes, TCP_HEADER_LEN);
  }
  verifyChecksum(ip: PseudoHeader): boolean {
    return l4Checksum(ip, PROTO_TCP, this.bytes) === 0;
  }
  /** Computes and stores the checksum over the whole segment. */
  fillChecksum(ip: PseudoHeader): void {
    this.checksum = 0;
    this.checksum = l4Checksum(ip, PROTO_TCP, this.bytes);
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * Walks the option bytes. Every option but EOL and NOP has a length byte that covers kind and length:
 * below 2 is `malformed`, past the end of the area `bad-length` (`base` is added to error offsets).
 * Payload bytes of returned options are views into `b`.
 */
export function parseTcpOptions(b: Uint8Array, base = 0): TcpOption[] {
  const out: TcpOption[] = [];
  let i = 0;
  while (i < b.byteLength) {
    const kind = b[i];
    if (kind === TcpOptionKind.EOL) {
      out.push({ kind: "eol", rest: b.subarray(i + 1) });
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      out.push({ kind: "nop" });
      i++;
      continue;
    }
    if (i + 1 >= b.byteLength) {
      throw new WireError("tcp", "bad-length", base + i, `option ${kind} has no length byte`);
    }
    const len = b[i + 1];
    if (len < 2) throw new WireError("tcp", "malformed", base + i + 1, `option ${kind} length ${len} < 2`);
    if (i + len > b.byteLength) {
      throw new WireError(
        "tcp",
        "bad-length",
        base + i + 1,
        `option ${kind} length ${len} runs past the header`,
      );
    }
    out.push(decodeOption(kind, b.subarray(i + 2, i + len)));
    i += len;
  }
  return out;
}

function decodeOption(kind: number, d: Uint8Array): TcpOption {
  const n = d.byteLength;
  switch (kind) {
    case TcpOptionKind.MSS:
      if (n === 2) return { kind: "mss", mss: (d[0] << 8) | d[1] };
      break;
    case TcpOptionKind.WindowScale:
      if (n === 1) return { kind: "window-scale", shift: d[0] };
      break;
    case TcpOptionKind.SackPermitted:
      if (n === 0) return { kind: "sack-permitted" };
      break;
    case TcpOptionKind.Sack:
      if (n > 0 && n % 8 === 0) {
        const blocks: (readonly [number, number])[] = [];
        for (let o = 0; o < n; o += 8) blocks.push([u32(d, o), u32(d, o + 4)]);
        return { kind: "sack", blocks };
      }
      break;
    case TcpOptionKind.Timestamps:
      if (n === 8) return { kind: "timestamps", tsVal: u32(d, 0), tsEcr: u32(d, 4) };
      break;
    case TcpOptionKind.FastOpen:
      return { kind: "fast-open", experimental: false, cookie: d };
    case TcpOptionKind.Experimental:
      if (n >= 2 && ((d[0] << 8) | d[1]) === TFO_EXPERIMENT_ID) {
        return { kind: "fast-open", experimental: true, cookie: d.subarray(2) };
      }
      break;
  }
  return { kind: "unknown", optionKind: kind, data: d };
}

/** Bytes `o` takes on the wire. */
export function tcpOptionLen(o: TcpOption): number {
  switch (o.kind) {
    case "eol":
      return 1 + o.rest.byteLength;
    case "nop":
      return 1;
    case "mss":
      return 4;
    case "window-scale":
      return 3;
    case "sack-permitted":
      return 2;
    case "sack":
      return 2 + 8 * o.blocks.length;
    case "timestamps":
      return 10;
    case "fast-open":
      return (o.experimental ? 4 : 2) + o.cookie.byteLength;
    case "unknown":
      return 2 + o.data.byteLength;
  }
}

/** Bytes the options take, before padding to a multiple of 4. */
export function tcpOptionsLen(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += tcpOptionLen(o);
  return n;
}

/** Writes the options at `b[off]`; returns the offset after them. Lengths must fit in a byte. */
export function emitTcpOptions(options: readonly TcpOption[], b: Uint8Array, off = 0): number {
  let i = off;
  for (const o of options) {
    const len = tcpOptionLen(o);
    if (len > 0xff && o.kind !== "eol") {
      throw new WireError("tcp", "bad-length", i - off, `option of ${len} bytes`);
    }
    switch (o.kind) {
      case "eol":
        b[i] = TcpOptionKind.EOL;
        b.set(o.rest, i + 1);
        break;
      case "nop":
        b[i] = TcpOptionKind.NOP;
        break;
      case "mss":
        b[i] = TcpOptionKind.MSS;
        b[i + 2] = (o.mss >>> 8) & 0xff;
        b[i + 3] = o.mss & 0xff;
        break;
      case "window-scale":
        b[i] = TcpOptionKind.WindowScale;
        b[i + 2] = o.shift & 0xff;
        break;
      case "sack-permitted":
        b[i] = TcpOptionKind.SackPermitted;
        break;
      case "sack":
        b[i] = TcpOptionKind.Sack;
        o.blocks.forEach(([l, r], k) => {
          putU32(b, i + 2 + 8 * k, l >>> 0);
          putU32(b, i + 6 + 8 * k, r >>> 0);
        });
        break;
      case "timestamps":
        b[i] = TcpOptionKind.Timestamps;
        putU32(b, i + 2, o.tsVal >>> 0);
        putU32(b, i + 6, o.tsEcr >>> 0);
        break;
      case "fast-open":
        if (o.experimental) {
          b[i] = TcpOptionKind.Experimental;
          b[i + 2] = TFO_EXPERIMENT_ID >>> 8;
          b[i + 3] = TFO_EXPERIMENT_ID & 0xff;
          b.set(o.cookie, i + 4);
        } else {
          b[i] = TcpOptionKind.FastOpen;
          b.set(o.cookie, i + 2);
        }
        break;
      case "unknown":
        b[i] = o.optionKind;
        b.set(o.data, i + 2);
        break;
    }
    if (o.kind !== "eol" && o.kind !== "nop") b[i + 1] = len;
    i += len;
  }
  return i;
}

export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  /** The acknowledgment field as it is (meaningful when `flags & TcpFlag.ACK`). */
  readonly ack: number;
  /** 12 bits: see `TcpFlag`. */
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: readonly TcpOption[];
  /** A view into the parsed buffer (parse) or the bytes to copy in (emit). */
  readonly payload: Uint8Array;
}

/**
 * Parses a checked view. With `ip`, verifies the checksum (throws `bad-checksum`); with `null`
 * (offloaded, or a header quoted in an ICMP error), skips it.
 */
export function parseTcp(p: TcpPacket, ip: PseudoHeader | null): TcpRepr {
  if (ip !== null && !p.verifyChecksum(ip)) {
    throw new WireError("tcp", "bad-checksum", 16, `checksum 0x${p.checksum.toString(16).padStart(4, "0")}`);
  }
  return {
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    seq: p.seq,
    ack: p.ack,
    flags: p.flags,
    window: p.window,
    urgentPointer: p.urgentPointer,
    options: p.options,
    payload: p.payload,
  };
}

/** Header length for `r`: 20 plus the options padded (with zero bytes) to a multiple of 4. */
export function tcpHeaderLen(r: Pick<TcpRepr, "options">): number {
  return TCP_HEADER_LEN + ((tcpOptionsLen(r.options) + 3) & ~3);
}

export function tcpBufferLen(r: TcpRepr): number {
  return tcpHeaderLen(r) + r.payload.byteLength;
}

/**
 * Writes `r` into `p` (sized by `tcpBufferLen`; the segment is the whole view) and fills the checksum
 * over `ip`. Options longer than 40 bytes are `bad-length`. Options whose length is not a multiple of 4
 * are followed by zero bytes (End of List), which a parse then returns as an `eol` entry.
 */
export function emitTcp(r: TcpRepr, p: TcpPacket, ip: PseudoHeader): void {
  const optLen = tcpOptionsLen(r.options);
  const hl = tcpHeaderLen(r);
  if (hl > TCP_MAX_HEADER_LEN) {
    throw new WireError("tcp", "bad-length", TCP_HEADER_LEN, `options need ${optLen} bytes, at most 40 fit`);
  }
  const total = hl + r.payload.byteLength;
  if (p.bytes.byteLength !== total) {
    throw new WireError(
      "tcp",
      "bad-length",
      0,
      `emit needs exactly ${total} bytes, view has ${p.bytes.byteLength}`,
    );
  }
  const b = p.bytes;
  p.srcPort = r.srcPort;
  p.dstPort = r.dstPort;
  p.seq = r.seq;
  p.ack = r.ack;
  b[12] = (hl >>> 2) << 4;
  p.flags = r.flags;
  p.window = r.window;
  p.checksum = 0;
  p.urgentPointer = r.urgentPointer;
  const end = emitTcpOptions(r.options, b, TCP_HEADER_LEN);
  b.fill(0, end, hl);
  b.set(r.payload, hl);
  p.fillChecksum(ip);
}
