/**
 * Hand-built frames for the router and NAT differential tests (linux-router.test.ts, linux-nat.test.ts),
 * made with wire/'s emitters, and small readers for what comes back. Test-only helpers: the frames are
 * inputs, so nothing here is checked against itself.
 */
import { type Ipv4, type Mac, parseIpv4Address, parseMac, readIpv4 } from "../../wire/addr.js";
import { ARP_ETH_IPV4_LEN, ArpPacket, emitArp } from "../../wire/arp.js";
import { internetChecksum } from "../../wire/checksum.js";
import { EthernetFrame, EtherType, emitEthernet } from "../../wire/ethernet.js";
import { emitIcmpv4, Icmpv4Packet, type Icmpv4Repr, icmpv4BufferLen } from "../../wire/icmpv4.js";
import { emitIpv4, IpProtocol, Ipv4Packet } from "../../wire/ipv4.js";
import { pseudoV4 } from "../../wire/l4-checksum.js";
import { emitTcp, type TcpOption, TcpPacket, tcpBufferLen } from "../../wire/tcp.js";
import { emitUdp, UdpPacket, udpBufferLen } from "../../wire/udp.js";

export const ip = (s: string): Ipv4 => parseIpv4Address(s);
export const mac = (s: string): Mac => parseMac(s);

/** The IPv4 header fields a test chooses; everything else is what a plain Linux host sends. */
export interface IpFields {
  readonly src: string;
  readonly dst: string;
  readonly ttl?: number;
  readonly id?: number;
  readonly df?: boolean;
  readonly tos?: number;
}

/** An IPv4 packet (no options) around `payload`, header checksum filled. */
export function ipv4(f: IpFields, protocol: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(20 + payload.byteLength);
  emitIpv4(
    {
      dscp: (f.tos ?? 0) >>> 2,
      ecn: (f.tos ?? 0) & 3,
      ident: f.id ?? 0x1234,
      reservedFlag: false,
      dontFrag: f.df ?? false,
      moreFrags: false,
      fragOffset: 0,
      ttl: f.ttl ?? 64,
      protocol,
      src: ip(f.src),
      dst: ip(f.dst),
      options: new Uint8Array(0),
      payloadLen: payload.byteLength,
    },
    Ipv4Packet.unchecked(b),
  );
  b.set(payload, 20);
  return b;
}

/** `n` payload bytes with a recognisable pattern (byte i = (i * 7 + salt) & 0xff). */
export function pattern(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + salt) & 0xff;
  return b;
}

/** A UDP datagram with a valid checksum over src/dst, or checksum 0 ("none", RFC 768) with `noChecksum`. */
export function udpSegment(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  data: Uint8Array,
  noChecksum = false,
): Uint8Array {
  const r = { srcPort: sport, dstPort: dport, payload: data };
  const b = new Uint8Array(udpBufferLen(r));
  emitUdp(r, UdpPacket.unchecked(b), noChecksum ? null : pseudoV4(ip(src), ip(dst)));
  return b;
}

export function udpPacket(
  f: IpFields,
  sport: number,
  dport: number,
  data: Uint8Array,
  opts: { noChecksum?: boolean } = {},
): Uint8Array {
  return ipv4(f, IpProtocol.UDP, udpSegment(f.src, f.dst, sport, dport, data, opts.noChecksum));
}

export interface TcpFields {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly window?: number;
  readonly options?: readonly TcpOption[];
  readonly data?: Uint8Array;
}

export function tcpPacket(f: IpFields, t: TcpFields): Uint8Array {
  const r = {
    srcPort: t.sport,
    dstPort: t.dport,
    seq: t.seq >>> 0,
    ack: (t.ack ?? 0) >>> 0,
    flags: t.flags,
    window: t.window ?? 64240,
    urgentPointer: 0,
    options: t.options ?? [],
    payload: t.data ?? new Uint8Array(0),
  };
  const seg = new Uint8Array(tcpBufferLen(r));
  emitTcp(r, TcpPacket.unchecked(seg), pseudoV4(ip(f.src), ip(f.dst)));
  return ipv4(f, IpProtocol.TCP, seg);
}

export function icmpPacket(f: IpFields, r: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4BufferLen(r));
  emitIcmpv4(r, Icmpv4Packet.unchecked(b));
  return ipv4(f, IpProtocol.ICMP, b);
}

/** An Ethernet II frame around an IPv4 packet (no padding: veth sends short frames as they are). */
export function eth(dst: string, src: string, packet: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + packet.byteLength);
  emitEthernet({ dst: mac(dst), src: mac(src), etherType: EtherType.IPv4 }, EthernetFrame.unchecked(f));
  f.set(packet, 14);
  return f;
}

/**
 * An Ethernet/IPv4 ARP frame (42 bytes, unpadded as a Linux host hands it to a veth): `op` 1 request,
 * 2 reply; `tha` all zero in a request unless given.
 */
export function arpFrame(
  dst: string,
  src: string,
  op: 1 | 2,
  a: { sha: string; spa: string; tha?: string; tpa: string },
): Uint8Array {
  const f = new Uint8Array(14 + ARP_ETH_IPV4_LEN);
  emitEthernet({ dst: mac(dst), src: mac(src), etherType: EtherType.ARP }, EthernetFrame.unchecked(f));
  emitArp(
    {
      operation: op,
      sha: mac(a.sha),
      spa: ip(a.spa),
      tha: mac(a.tha ?? "00:00:00:00:00:00"),
      tpa: ip(a.tpa),
    },
    ArpPacket.unchecked(f.subarray(14)),
  );
  return f;
}

/**
 * `packet` (an IPv4 packet without options, DF clear) as two fragments, the first carrying `at` bytes of
 * its payload (a multiple of 8): MF and offsets set, lengths and header checksums fixed.
 */
export function fragmentsOf(packet: Uint8Array, at: number): [Uint8Array, Uint8Array] {
  const part = (from: number, to: number, more: boolean): Uint8Array => {
    const f = new Uint8Array(20 + to - from);
    f.set(packet.subarray(0, 20));
    f.set(packet.subarray(20 + from, 20 + to), 20);
    f[2] = f.byteLength >> 8;
    f[3] = f.byteLength & 0xff;
    const word = (more ? 0x2000 : 0) | (from / 8);
    f[6] = word >> 8;
    f[7] = word & 0xff;
    f[10] = 0;
    f[11] = 0;
    const c = internetChecksum(f.subarray(0, 20));
    f[10] = c >> 8;
    f[11] = c & 0xff;
    return f;
  };
  return [part(0, at, true), part(at, packet.byteLength - 20, false)];
}

// ---- reading what came back -----------------------------------------------------------------------

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** The IPv4 packet inside an Ethernet frame (as the total length delimits it). */
export function ipOf(frame: Uint8Array): Uint8Array {
  return frame.subarray(14, 14 + u16(frame, 16));
}

/** Source and destination address and (for TCP/UDP) ports, or the ICMP echo id as both ports. */
export interface FrameTuple {
  readonly proto: number;
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly sport: number;
  readonly dport: number;
}

/** The transport tuple of the IPv4 packet in `frame` (first fragments only). */
export function tupleOf(frame: Uint8Array): FrameTuple {
  const p = ipOf(frame);
  const l4 = p.subarray((p[0] & 15) * 4);
  const proto = p[9];
  const src = readIpv4(p, 12);
  const dst = readIpv4(p, 16);
  if (proto === IpProtocol.ICMP) return { proto, src, dst, sport: u16(l4, 4), dport: u16(l4, 4) };
  return { proto, src, dst, sport: u16(l4, 0), dport: u16(l4, 2) };
}

/**
 * A copy of `frame` with byte ranges (offsets into the frame) zeroed: for fields Linux fills in a way
 * that is not deterministic (the IP ID of a locally generated packet, and the header checksum that
 * covers it). The masked copy is what is compared; the caller checks the masked fields' properties.
 */
export function masked(frame: Uint8Array, ranges: readonly (readonly [number, number])[]): Uint8Array {
  const c = frame.slice();
  for (const [from, to] of ranges) c.fill(0, from, to);
  return c;
}

/**
 * The frame with the transport source (`"src"`) or destination (`"dst"`) port of TCP/UDP (the echo id of
 * ICMP, either way) and the transport checksum zeroed: for a flow whose NAT port Linux draws at random.
 */
export function maskPort(frame: Uint8Array, which: "src" | "dst"): Uint8Array {
  const at = 14 + (frame[14] & 15) * 4;
  const proto = frame[23];
  if (proto === IpProtocol.ICMP) return masked(frame, [[at + 2, at + 6]]);
  const port: [number, number] = which === "src" ? [at, at + 2] : [at + 2, at + 4];
  const sum: [number, number] = proto === IpProtocol.TCP ? [at + 16, at + 18] : [at + 6, at + 8];
  return masked(frame, [port, sum]);
}

/** Offsets (in an Ethernet frame) of the outer IP ID and header checksum. */
export const OUTER_ID: readonly [number, number] = [18, 20];
export const OUTER_IP_CSUM: readonly [number, number] = [24, 26];
