/**
 * Test helpers for the nat/ tests: IPv4 packets built with the wire/ emitters and read back with the
 * wire/ parsers (so checksums are checked by code that is not the NAT's). Not part of the public API.
 */
import {
  emitIcmpv4,
  emitIpv4,
  emitTcp,
  emitUdp,
  Icmpv4Packet,
  type Icmpv4Repr,
  IpProtocol,
  type Ipv4,
  Ipv4Packet,
  type Ipv4Repr,
  parseIcmpv4,
  parseIpv4,
  parseIpv4Address,
  parseTcp,
  parseUdp,
  pseudoV4,
  TcpPacket,
  type TcpRepr,
  UdpPacket,
} from "../wire/index.js";
import type { NatContext, NatInterface } from "./nat.js";

export const ip = (s: string): Ipv4 => parseIpv4Address(s);

export function iface(name: string, address: string | null): NatInterface {
  return { name, primaryAddress: address === null ? null : ip(address) };
}

export const ctx = (
  point: NatContext["point"],
  inIf: NatInterface | null,
  outIf: NatInterface | null,
): NatContext => ({ point, inIf, outIf });

function ipRepr(src: Ipv4, dst: Ipv4, protocol: number, payloadLen: number, ttl = 64, ident = 1): Ipv4Repr {
  return {
    dscp: 0,
    ecn: 0,
    ident,
    reservedFlag: false,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    ttl,
    protocol,
    src,
    dst,
    options: new Uint8Array(0),
    payloadLen,
  };
}

function wrap(src: Ipv4, dst: Ipv4, protocol: number, l4: Uint8Array, ttl?: number): Uint8Array {
  const out = new Uint8Array(20 + l4.length);
  emitIpv4(ipRepr(src, dst, protocol, l4.length, ttl), Ipv4Packet.unchecked(out));
  out.set(l4, 20);
  return out;
}

/** An IPv4 packet of any protocol around `payload`. */
export function raw(src: string, dst: string, protocol: number, payload: Uint8Array): Uint8Array {
  return wrap(ip(src), ip(dst), protocol, payload);
}

export interface UdpSpec {
  readonly src: string | Ipv4;
  readonly dst: string | Ipv4;
  readonly sport: number;
  readonly dport: number;
  readonly payload?: Uint8Array;
  /** false = checksum 0 ("none"). */
  readonly checksum?: boolean;
}

const addr = (a: string | Ipv4): Ipv4 => (typeof a === "string" ? ip(a) : a);

export function udp(s: UdpSpec): Uint8Array {
  const payload = s.payload ?? new Uint8Array([1, 2, 3, 4, 5]);
  const seg = new Uint8Array(8 + payload.length);
  const src = addr(s.src);
  const dst = addr(s.dst);
  emitUdp(
    { srcPort: s.sport, dstPort: s.dport, payload },
    UdpPacket.unchecked(seg),
    s.checksum === false ? null : pseudoV4(src, dst),
  );
  return wrap(src, dst, IpProtocol.UDP, seg);
}

export interface TcpSpec {
  readonly src: string | Ipv4;
  readonly dst: string | Ipv4;
  readonly sport: number;
  readonly dport: number;
  /** FIN 1, SYN 2, RST 4, PSH 8, ACK 16. */
  readonly flags: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly payload?: Uint8Array;
}

export function tcp(s: TcpSpec): Uint8Array {
  const r: TcpRepr = {
    srcPort: s.sport,
    dstPort: s.dport,
    seq: s.seq ?? 1000,
    ack: s.ack ?? 0,
    flags: s.flags,
    window: 64240,
    urgentPointer: 0,
    options: [],
    payload: s.payload ?? new Uint8Array(0),
  };
  const seg = new Uint8Array(20 + r.payload.length);
  const src = addr(s.src);
  const dst = addr(s.dst);
  emitTcp(r, TcpPacket.unchecked(seg), pseudoV4(src, dst));
  return wrap(src, dst, IpProtocol.TCP, seg);
}

export function icmp(src: string | Ipv4, dst: string | Ipv4, r: Icmpv4Repr, ttl?: number): Uint8Array {
  const body = "quoted" in r ? r.quoted : r.data;
  const msg = new Uint8Array(8 + body.length);
  emitIcmpv4(r, Icmpv4Packet.unchecked(msg));
  return wrap(addr(src), addr(dst), IpProtocol.ICMP, msg, ttl);
}

export function echo(src: string, dst: string, id: number, seq: number, reply = false): Uint8Array {
  return icmp(src, dst, {
    kind: reply ? "echo-reply" : "echo-request",
    code: 0,
    ident: id,
    seq,
    data: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]),
  });
}

/** An ICMP error from `src` to `dst` quoting `quoted` (as much as given). */
export function icmpError(
  src: string,
  dst: string,
  kind: "dest-unreachable" | "time-exceeded",
  code: number,
  quoted: Uint8Array,
  nextHopMtu = 0,
): Uint8Array {
  const r: Icmpv4Repr =
    kind === "dest-unreachable" ? { kind, code, nextHopMtu, quoted } : { kind, code, quoted };
  return icmp(src, dst, r);
}

/** What a packet looks like, checksums verified by wire/ (throws WireError when one is wrong). */
export interface Seen {
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly ttl: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly flags?: number;
  readonly icmp?: Icmpv4Repr;
  readonly udpChecksum?: number;
}

const fmt = (a: Ipv4): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

export function seen(b: Uint8Array): Seen {
  const p = Ipv4Packet.checked(b);
  const r = parseIpv4(p);
  const base = { src: fmt(r.src), dst: fmt(r.dst), proto: r.protocol, ttl: r.ttl };
  const ps = pseudoV4(r.src, r.dst);
  if (r.protocol === IpProtocol.UDP) {
    const u = UdpPacket.checked(p.payload);
    const ur = parseUdp(u, u.checksum === 0 ? null : ps);
    return { ...base, sport: ur.srcPort, dport: ur.dstPort, udpChecksum: u.checksum };
  }
  if (r.protocol === IpProtocol.TCP) {
    const tr = parseTcp(TcpPacket.checked(p.payload), ps);
    return { ...base, sport: tr.srcPort, dport: tr.dstPort, flags: tr.flags };
  }
  if (r.protocol === IpProtocol.ICMP) {
    return { ...base, icmp: parseIcmpv4(Icmpv4Packet.checked(p.payload)) };
  }
  return base;
}

/** The packet quoted in an ICMP error, read (inner IP header checksum verified). */
export function quotedOf(b: Uint8Array): {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  bytes: Uint8Array;
} {
  const p = Ipv4Packet.checked(b);
  const q = p.payload.subarray(8);
  const inner = Ipv4Packet.unchecked(q);
  if (!inner.verifyChecksum()) throw new Error("inner IPv4 header checksum is wrong");
  const l4 = q.subarray(inner.headerLen);
  return {
    src: fmt(inner.src),
    dst: fmt(inner.dst),
    sport: (l4[0] << 8) | l4[1],
    dport: (l4[2] << 8) | l4[3],
    bytes: q,
  };
}
