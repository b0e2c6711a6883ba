/**
 * Link layers, as tcpdump 4.99.3 prints them: Ethernet (with 802.1Q / 802.1ad tags; print-ether.c),
 * Linux cooked SLL (print-sll.c), BSD NULL/LOOP (print-null.c) and raw IP (print-raw.c).
 * Each `*LinkPrint` returns the link-header length used by the -x/-X/-A dumps.
 */
import { LinkType } from "../record.js";
import { arpPrint } from "./arp.js";
import { need, type PrintContext, u8, u16 } from "./context.js";
import { ipPrint } from "./ip.js";
import { ip6Print } from "./ip6.js";
import { hex4, hexAsciiDump, macAt } from "./util.js";

const ETHERTYPE_NAMES = new Map<number, string>([
  [0x0800, "IPv4"],
  [0x8847, "MPLS unicast"],
  [0x8848, "MPLS multicast"],
  [0x86dd, "IPv6"],
  [0x8100, "802.1Q"],
  [0x9100, "802.1Q-9100"],
  [0x88a8, "802.1Q-QinQ"],
  [0x9200, "802.1Q-9200"],
  [0x88e5, "802.1AE MACsec"],
  [0x0200, "PUP"],
  [0x0806, "ARP"],
  [0x8035, "Reverse ARP"],
  [0x0600, "NS"],
  [0x1000, "Trail"],
  [0x6007, "SCA"],
  [0x6558, "TEB"],
  [0x809b, "Appletalk"],
  [0x80f3, "Appletalk ARP"],
  [0x8137, "IPX"],
  [0x880b, "PPP"],
  [0x8808, "MPCP"],
  [0x8809, "Slow Protocols"],
  [0x8863, "PPPoE D"],
  [0x8864, "PPPoE S"],
  [0x888e, "EAPOL"],
  [0x8899, "Realtek protocols"],
  [0x886f, "MS NLB heartbeat"],
  [0x8870, "Jumbo"],
  [0x894f, "NSH"],
  [0x9000, "Loopback"],
  [0x88cc, "LLDP"],
  [0x88a2, "AoE"],
  [0x88f7, "PTP"],
]);

/** tcpdump's name of an EtherType, if it has one. */
export function etherTypeName(type: number): string | undefined {
  return ETHERTYPE_NAMES.get(type);
}

/** `ethertype IPv4 (0x0800)` (or the -q form). */
export function etherTypeString(p: PrintContext, type: number): string {
  const name = ETHERTYPE_NAMES.get(type);
  if (!p.opts.quick) return `ethertype ${name ?? "Unknown"} (0x${hex4(type)})`;
  return name ?? `Unknown Ethertype (0x${hex4(type)})`;
}

function isVlanType(t: number): boolean {
  return t === 0x8100 || t === 0x9100 || t === 0x9200 || t === 0x88a8;
}

/** Dispatch on an EtherType (tcpdump's ethertype_print); returns false when the type is not printed here. */
export function ethertypePrint(p: PrintContext, type: number, b: Uint8Array, length: number): boolean {
  switch (type) {
    case 0x0800:
      ipPrint(p, b, length);
      return true;
    case 0x86dd:
      ip6Print(p, b, length);
      return true;
    case 0x0806:
    case 0x8035:
      arpPrint(p, b, length);
      return true;
    default:
      return false;
  }
}

/** The default dump of an undecoded payload (tcpdump's ND_DEFAULTPRINT), unless -x/-X/-A is on. */
export function defaultPrint(p: PrintContext, b: Uint8Array, length: number): void {
  if (!p.suppressDefault) p.out(hexAsciiDump(b, 0, Math.min(length, b.byteLength)));
}

/**
 * An Ethernet frame: `b` the captured bytes, `length` the on-wire length. Returns the header length
 * (14 plus 4 per VLAN tag).
 */
export function etherPrint(p: PrintContext, b: Uint8Array, length: number): number {
  let caplen = b.byteLength;
  if (length < caplen) {
    p.out(`[length ${length} < caplen ${caplen}]`);
    p.invalid();
    return length;
  }
  if (caplen < 14) {
    p.proto = "ether";
    p.trunc();
    return caplen;
  }
  const origLength = length;
  const e = p.opts.linkHeader;
  if (e) p.out(`${macAt(b, 6)} > ${macAt(b, 0)}, `);
  let off = 12;
  let type = u16(b, off);
  length -= 14;
  caplen -= 14;
  off += 2;
  let printedLength = false;
  while (isVlanType(type)) {
    if (caplen < 4 || length < 4) {
      p.proto = "vlan";
      p.trunc();
      return off + Math.min(caplen, length);
    }
    if (e) {
      const tci = u16(b, off);
      p.out(etherTypeString(p, type));
      if (!printedLength) {
        p.out(`, length ${origLength}: `);
        printedLength = true;
      } else p.out(", ");
      p.out(`vlan ${tci & 0xfff}, p ${tci >>> 13}${tci & 0x1000 ? ", DEI" : ""}, `);
    }
    type = u16(b, off + 2);
    off += 4;
    length -= 4;
    caplen -= 4;
  }
  if (type <= 1500) {
    // 802.3 length field + LLC: not decoded here; print the header and dump the payload.
    if (length > type) length = type;
    if (e) {
      p.out("802.3");
      if (!printedLength) p.out(`, length ${length}: `);
    } else {
      p.out(`${macAt(b, 6)} > ${macAt(b, 0)}, `);
      p.out(`802.3, length ${length}: `);
    }
    p.proto = "llc";
    defaultPrint(p, b.subarray(off, off + Math.min(caplen, length)), length);
    return off;
  }
  if (e) {
    p.out(etherTypeString(p, type));
    p.out(printedLength ? ", " : `, length ${origLength}: `);
  }
  const payload = b.subarray(off);
  if (!ethertypePrint(p, type, payload, length)) {
    if (!e) {
      p.out(`${macAt(b, 6)} > ${macAt(b, 0)}, `);
      p.out(etherTypeString(p, type));
      p.out(`, length ${origLength}: `);
    }
    defaultPrint(p, payload, caplen);
  }
  return off;
}

const SLL_PKTTYPE = ["In", "B", "M", "P", "Out"];

function sllHeader(p: PrintContext, b: Uint8Array, length: number): void {
  const t = u16(b, 0);
  p.out(`${(SLL_PKTTYPE[t] ?? "?").padStart(3)} `);
  if (u16(b, 4) === 6) p.out(`${macAt(b, 6)} `);
  if (!p.opts.quick) {
    const et = u16(b, 14);
    if (et <= 1500) {
      p.out(et === 1 ? "802.3" : et === 4 ? "802.2" : `ethertype Unknown (0x${hex4(et)})`);
    } else p.out(`ethertype ${ETHERTYPE_NAMES.get(et) ?? "Unknown"} (0x${hex4(et)})`);
    p.out(`, length ${length}: `);
  }
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header). */
export function sllPrint(p: PrintContext, b: Uint8Array, length: number): number {
  p.proto = "sll";
  need(b, 0, 16);
  if (p.opts.linkHeader) sllHeader(p, b, length);
  let off = 16;
  length -= 16;
  let type = u16(b, 14);
  while (type === 0x8100) {
    p.proto = "vlan";
    const tci = u16(b, off);
    if (p.opts.linkHeader) p.out(`vlan ${tci & 0xfff}, p ${tci >>> 13}${tci & 0x1000 ? ", DEI" : ""}, `);
    type = u16(b, off + 2);
    if (p.opts.linkHeader) p.out(`${etherTypeString(p, type)}, `);
    off += 4;
    length -= 4;
  }
  const payload = b.subarray(off);
  if (type <= 1500) {
    defaultPrint(p, payload, payload.byteLength);
  } else if (!ethertypePrint(p, type, payload, length)) {
    if (!p.opts.linkHeader) sllHeader(p, b, length + 16);
    defaultPrint(p, payload, payload.byteLength);
  }
  return off;
}

const AF_NAMES = new Map<number, string>([
  [2, "IPv4"],
  [6, "NS"],
  [7, "ISO"],
  [16, "Appletalk"],
  [23, "IPX"],
  [24, "IPv6"],
  [28, "IPv6"],
  [30, "IPv6"],
]);

function nullHeader(p: PrintContext, family: number, length: number): void {
  if (!p.opts.quick) p.out(`AF ${AF_NAMES.get(family) ?? "Unknown"} (${family})`);
  else p.out(AF_NAMES.get(family) ?? `Unknown AF ${family}`);
  p.out(`, length ${length}: `);
}

/** BSD loopback (LINKTYPE_NULL: host byte order; LINKTYPE_LOOP: network byte order). */
export function nullPrint(p: PrintContext, b: Uint8Array, length: number): number {
  p.proto = "null";
  need(b, 0, 4);
  let family = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  if ((family & 0xffff0000) !== 0) family = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  if (p.opts.linkHeader) nullHeader(p, family, length);
  const payload = b.subarray(4);
  if (family === 2) ipPrint(p, payload, length - 4);
  else if (family === 24 || family === 28 || family === 30) ip6Print(p, payload, length - 4);
  else {
    if (!p.opts.linkHeader) nullHeader(p, family, length);
    defaultPrint(p, payload, payload.byteLength);
  }
  return 4;
}

/** Raw IP (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6): the version nibble decides. */
export function rawPrint(p: PrintContext, b: Uint8Array, length: number): number {
  p.proto = "raw";
  if (p.opts.linkHeader) p.out("ip: ");
  p.proto = "ipn";
  if (length < 1) {
    p.out(`truncated-ip ${length}`);
    return 0;
  }
  const v = u8(b, 0) & 0xf0;
  if (v === 0x40) ipPrint(p, b, length);
  else if (v === 0x60) ip6Print(p, b, length);
  else p.out(`unknown ip ${v >> 4}`);
  return 0;
}

/** Prints one record's link layer and everything above it; returns the link-header length. */
export function linkPrint(p: PrintContext, linkType: number, b: Uint8Array, length: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return etherPrint(p, b, length);
    case LinkType.LINUX_SLL:
      return sllPrint(p, b, length);
    case LinkType.NULL:
    case LinkType.LOOP:
      return nullPrint(p, b, length);
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return rawPrint(p, b, length);
    default:
      p.out(`[link type ${linkType} not decoded]`);
      defaultPrint(p, b, b.byteLength);
      return 0;
  }
}
