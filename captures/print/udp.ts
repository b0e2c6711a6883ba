/**
 * UDP as tcpdump 4.99.3 prints it (print-udp.c): addresses and ports, checksum at -v (-vv for IPv4),
 * and the payload printers vnet has: DNS (53, 5353), BOOTP/DHCP (67/68), DHCPv6 (546/547), VXLAN
 * (4789). Other ports print `UDP, length N`.
 */
import { printBootp } from "./bootp.js";
import { type PrintContext, u8, u16 } from "./context.js";
import { printDhcp6 } from "./dhcp6.js";
import { printDomain } from "./domain.js";
import { etherPrint } from "./ether.js";
import { cksumShouldBe, transportCksum } from "./ip.js";
import { HEX2, hex4, ip4At, ip6At } from "./util.js";

/** `src.sport > dst.dport: ` (or the address-only / port-only forms), as udpipaddr_print. */
function addrs(p: PrintContext, iph: Uint8Array, sport: number, dport: number): void {
  const v6 = iph[0] >> 4 === 6;
  const direct = v6 ? iph[6] === 17 : iph[9] === 17;
  if (direct) {
    const src = v6 ? ip6At(iph, 8) : ip4At(iph, 12);
    const dst = v6 ? ip6At(iph, 24) : ip4At(iph, 16);
    if (sport < 0) p.out(`${src} > ${dst}: `);
    else p.out(`${src}.${sport} > ${dst}.${dport}: `);
  } else if (sport >= 0) p.out(`${sport} > ${dport}: `);
}

function vxlanPrint(p: PrintContext, b: Uint8Array, len: number): void {
  p.proto = "vxlan";
  p.out("VXLAN");
  if (len < 8) {
    p.invalid();
    return;
  }
  const flags = u8(b, 0);
  p.out(`, flags [${flags & 0x08 ? "I" : "invalid"}] (0x${HEX2[flags]}), `);
  const vni = (u8(b, 4) << 16) | (u8(b, 5) << 8) | u8(b, 6);
  p.out(`vni ${vni}\n`);
  u8(b, 7);
  etherPrint(p, b.subarray(8), len - 8);
}

/** A UDP datagram: `b` captured bytes from the UDP header on, `length` the IP payload length. */
export function udpPrint(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  iph: Uint8Array,
  fragmented: boolean,
): void {
  p.proto = "udp";
  if (b.byteLength < 4) {
    addrs(p, iph, -1, -1);
    p.trunc();
    return;
  }
  const sport = u16(b, 0);
  const dport = u16(b, 2);
  if (length < 8) {
    addrs(p, iph, sport, dport);
    p.out(`truncated-udp ${length}`);
    return;
  }
  if (b.byteLength < 6) {
    addrs(p, iph, sport, dport);
    p.trunc();
    return;
  }
  let ulen = u16(b, 4);
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addrs(p, iph, sport, dport);
    p.out(`truncated-udplength ${ulen}`);
    return;
  }
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  if (b.byteLength < 8) {
    addrs(p, iph, sport, dport);
    p.trunc();
    return;
  }
  addrs(p, iph, sport, dport);
  const v6 = iph[0] >> 4 === 6;
  const payload = b.subarray(8);
  if (p.opts.verbose && !fragmented) {
    if (!v6 && p.opts.verbose > 1) {
      const field = u16(b, 6);
      if (field === 0) p.out("[no cksum] ");
      else if (length <= payload.byteLength) {
        const sum = transportCksum(iph, 17, b.subarray(0, length + 8));
        if (sum !== 0) p.out(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, sum))}!] `);
        else p.out("[udp sum ok] ");
      }
    } else if (v6 && length <= payload.byteLength) {
      const field = u16(b, 6);
      const sum = transportCksum(iph, 17, b.subarray(0, length + 8));
      if (sum !== 0) p.out(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, sum))}!] `);
      else p.out("[udp sum ok] ");
    }
  }
  if (!p.opts.quick) {
    const port = (n: number): boolean => sport === n || dport === n;
    if (port(53)) {
      printDomain(p, payload, length, false);
      return;
    }
    if (port(5353)) {
      printDomain(p, payload, length, false, true);
      return;
    }
    if (port(67) || port(68)) {
      printBootp(p, payload, length);
      return;
    }
    if (port(546) || port(547)) {
      printDhcp6(p, payload, length);
      return;
    }
    if (port(4789)) {
      vxlanPrint(p, payload, length);
      return;
    }
  }
  if (ulen > length && !fragmented) p.out(`UDP, bad length ${ulen} > ${length}`);
  else p.out(`UDP, length ${ulen}`);
}
