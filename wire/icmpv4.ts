import { type Ipv4, readIpv4, writeIpv4 } from "./addr.js";
import { checksumOk, internetChecksum } from "./checksum.js";
import { needBytes, viewOf, WireError } from "./errors.js";

/**
 * ICMP for IPv4 (RFC 792; next-hop MTU in "fragmentation needed", RFC 1191). The checksum covers the
 * whole ICMP message, no pseudo-header. Error messages carry the invoking datagram's IP header and
 * at least 8 bytes of its payload; the view exposes them as `quoted` (a view, not a copy).
 *
 * The 4 "rest of header" bytes are decoded per type: echo id/sequence, the unreachable next-hop MTU
 * (bytes 6–7; bytes 4–5 are unused, or RFC 4884's length, and are not kept), the redirect gateway,
 * the parameter-problem pointer (byte 4). Types vnet does not decode are kept raw (`kind: "other"`).
 */
export const ICMPV4_HEADER_LEN = 8;

export const IcmpType = {
  EchoReply: 0,
  DestUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  RouterAdvertisement: 9,
  RouterSolicitation: 10,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
} as const;

/** Codes of Destination Unreachable (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
export const IcmpUnreachableCode = {
  Net: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  HostIsolated: 8,
  NetProhibited: 9,
  HostProhibited: 10,
  NetTos: 11,
  HostTos: 12,
  AdminProhibited: 13,
  HostPrecedence: 14,
  PrecedenceCutoff: 15,
} as const;

export const IcmpTimeExceededCode = { TtlExceeded: 0, FragmentReassembly: 1 } as const;

export const IcmpRedirectCode = { Net: 0, Host: 1, TosNet: 2, TosHost: 3 } as const;

export class Icmpv4Packet {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /** For untrusted bytes (exactly the ICMP message): the 8-byte header must fit. */
  static checked(bytes: Uint8Array): Icmpv4Packet {
    needBytes("icmpv4", bytes, ICMPV4_HEADER_LEN);
    return new Icmpv4Packet(bytes);
  }
  /** For a buffer the caller sized itself (emission). */
  static unchecked(bytes: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(bytes);
  }
  get type(): number {
    return this.bytes[0];
  }
  set type(v: number) {
    this.bytes[0] = v;
  }
  get code(): number {
    return this.bytes[1];
  }
  set code(v: number) {
    this.bytes[1] = v;
  }
  get checksum(): number {
    return this.#dv.getUint16(2);
  }
  set checksum(v: number) {
    this.#dv.setUint16(2, v);
  }
  /** Bytes 4–7 as one number. */
  get restOfHeader(): number {
    return this.#dv.getUint32(4);
  }
  set restOfHeader(v: number) {
    this.#dv.setUint32(4, v >>> 0);
  }
  /** Echo identifier (bytes 4–5). */
  get ident(): number {
    return this.#dv.getUint16(4);
  }
  set ident(v: number) {
    this.#dv.setUint16(4, v);
  }
  /** Echo sequence number (bytes 6–7). */
  get seq(): number {
    return this.#dv.getUint16(6);
  }
  set seq(v: number) {
    this.#dv.setUint16(6, v);
  }
  /** Next-hop MTU of "fragmentation needed" (RFC 1191; bytes 6–7). */
  get nextHopMtu(): number {
    return this.#dv.getUint16(6);
  }
  set nextHopMtu(v: number) {
    this.#dv.setUint16(6, v);
  }
  /** Parameter problem pointer (byte 4). */
  get pointer(): number {
    return this.bytes[4];
  }
  set pointer(v: number) {
    this.bytes[4] = v;
  }
  /** Redirect gateway address (bytes 4–7). */
  get gateway(): Ipv4 {
    return readIpv4(this.bytes, 4);
  }
  set gateway(v: Ipv4) {
    writeIpv4(this.bytes, 4, v);
  }
  /** Everything after the 8-byte header (echo data, or the quoted datagram): a view. */
  get payload(): Uint8Array {
    return this.bytes.subarray(ICMPV4_HEADER_LEN);
  }
  /** The invoking datagram quoted by an error message (IP header + leading payload): a view. */
  get quoted(): Uint8Array {
    return this.bytes.subarray(ICMPV4_HEADER_LEN);
  }
  /** True if the type is one of the error messages that quote a datagram. */
  get isError(): boolean {
    return isIcmpv4Error(this.type);
  }
  verifyChecksum(): boolean {
    return checksumOk(this.bytes);
  }
  /** Computes and stores the checksum over the whole message. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.bytes);
  }
}

/** Destination unreachable, source quench, redirect, time exceeded, parameter problem. */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === IcmpType.DestUnreachable ||
    type === IcmpType.SourceQuench ||
    type === IcmpType.Redirect ||
    type === IcmpType.TimeExceeded ||
    type === IcmpType.ParameterProblem
  );
}

export type Icmpv4Repr =
  | {
      readonly kind: "echo-request" | "echo-reply";
      readonly code: number;
      readonly ident: number;
      readonly seq: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: "dest-unreachable";
      readonly code: number;
      /** Meaningful for code 4 (fragmentation needed); 0 otherwise. */
      readonly nextHopMtu: number;
      readonly quoted: Uint8Array;
    }
  | { readonly kind: "source-quench"; readonly code: number; readonly quoted: Uint8Array }
  | { readonly kind: "redirect"; readonly code: number; readonly gateway: Ipv4; readonly quoted: Uint8Array }
  | { readonly kind: "time-exceeded"; readonly code: number; readonly quoted: Uint8Array }
  | {
      readonly kind: "parameter-problem";
      readonly code: number;
      readonly pointer: number;
      readonly quoted: Uint8Array;
    }
  /** Any other type: bytes 4–7 as `rest`, the remainder as `data`. */
  | {
      readonly kind: "other";
      readonly type: number;
      readonly code: number;
      readonly rest: number;
      readonly data: Uint8Array;
    };

/** Parses a checked view; verifies the checksum unless `verifyChecksum` is false (`bad-checksum`). */
export function parseIcmpv4(p: Icmpv4Packet, verifyChecksum = true): Icmpv4Repr {
  if (verifyChecksum && !p.verifyChecksum()) {
    throw new WireError(
      "icmpv4",
      "bad-checksum",
      2,
      `checksum 0x${p.checksum.toString(16).padStart(4, "0")}`,
    );
  }
  const code = p.code;
  switch (p.type) {
    case IcmpType.EchoRequest:
    case IcmpType.EchoReply:
      return {
        kind: p.type === IcmpType.EchoRequest ? "echo-request" : "echo-reply",
        code,
        ident: p.ident,
        seq: p.seq,
        data: p.payload,
      };
    case IcmpType.DestUnreachable:
      return { kind: "dest-unreachable", code, nextHopMtu: p.nextHopMtu, quoted: p.quoted };
    case IcmpType.SourceQuench:
      return { kind: "source-quench", code, quoted: p.quoted };
    case IcmpType.Redirect:
      return { kind: "redirect", code, gateway: p.gateway, quoted: p.quoted };
    case IcmpType.TimeExceeded:
      return { kind: "time-exceeded", code, quoted: p.quoted };
    case IcmpType.ParameterProblem:
      return { kind: "parameter-problem", code, pointer: p.pointer, quoted: p.quoted };
    default:
      return { kind: "other", type: p.type, code, rest: p.restOfHeader, data: p.payload };
  }
}

/** The ICMP type number of a repr. */
export function icmpv4Type(r: Icmpv4Repr): number {
  switch (r.kind) {
    case "echo-request":
      return IcmpType.EchoRequest;
    case "echo-reply":
      return IcmpType.EchoReply;
    case "dest-unreachable":
      return IcmpType.DestUnreachable;
    case "source-quench":
      return IcmpType.SourceQuench;
    case "redirect":
      return IcmpType.Redirect;
    case "time-exceeded":
      return IcmpType.TimeExceeded;
    case "parameter-problem":
      return IcmpType.ParameterProblem;
    case "other":
      return r.type;
  }
}

function body(r: Icmpv4Repr): Uint8Array {
  switch (r.kind) {
    case "echo-request":
    case "echo-reply":
    case "other":
      return r.data;
    default:
      return r.quoted;
  }
}

export function icmpv4BufferLen(r: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + body(r).byteLength;
}

/** Writes `r` into `p` (exactly `icmpv4BufferLen(r)` bytes) and fills the checksum. */
export function emitIcmpv4(r: Icmpv4Repr, p: Icmpv4Packet): void {
  const len = icmpv4BufferLen(r);
  if (p.bytes.byteLength !== len) {
    throw new WireError(
      "icmpv4",
      "bad-length",
      0,
      `emit needs exactly ${len} bytes, view has ${p.bytes.byteLength}`,
    );
  }
  p.type = icmpv4Type(r);
  p.code = r.code;
  p.checksum = 0;
  p.restOfHeader = 0;
  switch (r.kind) {
    case "echo-request":
    case "echo-reply":
      p.ident = r.ident;
      p.seq = r.seq;
      break;
    case "dest-unreachable":
      p.nextHopMtu = r.nextHopMtu;
      break;
    case "redirect":
      p.gateway = r.gateway;
      break;
    case "parameter-problem":
      p.pointer = r.pointer;
      break;
    case "other":
      p.restOfHeader = r.rest;
      break;
    case "source-quench":
    case "time-exceeded":
      break;
  }
  p.bytes.set(body(r), ICMPV4_HEADER_LEN);
  p.fillChecksum();
}
