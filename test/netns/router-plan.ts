/**
 * The address plan of the router and NAT differential tests (QEMU-slirp-like LAN, TEST-NET-2 as the
 * "outside"), and how their outputs are compared: each frame printed as `tcpdump -e -vv -n` prints it plus
 * its bytes in hex, so a difference shows both what and where.
 */
import { expect } from "vitest";
import { TcpdumpPrinter } from "../../captures/print/index.js";
import { LinkType } from "../../captures/record.js";
import { readIpv4 } from "../../wire/addr.js";
import { checksumOk } from "../../wire/checksum.js";
import { IcmpType, isIcmpv4Error } from "../../wire/icmpv4.js";
import { IpProtocol } from "../../wire/ipv4.js";
import { l4ChecksumOk, pseudoV4 } from "../../wire/l4-checksum.js";
import { type CompareOptions, comparePort } from "../fidelity/compare.js";
import type { PortComparison } from "../fidelity/result.js";
import { eth, ip, ipOf, masked, OUTER_ID, OUTER_IP_CSUM } from "./frames.js";
import type { RouterSetup } from "./router-rig.js";

/** Router interface MACs (locally administered, fixed so both routers write the same bytes). */
export const R_LAN_MAC = "0a:00:00:00:01:01";
export const R_WAN_MAC = "0a:00:00:00:01:02";
export const R_LAN = "10.0.2.2";
export const R_WAN = "198.51.100.2";

/** A host the tests send as: its address and MAC. */
export interface Host {
  readonly ip: string;
  readonly mac: string;
}

/** Hosts: two LAN guests, a server outside, a gateway and a second gateway beyond the wan side. */
export const H15: Host = { ip: "10.0.2.15", mac: "02:00:00:00:00:0f" };
export const H16: Host = { ip: "10.0.2.16", mac: "02:00:00:00:00:10" };
export const SRV: Host = { ip: "198.51.100.10", mac: "02:00:00:00:01:0a" };
export const GW1: Host = { ip: "198.51.100.1", mac: "02:00:00:00:01:01" };
export const GW3: Host = { ip: "198.51.100.3", mac: "02:00:00:00:01:03" };

/** The base router: forwarding on, both sides /24, every host above as a PERMANENT neighbour. */
export function baseSetup(over: Partial<RouterSetup> = {}): RouterSetup {
  return {
    forwarding: true,
    lan: { cidr: `${R_LAN}/24`, mac: R_LAN_MAC },
    wan: { cidr: `${R_WAN}/24`, mac: R_WAN_MAC },
    neighbours: [
      { side: "lan", address: H15.ip, mac: H15.mac },
      { side: "lan", address: H16.ip, mac: H16.mac },
      { side: "wan", address: SRV.ip, mac: SRV.mac },
      { side: "wan", address: GW1.ip, mac: GW1.mac },
      { side: "wan", address: GW3.ip, mac: GW3.mac },
    ],
    ...over,
  };
}

/** A frame from a LAN host to the router's LAN MAC. */
export function fromLan(host: { readonly mac: string }, packet: Uint8Array): Uint8Array {
  return eth(R_LAN_MAC, host.mac, packet);
}

/** A frame from a WAN host to the router's WAN MAC. */
export function fromWan(host: { readonly mac: string }, packet: Uint8Array): Uint8Array {
  return eth(R_WAN_MAC, host.mac, packet);
}

/**
 * One frame as text: tcpdump's `-e -vv -n` lines, then the bytes in hex. A printer per frame, so TCP
 * sequence numbers print absolute (a shared printer would print them relative to earlier frames).
 */
export function frameText(f: Uint8Array): string {
  const printer = new TcpdumpPrinter({ linkHeader: true, verbose: 2, time: "none", number: false });
  const line = printer
    .format(
      {
        tsSec: 0,
        tsFrac: 0,
        fracDigits: 6,
        linkType: LinkType.ETHERNET,
        iface: 0,
        origLen: f.byteLength,
        data: f,
      },
      1,
    )
    .trim()
    .replace(/\s*\n\s*/g, " / ");
  return `${line}\n${Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("hex")}`;
}

const ROUTER_ADDRS = new Set<number>([ip(R_LAN), ip(R_WAN)]);

/** True for an ICMP error the router itself generated (outer source = one of its addresses). */
export function isRouterIcmpError(f: Uint8Array): boolean {
  const t = routerIcmpType(f);
  return t !== null && isIcmpv4Error(t);
}

/** The ICMP type of a frame the router itself sent from one of its addresses; null for anything else. */
function routerIcmpType(f: Uint8Array): number | null {
  if (f.byteLength < 34 || f[12] !== 0x08 || f[13] !== 0x00) return null;
  const p = ipOf(f);
  if (p[9] !== IpProtocol.ICMP || !ROUTER_ADDRS.has(readIpv4(p, 12))) return null;
  const icmp = p.subarray((p[0] & 15) * 4);
  return icmp.byteLength >= 8 ? icmp[0] : null;
}

/**
 * The frame as compared: ICMP errors and echo replies the router generated get their IP ID and header
 * checksum zeroed (Linux sends both DF clear and draws the ID of such a locally generated packet from a
 * hashed, randomly keyed counter, `ip_select_ident`); everything else is compared byte for byte.
 * `checksumProblems` checks the masked fields' checksum on each side separately.
 */
export function comparable(f: Uint8Array): Uint8Array {
  const t = routerIcmpType(f);
  return t !== null && (isIcmpv4Error(t) || t === IcmpType.EchoReply)
    ? masked(f, [OUTER_ID, OUTER_IP_CSUM])
    : f;
}

/** Frames of one side, as compared and printed. */
export function sideText(frames: readonly Uint8Array[]): string[] {
  return frames.map((f) => frameText(comparable(f)));
}

/** The frames a router sent out of each side. */
export interface Sides {
  readonly lan: readonly Uint8Array[];
  readonly wan: readonly Uint8Array[];
}

/** What `comparable` masks, as the fidelity table lists it. */
export const ROUTER_MASKED =
  "IP ID + header checksum of ICMP errors and echo replies the router generates (ip_select_ident)";

/** The fidelity comparison of both sides (`lan`, `wan`), frames as compared (sideText). */
export function sidePorts(oracle: Sides, vnet: Sides, opts: CompareOptions = {}): PortComparison[] {
  return [
    comparePort("lan", sideText(oracle.lan), sideText(vnet.lan), opts),
    comparePort("wan", sideText(oracle.wan), sideText(vnet.wan), opts),
  ];
}

/** Counter changes as comparable lines (`Ip:ForwDatagrams +5`), for a `counters` port of the table. */
export function counterLines(counters: Readonly<Record<string, number>>): string[] {
  return Object.entries(counters).map(([k, v]) => `${k} ${v >= 0 ? "+" : ""}${v}`);
}

/** Asserts that every frame out of either side has checksums that verify (see checksumProblems). */
export function expectChecksumsOk(o: Sides): void {
  for (const f of [...o.lan, ...o.wan]) expect(checksumProblems(f)).toEqual([]);
}

/** Asserts that `got` sent what `want` sent out of each side, frame by frame, as compared (sideText). */
export function expectSameSides(got: Sides, want: Sides): void {
  expect({ lan: sideText(got.lan), wan: sideText(got.wan) }).toEqual({
    lan: sideText(want.lan),
    wan: sideText(want.wan),
  });
}

/**
 * Checksums that do not verify in `f`: IPv4 header; TCP/UDP/ICMP of a whole (unfragmented) packet; and
 * for an ICMP error quoting a whole datagram, the quoted header and its TCP/UDP/ICMP checksum. Empty when
 * all is well.
 */
export function checksumProblems(f: Uint8Array): string[] {
  const bad: string[] = [];
  if (f[12] !== 0x08 || f[13] !== 0x00) return bad;
  const p = ipOf(f);
  check(p, "", bad);
  return bad;
}

function check(p: Uint8Array, where: string, bad: string[]): void {
  const hl = (p[0] & 15) * 4;
  if (!checksumOk(p.subarray(0, hl))) bad.push(`${where}ip header`);
  const total = (p[2] << 8) | p[3];
  const fragmented = (((p[6] & 0x3f) << 8) | p[7]) !== 0; // MF set or a fragment offset
  if (fragmented || total > p.byteLength) return; // a fragment, or a quoted datagram cut short
  const l4 = p.subarray(hl, total);
  const proto = p[9];
  const ph = pseudoV4(readIpv4(p, 12), readIpv4(p, 16));
  if (proto === IpProtocol.UDP) {
    if (((l4[6] << 8) | l4[7]) !== 0 && !l4ChecksumOk(ph, proto, l4)) bad.push(`${where}udp`);
  } else if (proto === IpProtocol.TCP) {
    if (!l4ChecksumOk(ph, proto, l4)) bad.push(`${where}tcp`);
  } else if (proto === IpProtocol.ICMP) {
    if (!checksumOk(l4)) bad.push(`${where}icmp`);
    if (isIcmpv4Error(l4[0]) && l4.byteLength >= 28) check(l4.subarray(8), `${where}quoted `, bad);
  }
}

/** Every frame out of `side` whose ICMP type is `type` (outer header). */
export function icmpOfType(frames: readonly Uint8Array[], type: number): Uint8Array[] {
  return frames.filter((f) => {
    const p = ipOf(f);
    return p[9] === IpProtocol.ICMP && p[(p[0] & 15) * 4] === type;
  });
}

export const ICMP = IcmpType;
