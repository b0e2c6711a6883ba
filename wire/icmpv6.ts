import { type Ipv6, type Mac, readIpv6, readMac, writeIpv6, writeMac } from "./addr.js";
import { needBytes, viewOf, WireError } from "./errors.js";
import { l4Checksum, type PseudoHeaderV6 } from "./l4-checksum.js";

/**
 * ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861), its options (RFC 4861 §4.6, MTU, RDNSS
 * RFC 8106, Route Information RFC 4191), and MLD/MLDv2 (RFC 2710, RFC 3810) recognised by type.
 * The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1, next header 58) and the whole message.
 *
 * Error messages expose the invoking packet as `quoted` (a view). NDP options are walked with a
 * bound: each option's length (in units of 8 bytes) must be non-zero (RFC 4861 §4.6: "The value 0 is
 * invalid", `malformed`) and must not run past the message (`bad-length`). Options of unknown type,
 * or of a known type with an unexpected length, are kept as `{ kind: "unknown", optionType, data }`.
 * Reserved fields are not kept: emit writes them as zero.
 */
export const ICMPV6_HEADER_LEN = 4;
const PROTO_ICMPV6 = 58;

export const Icmpv6Type = {
  DestUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  MldQuery: 130,
  MldReport: 131,
  MldDone: 132,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
  Mldv2Report: 143,
} as const;

export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdminProhibited: 1,
  BeyondScope: 2,
  Address: 3,
  Port: 4,
  SourcePolicy: 5,
  RejectRoute: 6,
} as const;

export const Icmpv6TimeExceededCode = { HopLimit: 0, FragmentReassembly: 1 } as const;

export const Icmpv6ParamProblemCode = { Header: 0, NextHeader: 1, Option: 2 } as const;

/** Router Advertisement flags (byte 5): M, O, Home Agent; preference in bits 0x18 (RFC 4191). */
export const RaFlag = { Managed: 0x80, Other: 0x40, HomeAgent: 0x20, PreferenceMask: 0x18 } as const;

/** Neighbor Advertisement flags (byte 4): R, S, O. */
export const NaFlag = { Router: 0x80, Solicited: 0x40, Override: 0x20 } as const;

/** Prefix Information flags: L (on-link), A (autonomous), R (router address, RFC 6275). */
export const PrefixFlag = { OnLink: 0x80, Autonomous: 0x40, RouterAddress: 0x20 } as const;

export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  RouteInformation: 24,
  Rdnss: 25,
  Dnssl: 31,
} as const;

/** Offset of the first NDP option for each ND message type. */
const NDP_OPTIONS_AT: Readonly<Record<number, number>> = {
  [Icmpv6Type.RouterSolicitation]: 8,
  [Icmpv6Type.RouterAdvertisement]: 16,
  [Icmpv6Type.NeighborSolicitation]: 24,
  [Icmpv6Type.NeighborAdvertisement]: 24,
  [Icmpv6Type.Redirect]: 40,
};

/** Minimum message length per type (header + fixed body). */
function minLen(type: number): number {
  const nd = NDP_OPTIONS_AT[type];
  if (nd !== undefined) return nd;
  if ((type >= 1 && type <= 4) || type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply) return 8;
  return ICMPV6_HEADER_LEN;
}

export class Icmpv6Packet {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * For untrusted bytes (exactly the ICMPv6 message): the header and the fixed part of known types
   * (8 bytes for errors and echo, 8/16/24/24/40 for RS/RA/NS/NA/Redirect) must fit.
   */
  static checked(bytes: Uint8Array): Icmpv6Packet {
    needBytes("icmpv6", bytes, ICMPV6_HEADER_LEN);
    needBytes("icmpv6", bytes, minLen(bytes[0]), `type ${bytes[0]} message`);
    return new Icmpv6Packet(bytes);
  }
  /** For a buffer the caller sized itself (emission). */
  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
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
  /** Bytes 4–7 as one number: packet-too-big MTU, parameter-problem pointer. */
  get word4(): number {
    return this.#dv.getUint32(4);
  }
  set word4(v: number) {
    this.#dv.setUint32(4, v >>> 0);
  }
  get ident(): number {
    return this.#dv.getUint16(4);
  }
  set ident(v: number) {
    this.#dv.setUint16(4, v);
  }
  get seq(): number {
    return this.#dv.getUint16(6);
  }
  set seq(v: number) {
    this.#dv.setUint16(6, v);
  }
  /** Everything after the 4-byte header (a view). */
  get body(): Uint8Array {
    return this.bytes.subarray(ICMPV6_HEADER_LEN);
  }
  /** Everything after the first 8 bytes: echo data, or the packet quoted by an error (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(8);
  }
  /** The invoking packet quoted by an error message (a view). */
  get quoted(): Uint8Array {
    return this.bytes.subarray(8);
  }
  /** RA current hop limit (byte 4). */
  get raHopLimit(): number {
    return this.bytes[4];
  }
  /** RA flags (byte 5), NA flags (byte 4): see `RaFlag`, `NaFlag`. */
  get raFlags(): number {
    return this.bytes[5];
  }
  get raRouterLifetime(): number {
    return this.#dv.getUint16(6);
  }
  get raReachableTime(): number {
    return this.#dv.getUint32(8);
  }
  get raRetransTimer(): number {
    return this.#dv.getUint32(12);
  }
  get naFlags(): number {
    return this.bytes[4];
  }
  /** NS/NA/Redirect target address (bytes 8–23). */
  get target(): Ipv6 {
    return readIpv6(this.bytes, 8);
  }
  /** Redirect destination address (bytes 24–39). */
  get destination(): Ipv6 {
    return readIpv6(this.bytes, 24);
  }
  /** True for an ND message (RS, RA, NS, NA, Redirect), which carries options. */
  get isNdp(): boolean {
    return NDP_OPTIONS_AT[this.type] !== undefined;
  }
  /** The NDP option bytes of an ND message (a view; empty for other types). */
  get optionBytes(): Uint8Array {
    const at = NDP_OPTIONS_AT[this.type];
    return at === undefined ? this.bytes.subarray(this.bytes.byteLength) : this.bytes.subarray(at);
  }
  /** The NDP options, walked with a bound (throws WireError on a bad option length). */
  get options(): NdpOption[] {
    const at = NDP_OPTIONS_AT[this.type];
    return at === undefined ? [] : parseNdpOptions(this.bytes.subarray(at), at);
  }
  verifyChecksum(ip: PseudoHeaderV6): boolean {
    return l4Checksum(ip, PROTO_ICMPV6, this.bytes) === 0;
  }
  /** Computes and stores the checksum over the pseudo-header and the whole message. */
  fillChecksum(ip: PseudoHeaderV6): void {
    this.checksum = 0;
    this.checksum = l4Checksum(ip, PROTO_ICMPV6, this.bytes);
  }
}

export type NdpOption =
  | { readonly kind: "source-lladdr"; readonly addr: Mac }
  | { readonly kind: "target-lladdr"; readonly addr: Mac }
  | {
      readonly kind: "prefix-info";
      readonly prefixLength: number;
      /** See `PrefixFlag`. */
      readonly flags: number;
      readonly validLifetime: number;
      readonly preferredLifetime: number;
      readonly prefix: Ipv6;
    }
  /** The IP header and data of the redirected packet (after the 6 reserved bytes). */
  | { readonly kind: "redirected-header"; readonly packet: Uint8Array }
  | { readonly kind: "mtu"; readonly mtu: number }
  /**
   * RFC 4191. `prefix` has zeros past the bytes the option carries; emit uses the shortest option
   * length that holds `prefixLength` (1 for /0, 2 up to /64, 3 beyond).
   */
  | {
      readonly kind: "route-info";
      readonly prefixLength: number;
      /** Preference in bits 0x18. */
      readonly flags: number;
      readonly lifetime: number;
      readonly prefix: Ipv6;
    }
  | { readonly kind: "rdnss"; readonly lifetime: number; readonly servers: readonly Ipv6[] }
  /** `data` excludes the type and length bytes; its length + 2 is a multiple of 8. */
  | { readonly kind: "unknown"; readonly optionType: number; readonly data: Uint8Array };

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function routeInfoUnits(prefixLength: number): number {
  return prefixLength === 0 ? 1 : prefixLength <= 64 ? 2 : 3;
}

/**
 * Walks NDP options in `b` (`base` is added to error offsets). A length byte of 0 is `malformed`; an
 * option that runs past `b` (or a lone trailing byte) is `bad-length`. Returned byte fields are views.
 */
export function parseNdpOptions(b: Uint8Array, base = 0): NdpOption[] {
  const out: NdpOption[] = [];
  let i = 0;
  while (i < b.byteLength) {
    if (i + 2 > b.byteLength) {
      throw new WireError("icmpv6", "bad-length", base + i, "option header needs 2 bytes");
    }
    const type = b[i];
    const units = b[i + 1];
    if (units === 0) throw new WireError("icmpv6", "malformed", base + i + 1, `option ${type} has length 0`);
    const len = units * 8;
    if (i + len > b.byteLength) {
      throw new WireError(
        "icmpv6",
        "bad-length",
        base + i + 1,
        `option ${type} of ${len} bytes runs past the message`,
      );
    }
    out.push(decodeNdpOption(type, units, b.subarray(i, i + len)));
    i += len;
  }
  return out;
}

function decodeNdpOption(type: number, units: number, o: Uint8Array): NdpOption {
  switch (type) {
    case NdpOptionType.SourceLinkLayerAddress:
    case NdpOptionType.TargetLinkLayerAddress:
      if (units === 1) {
        return {
          kind: type === NdpOptionType.SourceLinkLayerAddress ? "source-lladdr" : "target-lladdr",
          addr: readMac(o, 2),
        };
      }
      break;
    case NdpOptionType.PrefixInformation:
      if (units === 4) {
        return {
          kind: "prefix-info",
          prefixLength: o[2],
          flags: o[3],
          validLifetime: u32(o, 4),
          preferredLifetime: u32(o, 8),
          prefix: readIpv6(o, 16),
        };
      }
      break;
    case NdpOptionType.RedirectedHeader:
      return { kind: "redirected-header", packet: o.subarray(8) };
    case NdpOptionType.Mtu:
      if (units === 1) return { kind: "mtu", mtu: u32(o, 4) };
      break;
    case NdpOptionType.RouteInformation: {
      const plen = o[2];
      if (plen <= 128 && units === routeInfoUnits(plen)) {
        const p = new Uint8Array(16);
        p.set(o.subarray(8));
        return {
          kind: "route-info",
          prefixLength: plen,
          flags: o[3],
          lifetime: u32(o, 4),
          prefix: readIpv6(p, 0),
        };
      }
      break;
    }
    case NdpOptionType.Rdnss:
      if (units >= 3 && units % 2 === 1) {
        const servers: Ipv6[] = [];
        for (let k = 8; k < o.byteLength; k += 16) servers.push(readIpv6(o, k));
        return { kind: "rdnss", lifetime: u32(o, 4), servers };
      }
      break;
  }
  return { kind: "unknown", optionType: type, data: o.subarray(2) };
}

/** Bytes `o` takes on the wire (a multiple of 8, except for a malformed `unknown`). */
export function ndpOptionLen(o: NdpOption): number {
  switch (o.kind) {
    case "source-lladdr":
    case "target-lladdr":
    case "mtu":
      return 8;
    case "prefix-info":
      return 32;
    case "redirected-header":
      return 8 + ((o.packet.byteLength + 7) & ~7);
    case "route-info":
      return 8 * routeInfoUnits(o.prefixLength);
    case "rdnss":
      return 8 + 16 * o.servers.length;
    case "unknown":
      return 2 + o.data.byteLength;
  }
}

export function ndpOptionsLen(options: readonly NdpOption[]): number {
  let n = 0;
  for (const o of options) n += ndpOptionLen(o);
  return n;
}

/**
 * Writes options at `b[off]` (reserved bytes and padding as zeros); returns the offset after them.
 * An `unknown` whose size is not a multiple of 8, or any option over 2040 bytes, is `bad-length`.
 */
export function emitNdpOptions(options: readonly NdpOption[], b: Uint8Array, off = 0): number {
  let i = off;
  for (const o of options) {
    const len = ndpOptionLen(o);
    if (len % 8 !== 0 || len > 255 * 8) {
      throw new WireError("icmpv6", "bad-length", i, `NDP option of ${len} bytes`);
    }
    b.fill(0, i, i + len);
    b[i + 1] = len / 8;
    switch (o.kind) {
      case "source-lladdr":
      case "target-lladdr":
        b[i] =
          o.kind === "source-lladdr"
            ? NdpOptionType.SourceLinkLayerAddress
            : NdpOptionType.TargetLinkLayerAddress;
        writeMac(b, i + 2, o.addr);
        break;
      case "prefix-info":
        b[i] = NdpOptionType.PrefixInformation;
        b[i + 2] = o.prefixLength;
        b[i + 3] = o.flags;
        putU32(b, i + 4, o.validLifetime);
        putU32(b, i + 8, o.preferredLifetime);
        writeIpv6(b, i + 16, o.prefix);
        break;
      case "redirected-header":
        b[i] = NdpOptionType.RedirectedHeader;
        b.set(o.packet, i + 8);
        break;
      case "mtu":
        b[i] = NdpOptionType.Mtu;
        putU32(b, i + 4, o.mtu);
        break;
      case "route-info": {
        b[i] = NdpOptionType.RouteInformation;
        b[i + 2] = o.prefixLength;
        b[i + 3] = o.flags;
        putU32(b, i + 4, o.lifetime);
        const p = new Uint8Array(16);
        writeIpv6(p, 0, o.prefix);
        b.set(p.subarray(0, len - 8), i + 8);
        break;
      }
      case "rdnss":
        b[i] = NdpOptionType.Rdnss;
        putU32(b, i + 4, o.lifetime);
        for (let k = 0; k < o.servers.length; k++) writeIpv6(b, i + 8 + 16 * k, o.servers[k]);
        break;
      case "unknown":
        b[i] = o.optionType;
        b.set(o.data, i + 2);
        break;
    }
    i += len;
  }
  return i;
}

type Opts = { readonly options: readonly NdpOption[] };

export type Icmpv6Repr =
  | { readonly kind: "dest-unreachable"; readonly code: number; readonly quoted: Uint8Array }
  | {
      readonly kind: "packet-too-big";
      readonly code: number;
      readonly mtu: number;
      readonly quoted: Uint8Array;
    }
  | { readonly kind: "time-exceeded"; readonly code: number; readonly quoted: Uint8Array }
  /** `pointer`: byte offset of the problem in the quoted packet. */
  | {
      readonly kind: "parameter-problem";
      readonly code: number;
      readonly pointer: number;
      readonly quoted: Uint8Array;
    }
  | {
      readonly kind: "echo-request" | "echo-reply";
      readonly code: number;
      readonly ident: number;
      readonly seq: number;
      readonly data: Uint8Array;
    }
  | ({ readonly kind: "router-solicit"; readonly code: number } & Opts)
  | ({
      readonly kind: "router-advert";
      readonly code: number;
      readonly hopLimit: number;
      /** See `RaFlag`. */
      readonly flags: number;
      /** Seconds. */
      readonly routerLifetime: number;
      /** Milliseconds. */
      readonly reachableTime: number;
      /** Milliseconds. */
      readonly retransTimer: number;
    } & Opts)
  | ({ readonly kind: "neighbor-solicit"; readonly code: number; readonly target: Ipv6 } & Opts)
  | ({
      readonly kind: "neighbor-advert";
      readonly code: number;
      /** See `NaFlag`. */
      readonly flags: number;
      readonly target: Ipv6;
    } & Opts)
  | ({
      readonly kind: "redirect";
      readonly code: number;
      readonly target: Ipv6;
      readonly destination: Ipv6;
    } & Opts)
  /** MLD query/report/done and MLDv2 report, by type; `body` is everything after the 4-byte header. */
  | { readonly kind: "mld"; readonly type: number; readonly code: number; readonly body: Uint8Array }
  /** Any other type; `body` is everything after the 4-byte header. */
  | { readonly kind: "other"; readonly type: number; readonly code: number; readonly body: Uint8Array };

function isMld(type: number): boolean {
  return (
    type === Icmpv6Type.MldQuery ||
    type === Icmpv6Type.MldReport ||
    type === Icmpv6Type.MldDone ||
    type === Icmpv6Type.Mldv2Report
  );
}

/**
 * Parses a checked view. With `ip` (the IPv6 source and destination), verifies the checksum (throws
 * `bad-checksum`); with `null`, skips it. NDP options errors throw as `parseNdpOptions` says.
 */
export function parseIcmpv6(p: Icmpv6Packet, ip: PseudoHeaderV6 | null): Icmpv6Repr {
  if (ip !== null && !p.verifyChecksum(ip)) {
    throw new WireError(
      "icmpv6",
      "bad-checksum",
      2,
      `checksum 0x${p.checksum.toString(16).padStart(4, "0")}`,
    );
  }
  const code = p.code;
  const type = p.type;
  switch (type) {
    case Icmpv6Type.DestUnreachable:
      return { kind: "dest-unreachable", code, quoted: p.quoted };
    case Icmpv6Type.PacketTooBig:
      return { kind: "packet-too-big", code, mtu: p.word4, quoted: p.quoted };
    case Icmpv6Type.TimeExceeded:
      return { kind: "time-exceeded", code, quoted: p.quoted };
    case Icmpv6Type.ParameterProblem:
      return { kind: "parameter-problem", code, pointer: p.word4, quoted: p.quoted };
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return {
        kind: type === Icmpv6Type.EchoRequest ? "echo-request" : "echo-reply",
        code,
        ident: p.ident,
        seq: p.seq,
        data: p.payload,
      };
    case Icmpv6Type.RouterSolicitation:
      return { kind: "router-solicit", code, options: p.options };
    case Icmpv6Type.RouterAdvertisement:
      return {
        kind: "router-advert",
        code,
        hopLimit: p.raHopLimit,
        flags: p.raFlags,
        routerLifetime: p.raRouterLifetime,
        reachableTime: p.raReachableTime,
        retransTimer: p.raRetransTimer,
        options: p.options,
      };
    case Icmpv6Type.NeighborSolicitation:
      return { kind: "neighbor-solicit", code, target: p.target, options: p.options };
    case Icmpv6Type.NeighborAdvertisement:
      return { kind: "neighbor-advert", code, flags: p.naFlags, target: p.target, options: p.options };
    case Icmpv6Type.Redirect:
      return { kind: "redirect", code, target: p.target, destination: p.destination, options: p.options };
    default:
      return { kind: isMld(type) ? "mld" : "other", type, code, body: p.body };
  }
}

export function icmpv6Type(r: Icmpv6Repr): number {
  switch (r.kind) {
    case "dest-unreachable":
      return Icmpv6Type.DestUnreachable;
    case "packet-too-big":
      return Icmpv6Type.PacketTooBig;
    case "time-exceeded":
      return Icmpv6Type.TimeExceeded;
    case "parameter-problem":
      return Icmpv6Type.ParameterProblem;
    case "echo-request":
      return Icmpv6Type.EchoRequest;
    case "echo-reply":
      return Icmpv6Type.EchoReply;
    case "router-solicit":
      return Icmpv6Type.RouterSolicitation;
    case "router-advert":
      return Icmpv6Type.RouterAdvertisement;
    case "neighbor-solicit":
      return Icmpv6Type.NeighborSolicitation;
    case "neighbor-advert":
      return Icmpv6Type.NeighborAdvertisement;
    case "redirect":
      return Icmpv6Type.Redirect;
    case "mld":
    case "other":
      return r.type;
  }
}

export function icmpv6BufferLen(r: Icmpv6Repr): number {
  switch (r.kind) {
    case "dest-unreachable":
    case "packet-too-big":
    case "time-exceeded":
    case "parameter-problem":
      return 8 + r.quoted.byteLength;
    case "echo-request":
    case "echo-reply":
      return 8 + r.data.byteLength;
    case "mld":
    case "other":
      return ICMPV6_HEADER_LEN + r.body.byteLength;
    default:
      return NDP_OPTIONS_AT[icmpv6Type(r)] + ndpOptionsLen(r.options);
  }
}

/** Writes `r` into `p` (exactly `icmpv6BufferLen(r)` bytes) and fills the checksum over `ip`. */
export function emitIcmpv6(r: Icmpv6Repr, p: Icmpv6Packet, ip: PseudoHeaderV6): void {
  const len = icmpv6BufferLen(r);
  const b = p.bytes;
  if (b.byteLength !== len) {
    throw new WireError(
      "icmpv6",
      "bad-length",
      0,
      `emit needs exactly ${len} bytes, view has ${b.byteLength}`,
    );
  }
  const type = icmpv6Type(r);
  b[0] = type;
  b[1] = r.code;
  p.checksum = 0;
  switch (r.kind) {
    case "dest-unreachable":
    case "time-exceeded":
      p.word4 = 0;
      b.set(r.quoted, 8);
      break;
    case "packet-too-big":
      p.word4 = r.mtu;
      b.set(r.quoted, 8);
      break;
    case "parameter-problem":
      p.word4 = r.pointer;
      b.set(r.quoted, 8);
      break;
    case "echo-request":
    case "echo-reply":
      p.ident = r.ident;
      p.seq = r.seq;
      b.set(r.data, 8);
      break;
    case "mld":
    case "other":
      b.set(r.body, ICMPV6_HEADER_LEN);
      break;
    default: {
      const at = NDP_OPTIONS_AT[type];
      b.fill(0, 4, at);
      if (r.kind === "router-advert") {
        b[4] = r.hopLimit;
        b[5] = r.flags;
        b[6] = (r.routerLifetime >>> 8) & 0xff;
        b[7] = r.routerLifetime & 0xff;
        putU32(b, 8, r.reachableTime);
        putU32(b, 12, r.retransTimer);
      } else if (r.kind === "neighbor-solicit") {
        writeIpv6(b, 8, r.target);
      } else if (r.kind === "neighbor-advert") {
        b[4] = r.flags;
        writeIpv6(b, 8, r.target);
      } else if (r.kind === "redirect") {
        writeIpv6(b, 8, r.target);
        writeIpv6(b, 24, r.destination);
      }
      emitNdpOptions(r.options, b, at);
    }
  }
  p.fillChecksum(ip);
}
