import {
  formatIpv4,
  formatIpv6Bytes,
  formatMac,
  type Ipv4,
  type Mac,
  readIpv4,
  readMac,
} from "../wire/addr.js";

/**
 * A fast, flat decode of one captured frame for statistics and JSON output: never throws, decodes as
 * far as the captured bytes allow, keeps addresses as numbers (IPv4, MAC) and formats strings only in
 * `summaryJson`. IPv6 addresses are formatted once per IPv6 packet (they are the conversation keys).
 */
export interface PacketSummary {
  readonly caplen: number;
  readonly len: number;
  /** Ethernet addresses (EN10MB only). */
  readonly linkSrc: Mac | null;
  readonly linkDst: Mac | null;
  /** 802.1Q/802.1ad VLAN ids, outermost first. */
  readonly vlanIds: readonly number[];
  /** The innermost EtherType (or SLL protocol; 0x0800/0x86dd implied for RAW/NULL), null if unknown. */
  readonly etherType: number | null;
  readonly network: "ipv4" | "ipv6" | "arp" | null;
  /** IPv4 (and ARP) addresses as numbers. */
  readonly src4: Ipv4 | null;
  readonly dst4: Ipv4 | null;
  /** IPv6 addresses, RFC 5952 text. */
  readonly src6: string | null;
  readonly dst6: string | null;
  /** IP protocol / final IPv6 next header (after the extension headers that were captured). */
  readonly ipProto: number | null;
  /** A non-first IPv4/IPv6 fragment (no transport header). */
  readonly fragment: boolean;
  readonly srcPort: number | null;
  readonly dstPort: number | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  readonly tcpFlags: number | null;
  /** The protocol stack, outermost first, with tshark's short names (eth, vlan, ip, ipv6, arp, tcp, …). */
  readonly layers: readonly string[];
  /** The highest layer name (`layers[layers.length - 1]`). */
  readonly protocol: string;
}

const IP_PROTO_NAMES: Record<number, string> = {
  1: "icmp",
  2: "igmp",
  6: "tcp",
  17: "udp",
  41: "ipv6",
  4: "ip",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "icmpv6",
  103: "pim",
  112: "vrrp",
  132: "sctp",
};
const IPV6_EXT = new Set([0, 43, 44, 60, 135, 139, 140, 253, 254]);

type Mut = { -readonly [K in keyof PacketSummary]: PacketSummary[K] };

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Decodes `data` (captured bytes of a record with on-wire length `origLen`) for link type `linkType`. */
export function summarize(data: Uint8Array, origLen: number, linkType: number): PacketSummary {
  const s: Mut = {
    caplen: data.length,
    len: origLen,
    linkSrc: null,
    linkDst: null,
    vlanIds: [],
    etherType: null,
    network: null,
    src4: null,
    dst4: null,
    src6: null,
    dst6: null,
    ipProto: null,
    fragment: false,
    srcPort: null,
    dstPort: null,
    icmpType: null,
    icmpCode: null,
    tcpFlags: null,
    layers: [],
    protocol: "",
  };
  const layers: string[] = [];
  const n = data.length;
  let off = 0;
  let et = -1;
  switch (linkType & 0xffff) {
    case 1:
      layers.push("eth");
      if (n >= 14) {
        s.linkDst = readMac(data, 0);
        s.linkSrc = readMac(data, 6);
        et = u16(data, 12);
        off = 14;
        const vlans: number[] = [];
        while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && off + 4 <= n) {
          vlans.push(u16(data, off) & 0x0fff);
          layers.push(et === 0x88a8 ? "ieee8021ad" : "vlan");
          et = u16(data, off + 2);
          off += 4;
        }
        s.vlanIds = vlans;
        if (et === 0x8100 || et === 0x88a8 || et === 0x9100) et = -1;
        else if (et <= 1500) {
          layers.push("llc");
          et = -1;
        }
      }
      break;
    case 113:
      layers.push("sll");
      if (n >= 16) {
        et = u16(data, 14);
        off = 16;
      }
      break;
    case 0:
    case 108:
      layers.push("null");
      if (n >= 4) {
        const le = data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24);
        const be = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
        const af =
          (linkType & 0xffff) === 108 ? be : le === 2 || be === 2 ? 2 : [24, 28, 30].includes(le) ? 24 : be;
        et = af === 2 ? 0x0800 : af === 24 || af === 28 || af === 30 ? 0x86dd : -1;
        off = 4;
      }
      break;
    case 12:
    case 14:
    case 101:
      layers.push("raw");
      if (n >= 1) et = data[0] >> 4 === 4 ? 0x0800 : data[0] >> 4 === 6 ? 0x86dd : -1;
      break;
    case 228:
      layers.push("raw");
      et = 0x0800;
      break;
    case 229:
      layers.push("raw");
      et = 0x86dd;
      break;
    default:
      break;
  }
  if (et >= 0) s.etherType = et;
  if (et === 0x0806 || et === 0x8035) {
    layers.push(et === 0x0806 ? "arp" : "rarp");
    s.network = "arp";
    // Ethernet/IPv4 ARP: sender IP at 14, target IP at 24.
    if (off + 28 <= n && u16(data, off) === 1 && u16(data, off + 2) === 0x0800) {
      s.src4 = readIpv4(data, off + 14);
      s.dst4 = readIpv4(data, off + 24);
    }
  } else if (et === 0x0800 && off + 20 <= n && data[off] >> 4 === 4) {
    layers.push("ip");
    s.network = "ipv4";
    s.src4 = readIpv4(data, off + 12);
    s.dst4 = readIpv4(data, off + 16);
    const proto = data[off + 9];
    s.ipProto = proto;
    s.fragment = (u16(data, off + 6) & 0x1fff) !== 0;
    if (!s.fragment) transport(s, layers, data, off + 4 * (data[off] & 0xf), proto);
    else layers.push("data");
  } else if (et === 0x86dd && off + 40 <= n && data[off] >> 4 === 6) {
    layers.push("ipv6");
    s.network = "ipv6";
    s.src6 = formatIpv6Bytes(data, off + 8);
    s.dst6 = formatIpv6Bytes(data, off + 24);
    let nh = data[off + 6];
    let p = off + 40;
    let frag = false;
    for (let guard = 0; IPV6_EXT.has(nh) && guard < 64; guard++) {
      if (p + 8 > n) break;
      if (nh === 44) {
        frag = (u16(data, p + 2) & 0xfff8) !== 0;
        nh = data[p];
        p += 8;
      } else if (nh === 51) {
        const next = data[p];
        p += (data[p + 1] + 2) * 4;
        nh = next;
      } else {
        const next = data[p];
        p += (data[p + 1] + 1) * 8;
        nh = next;
      }
    }
    s.ipProto = nh;
    s.fragment = frag;
    if (!frag && !IPV6_EXT.has(nh)) transport(s, layers, data, p, nh);
  } else if (et >= 0 && et !== 0x0800 && et !== 0x86dd) {
    layers.push(`ethertype-0x${et.toString(16).padStart(4, "0")}`);
  }
  s.layers = layers;
  s.protocol = layers.length > 0 ? layers[layers.length - 1] : "unknown";
  return s;
}

function transport(s: Mut, layers: string[], b: Uint8Array, p: number, proto: number): void {
  layers.push(IP_PROTO_NAMES[proto] ?? `ip-proto-${proto}`);
  const n = b.length;
  if ((proto === 6 || proto === 17 || proto === 132) && p + 4 <= n) {
    s.srcPort = u16(b, p);
    s.dstPort = u16(b, p + 2);
    if (proto === 6 && p + 14 <= n) s.tcpFlags = b[p + 13];
  } else if ((proto === 1 || proto === 58) && p + 2 <= n) {
    s.icmpType = b[p];
    s.icmpCode = b[p + 1];
  }
}

/** Plain-JSON form of a summary (addresses as strings, absent fields omitted). */
export function summaryJson(s: PacketSummary): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.linkSrc !== null) o.linkSrc = formatMac(s.linkSrc);
  if (s.linkDst !== null) o.linkDst = formatMac(s.linkDst);
  if (s.vlanIds.length > 0) o.vlan = [...s.vlanIds];
  if (s.etherType !== null) o.etherType = s.etherType;
  if (s.network !== null) o.network = s.network;
  const src = summarySrc(s);
  const dst = summaryDst(s);
  if (src !== null) o.src = src;
  if (dst !== null) o.dst = dst;
  if (s.ipProto !== null) o.ipProto = s.ipProto;
  if (s.fragment) o.fragment = true;
  o.protocol = s.protocol;
  o.layers = s.layers.join(":");
  if (s.srcPort !== null) o.srcPort = s.srcPort;
  if (s.dstPort !== null) o.dstPort = s.dstPort;
  if (s.icmpType !== null) o.icmpType = s.icmpType;
  if (s.icmpCode !== null) o.icmpCode = s.icmpCode;
  if (s.tcpFlags !== null) o.tcpFlags = s.tcpFlags;
  return o;
}

/** The network-layer source as text (IPv4/ARP dotted quad or IPv6), or null. */
export function summarySrc(s: PacketSummary): string | null {
  return s.src4 !== null ? formatIpv4(s.src4) : s.src6;
}
export function summaryDst(s: PacketSummary): string | null {
  return s.dst4 !== null ? formatIpv4(s.dst4) : s.dst6;
}
