/**
 * IPv4 (print-ip.c), the IP next-protocol demultiplexer shared with IPv6 (print-ip-demux.c) and AH
 * (print-ah.c), as tcpdump 4.99.3 prints them.
 */
import { readIpv4 } from "../../wire/addr.js";
import { internetChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6 } from "../../wire/checksum.js";
import { localCatch, type PrintContext, Truncated, TruncatedHere, tcheck, u8, u16, u32 } from "./context.js";
import { icmpPrint } from "./icmp.js";
import { icmp6Print } from "./icmp6.js";
import { ip6Print } from "./ip6.js";
import { tcpPrint } from "./tcp.js";
import { udpPrint } from "./udp.js";
import { bitNames, HEX2, hex, ip4At } from "./util.js";

export const IPPROTO_NAMES = new Map<number, string>([
  [0, "Options"],
  [1, "ICMP"],
  [2, "IGMP"],
  [4, "IPIP"],
  [6, "TCP"],
  [8, "EGP"],
  [9, "IGRP"],
  [17, "UDP"],
  [33, "DCCP"],
  [41, "IPv6"],
  [43, "Routing"],
  [44, "Fragment"],
  [46, "RSVP"],
  [47, "GRE"],
  [50, "ESP"],
  [51, "AH"],
  [55, "Mobile IP"],
  [58, "ICMPv6"],
  [62, "Mobile IP (old)"],
  [88, "EIGRP"],
  [89, "OSPF"],
  [103, "PIM"],
  [108, "Compressed IP"],
  [112, "VRRP"],
  [113, "PGM"],
  [132, "SCTP"],
  [135, "Mobility"],
  [143, "Ethernet"],
]);

/** `in_cksum_shouldbe`: the value the checksum field should have held, given the field and the computed sum. */
export function cksumShouldBe(field: number, computed: number): number {
  let s = field + computed;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}

/**
 * The transport checksum over the pseudo-header of `iph` (IPv4 or IPv6 header start) and `seg`
 * (the whole segment, checksum field included): 0 when it verifies (tcpdump's in_cksum result).
 */
export function transportCksum(iph: Uint8Array, proto: number, seg: Uint8Array): number {
  const len = seg.byteLength;
  let pseudo: number;
  if (iph[0] >> 4 === 6) {
    const dst = ip6FinalDst(iph);
    pseudo = pseudoHeaderSumV6(iph.subarray(8, 24), iph.subarray(dst, dst + 16), proto, len);
  } else {
    pseudo = pseudoHeaderSumV4(readIpv4(iph, 12), readIpv4(iph, 16), proto, len);
  }
  return internetChecksum(seg, pseudo);
}

/**
 * Offset in `iph` of the IPv6 destination the pseudo-header uses: the last address of a type 0/2
 * routing header when there is one (tcpdump's ip6_finddst), else the header's own destination.
 */
function ip6FinalDst(iph: Uint8Array): number {
  let nh = iph[6];
  let cp = 40;
  for (;;) {
    if (cp + 2 > iph.byteLength) return 24;
    if (nh === 0 || nh === 60 || nh === 51) {
      const len = nh === 51 ? (iph[cp + 1] + 2) * 4 : (iph[cp + 1] + 1) * 8;
      nh = iph[cp];
      cp += len;
      continue;
    }
    if (nh === 43) {
      if (cp + 4 > iph.byteLength) return 24;
      const type = iph[cp + 2];
      const n = iph[cp + 1] >> 1;
      if ((type === 0 || type === 2) && n > 0) {
        const at = cp + 8 + (n - 1) * 16;
        if (at + 16 <= iph.byteLength) return at;
      }
      return 24;
    }
    return 24;
  }
}

/** Where the IPv4/IPv6 header of the packet being printed is (TCP/UDP print addresses and check sums from it). */
export function ipVersion(iph: Uint8Array): number {
  return iph[0] >> 4;
}

function ipPrintRoute(p: PrintContext, b: Uint8Array, off: number, length: number): void {
  if (length < 3) {
    p.out(` [bad length ${length}]`);
    return;
  }
  if ((length + 1) & 3) p.out(` [bad length ${length}]`);
  const ptr = u8(b, off + 2) - 1;
  if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) p.out(` [bad ptr ${u8(b, off + 2)}]`);
  for (let len = 3; len < length; len += 4) {
    tcheck(b, off + len, 4);
    p.out(` ${ip4At(b, off + len)}`);
    if (ptr > len) p.out(",");
  }
}

function ipPrintTs(p: PrintContext, b: Uint8Array, off: number, length: number): void {
  if (length < 4) {
    p.out(`[bad length ${length}]`);
    return;
  }
  p.out(" TS{");
  const flags = u8(b, off + 3);
  const hoplen = (flags & 0xf) !== 0 ? 8 : 4;
  if ((length - 4) & (hoplen - 1)) p.out(`[bad length ${length}]`);
  const ptr = u8(b, off + 2) - 1;
  let len = 0;
  if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) p.out(`[bad ptr ${u8(b, off + 2)}]`);
  const kind = flags & 0xf;
  if (kind === 0) p.out("TSONLY");
  else if (kind === 1) p.out("TS+ADDR");
  else if (kind === 3) p.out("PRESPEC");
  else p.out(`[bad ts type ${kind}]`);
  if (kind === 0 || kind === 1 || kind === 3) {
    let type = " ";
    for (len = 4; len < length; len += hoplen) {
      if (ptr === len) type = " ^ ";
      tcheck(b, off + len, hoplen);
      p.out(`${type}${u32(b, off + len + hoplen - 4)}@${hoplen !== 8 ? "" : ip4At(b, off + len)}`);
      type = " ";
    }
  }
  p.out(ptr === len ? " ^ " : "");
  if (flags >> 4) p.out(` [${flags >> 4} hops not recorded]} `);
  else p.out("}");
}

const IPOPT_NAMES = new Map<number, string>([
  [0, "EOL"],
  [1, "NOP"],
  [68, "timestamp"],
  [130, "security"],
  [7, "RR"],
  [137, "SSRR"],
  [131, "LSRR"],
  [148, "RA"],
  [82, "traceroute"],
]);

/** ip_optprint: false when the options run past the captured data. */
function ipOptPrint(p: PrintContext, b: Uint8Array, off: number, length: number): boolean {
  let sep = "";
  try {
    while (length > 0) {
      p.out(sep);
      sep = ",";
      const code = u8(b, off);
      p.out(IPOPT_NAMES.get(code) ?? `unknown ${code}`);
      let olen: number;
      if (code === 0 || code === 1) olen = 1;
      else {
        olen = u8(b, off + 1);
        if (olen < 2) {
          p.out(` [bad length ${olen}]`);
          return true;
        }
      }
      if (olen > length) {
        p.out(` [bad length ${olen}]`);
        return true;
      }
      tcheck(b, off, olen);
      if (code === 0) return true;
      if (code === 68) ipPrintTs(p, b, off, olen);
      else if (code === 7 || code === 137 || code === 131) ipPrintRoute(p, b, off, olen);
      else if (code === 148) {
        if (olen < 4) p.out(` [bad length ${olen}]`);
        else {
          tcheck(b, off + 3, 1);
          const v = u16(b, off + 2);
          if (v !== 0) p.out(` value ${v}`);
        }
      }
      off += olen;
      length -= olen;
    }
  } catch (e) {
    if (e instanceof TruncatedHere) return false;
    throw e;
  }
  return true;
}

const IP_FRAG_BITS: readonly (readonly [number, string])[] = [
  [0x2000, "+"],
  [0x4000, "DF"],
  [0x8000, "rsvd"],
];

/** An IPv4 packet: `b` its captured bytes, `length` what the layer below claims. */
export function ipPrint(p: PrintContext, b: Uint8Array, length: number): void {
  p.proto = "ip";
  try {
    ipBody(p, b, length);
  } catch (e) {
    localCatch(p, "ip", e);
  }
}

function ipBody(p: PrintContext, b: Uint8Array, length: number): void {
  const v = u8(b, 0) >> 4;
  if (v !== 4) {
    p.out(v === 6 ? "IP6, wrong link-layer encapsulation" : `IP${v}`);
    p.invalid();
    return;
  }
  if (!p.opts.linkHeader) p.out("IP ");
  tcheck(b, 0, 20);
  if (length < 20) {
    p.out(`truncated-ip ${length}`);
    return;
  }
  const hlen = (b[0] & 0x0f) * 4;
  if (hlen < 20) {
    p.out(`bad-hlen ${hlen}`);
    return;
  }
  let len = u16(b, 2);
  if (length < len) p.out(`truncated-ip - ${len - length} bytes missing! `);
  if (len < hlen) {
    p.out(`bad-len ${len}`);
    return;
  }
  // Cut the snapshot to the end of the IP datagram (nd_push_snaplen).
  if (b.byteLength > len) b = b.subarray(0, len);
  len -= hlen;
  const off = u16(b, 6);
  const proto = b[9];
  let truncatedOpts = false;
  if (p.opts.verbose) {
    const tos = b[1];
    p.out(`(tos 0x${hex(tos)}`);
    const ecn = tos & 3;
    if (ecn === 1) p.out(",ECT(1)");
    else if (ecn === 2) p.out(",ECT(0)");
    else if (ecn === 3) p.out(",CE");
    const ttl = b[8];
    if (ttl >= 1) p.out(`, ttl ${ttl}`);
    p.out(
      `, id ${u16(b, 4)}, offset ${(off & 0x1fff) * 8}, flags [${bitNames(IP_FRAG_BITS, "none", off & 0xe000)}], proto ${
        IPPROTO_NAMES.get(proto) ?? "unknown"
      } (${proto}), length ${u16(b, 2)}`,
    );
    if (hlen > 20) {
      p.out(", options (");
      if (!ipOptPrint(p, b, 20, hlen - 20)) {
        p.out(" [truncated-option]");
        truncatedOpts = true;
      }
      p.out(")");
    }
    if (hlen <= b.byteLength) {
      const sum = internetChecksum(b.subarray(0, hlen));
      if (sum !== 0) {
        const field = u16(b, 10);
        p.out(`, bad cksum ${hex(field)} (->${hex(cksumShouldBe(field, sum))})!`);
      }
    }
    p.out(")\n    ");
    if (truncatedOpts) {
      p.out(`${ip4At(b, 12)} > ${ip4At(b, 16)}: `);
      p.trunc();
      return;
    }
  }
  if ((off & 0x1fff) === 0) {
    if (proto !== 6 && proto !== 17 && proto !== 132 && proto !== 33)
      p.out(`${ip4At(b, 12)} > ${ip4At(b, 16)}: `);
    if (b.byteLength < hlen) {
      p.out(` [remaining caplen(${b.byteLength}) < header length(${hlen})]`);
      throw new Truncated(b.byteLength);
    }
    ipDemux(p, b.subarray(hlen), len, 4, (off & 0x2000) !== 0, proto, b);
  } else {
    p.out(`${ip4At(b, 12)} > ${ip4At(b, 16)}: ip-proto-${proto}`);
  }
}

/** AH (RFC 4302) header; returns its length. */
function ahPrint(p: PrintContext, b: Uint8Array): number {
  p.proto = "ah";
  p.out("AH");
  const ahLen = u8(b, 1);
  const hdrLen = (ahLen + 2) * 4;
  p.out("(");
  if (p.opts.verbose) p.out(`length=${ahLen}(${hdrLen}-bytes),`);
  const reserved = u16(b, 2);
  if (reserved) p.out(`reserved=0x${hex(reserved)}[MustBeZero],`);
  const spi = u32(b, 4);
  p.out(
    `spi=0x${HEX2[spi >>> 24]}${HEX2[(spi >>> 16) & 0xff]}${HEX2[(spi >>> 8) & 0xff]}${HEX2[spi & 0xff]},`,
  );
  p.out(`seq=0x${hex(u32(b, 8))},icv=0x`);
  for (let i = 12; i < hdrLen; i++) p.out(HEX2[u8(b, i)]);
  p.out("): ");
  return hdrLen;
}

/**
 * The next-protocol dispatch after an IPv4 header or the IPv6 extension-header chain (tcpdump's
 * ip_demux_print). `iph` is the IP header (for addresses and pseudo-header sums).
 */
export function ipDemux(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  ver: number,
  fragmented: boolean,
  nh: number,
  iph: Uint8Array,
): void {
  for (;;) {
    switch (nh) {
      case 51: {
        if (b.byteLength < 1) {
          p.proto = "ah";
          p.trunc();
          return;
        }
        nh = b[0];
        const adv = ahPrint(p, b);
        if (adv <= 0) return;
        b = b.subarray(Math.min(adv, b.byteLength));
        length -= adv;
        continue;
      }
      case 6:
        tcpPrint(p, b, length, iph, fragmented);
        return;
      case 17:
        udpPrint(p, b, length, iph, fragmented);
        return;
      case 1:
        if (ver === 4) icmpPrint(p, b, length, iph, fragmented);
        else {
          p.out("[ICMP requires IPv4]");
          p.invalid();
        }
        return;
      case 58:
        if (ver === 6) icmp6Print(p, b, length, iph, fragmented);
        else {
          p.out("[ICMPv6 requires IPv6]");
          p.invalid();
        }
        return;
      case 4:
        ipPrint(p, b, length);
        return;
      case 41:
        ip6Print(p, b, length);
        return;
      case 59:
        p.out("no next header");
        return;
      case 77:
        p.out(` nd ${length}`);
        return;
      default:
        p.out(` ip-proto-${nh} ${length}`);
        return;
    }
  }
}
