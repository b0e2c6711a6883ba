/**
 * Builds examples/quickstart.pcap: what one VM sees on a NAT network laid out like QEMU's user
 * networking ("slirp": 10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, guest 10.0.2.15), made only with
 * vnet's own emitters (wire/) and pcap writer (captures/writer.ts). Nothing is copied from another
 * capture; nothing reads a clock or draws a random number, so every run gives the same bytes.
 *
 * The story, frame by frame, is in examples/README.md. Run it with
 *   npm run build && node dist/scripts/make-quickstart.js [output.pcap]
 * (default output: examples/quickstart.pcap in the repository).
 */
import { writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LinkType } from "../captures/record.js";
import { PcapWriter } from "../captures/writer.js";
import {
  type Ipv4,
  type Ipv6,
  parseIpv4Address as ip4,
  parseIpv6Address as ip6,
  type Mac,
  parseMac,
} from "../wire/addr.js";
import { ArpOperation, ArpPacket, type ArpRepr, arpBufferLen, emitArp } from "../wire/arp.js";
import { BOOTP_MIN_LEN, buildDhcp, DhcpMessageType, dhcpOption, encodeDhcp } from "../wire/dhcp.js";
import { DnsType, dnsQuery, dnsRecord, dnsResponse, encodeDns } from "../wire/dns.js";
import { ETHERNET_HEADER_LEN, EthernetFrame, EtherType, emitEthernet } from "../wire/ethernet.js";
import {
  emitIcmpv4,
  IcmpUnreachableCode,
  Icmpv4Packet,
  type Icmpv4Repr,
  icmpv4BufferLen,
} from "../wire/icmpv4.js";
import { emitIcmpv6, Icmpv6Packet, type Icmpv6Repr, icmpv6BufferLen, PrefixFlag } from "../wire/icmpv6.js";
import {
  emitIpv4,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4BufferLen,
  ipv4HeaderLen,
} from "../wire/ipv4.js";
import { emitIpv6, IPV6_HEADER_LEN, Ipv6Packet, ipv6BufferLen } from "../wire/ipv6.js";
import { type PseudoHeader, pseudoV4, pseudoV6 } from "../wire/l4-checksum.js";
import { emitTcp, TcpFlag, type TcpOption, TcpPacket, type TcpRepr, tcpBufferLen } from "../wire/tcp.js";
import { emitUdp, UdpPacket, type UdpRepr, udpBufferLen } from "../wire/udp.js";
import { pushTag, VlanTpid } from "../wire/vlan.js";

// ---------------------------------------------------------------------------------------------------
// The network (QEMU user networking's address plan; the MACs follow its 52:55:<IPv4> convention).

const GUEST_MAC = parseMac("52:54:00:12:34:56");
const GW_MAC = parseMac("52:55:0a:00:02:02");
const DNS_MAC = parseMac("52:55:0a:00:02:03");
const BROADCAST_MAC = parseMac("ff:ff:ff:ff:ff:ff");
const ALL_ROUTERS_MAC = parseMac("33:33:00:00:00:02");
const ALL_NODES_MAC = parseMac("33:33:00:00:00:01");

const ANY = ip4("0.0.0.0");
const BROADCAST = ip4("255.255.255.255");
const GUEST = ip4("10.0.2.15");
const GATEWAY = ip4("10.0.2.2");
const DNS = ip4("10.0.2.3");
const NETMASK = ip4("255.255.255.0");
/** The web server `vnet.example` resolves to (TEST-NET-1, RFC 5737), reached through the NAT. */
const SERVER = ip4("192.0.2.10");
const SERVER6 = ip6("2001:db8::10");

const GUEST_LL = ip6("fe80::5054:ff:fe12:3456");
const GW_LL = ip6("fe80::2");
const ALL_ROUTERS = ip6("ff02::2");
const ALL_NODES = ip6("ff02::1");
const SLIRP_PREFIX6 = ip6("fec0::");
const SLIRP_DNS6 = ip6("fec0::3");

/** On VLAN 10 the guest has a second interface (eth0.10) with this address, asking for its router. */
const VLAN_ID = 10;
const GUEST_V10 = ip4("192.168.10.15");
const ROUTER_V10 = ip4("192.168.10.1");

/** 2026-01-01T00:00:00Z. */
const START_SEC = 1_767_225_600;

// ---------------------------------------------------------------------------------------------------
// Frame builders: each layer is written by its wire/ emitter into a buffer sized by that emitter.

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/** An Ethernet II frame; `minLen` pads with zeros (frames from the gateway side come padded to 60). */
function ether(dst: Mac, src: Mac, etherType: number, payload: Uint8Array, minLen = 0): Uint8Array {
  const b = new Uint8Array(Math.max(ETHERNET_HEADER_LEN + payload.byteLength, minLen));
  emitEthernet({ dst, src, etherType }, EthernetFrame.unchecked(b));
  b.set(payload, ETHERNET_HEADER_LEN);
  return b;
}

interface V4 {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly protocol: number;
  readonly ident: number;
  readonly ttl?: number;
  readonly df?: boolean;
  /** The whole TOS byte (DSCP << 2 | ECN). */
  readonly tos?: number;
}

function ipv4(h: V4, payload: Uint8Array): Uint8Array {
  const tos = h.tos ?? 0;
  const r: Ipv4Repr = {
    dscp: tos >>> 2,
    ecn: tos & 3,
    ident: h.ident,
    reservedFlag: false,
    dontFrag: h.df ?? false,
    moreFrags: false,
    fragOffset: 0,
    ttl: h.ttl ?? 64,
    protocol: h.protocol,
    src: h.src,
    dst: h.dst,
    options: EMPTY,
    payloadLen: payload.byteLength,
  };
  const b = new Uint8Array(ipv4BufferLen(r));
  emitIpv4(r, Ipv4Packet.unchecked(b));
  b.set(payload, ipv4HeaderLen(r));
  return b;
}

function udp(ip: PseudoHeader, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const r: UdpRepr = { srcPort, dstPort, payload };
  const b = new Uint8Array(udpBufferLen(r));
  emitUdp(r, UdpPacket.unchecked(b), ip);
  return b;
}

function udp4(h: Omit<V4, "protocol">, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return ipv4({ ...h, protocol: IpProtocol.UDP }, udp(pseudoV4(h.src, h.dst), srcPort, dstPort, payload));
}

function icmp4(h: Omit<V4, "protocol">, r: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4BufferLen(r));
  emitIcmpv4(r, Icmpv4Packet.unchecked(b));
  return ipv4({ ...h, protocol: IpProtocol.ICMP }, b);
}

function arp(r: ArpRepr): Uint8Array {
  const b = new Uint8Array(arpBufferLen(r));
  emitArp(r, ArpPacket.unchecked(b));
  return b;
}

/** An ICMPv6 message in an IPv6 header (hop limit 255, as Neighbor Discovery requires). */
function icmp6(src: Ipv6, dst: Ipv6, r: Icmpv6Repr): Uint8Array {
  const msg = new Uint8Array(icmpv6BufferLen(r));
  emitIcmpv6(r, Icmpv6Packet.unchecked(msg), pseudoV6(src, dst));
  const ip = { trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.ICMPv6, hopLimit: 255, src, dst };
  const b = new Uint8Array(ipv6BufferLen({ ...ip, payloadLen: msg.byteLength }));
  emitIpv6({ ...ip, payloadLen: msg.byteLength }, Ipv6Packet.unchecked(b));
  b.set(msg, IPV6_HEADER_LEN);
  return b;
}

interface TcpSeg {
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
  readonly payload?: Uint8Array;
}

function tcp4(h: Omit<V4, "protocol">, srcPort: number, dstPort: number, s: TcpSeg): Uint8Array {
  const r: TcpRepr = {
    srcPort,
    dstPort,
    seq: s.seq >>> 0,
    ack: s.ack >>> 0,
    flags: s.flags,
    window: s.window,
    urgentPointer: 0,
    options: s.options,
    payload: s.payload ?? EMPTY,
  };
  const b = new Uint8Array(tcpBufferLen(r));
  emitTcp(r, TcpPacket.unchecked(b), pseudoV4(h.src, h.dst));
  return ipv4({ ...h, protocol: IpProtocol.TCP, df: true }, b);
}

// ---------------------------------------------------------------------------------------------------
// The conversation.

/** One frame of the capture: microseconds after START_SEC, and the Ethernet frame. */
export interface QuickstartFrame {
  readonly us: number;
  readonly frame: Uint8Array;
}

/** The DHCP options a Linux guest (ISC dhclient) asks for in option 55, in dhclient's order. */
const LINUX_PARAMETER_REQUEST_LIST = [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42];

function dhcpFrames(): QuickstartFrame[] {
  const xid = 0x3903f326;
  const client = { chaddr: GUEST_MAC, xid };
  const clientOptions = [
    dhcpOption.hostname("vm"),
    dhcpOption.parameterRequestList(LINUX_PARAMETER_REQUEST_LIST),
  ];
  // QEMU's built-in DHCP server answers with these options, in this order, padded to 548 bytes.
  const serverOptions = [
    dhcpOption.serverId(GATEWAY),
    dhcpOption.subnetMask(NETMASK),
    dhcpOption.routers(GATEWAY),
    dhcpOption.dnsServers(DNS),
    dhcpOption.leaseTime(86400),
  ];
  const server = { ...client, yiaddr: GUEST, siaddr: GATEWAY, options: serverOptions, minLength: 548 };
  const fromGuest = (m: Uint8Array, ident: number) =>
    ether(
      BROADCAST_MAC,
      GUEST_MAC,
      EtherType.IPv4,
      udp4({ src: ANY, dst: BROADCAST, ident, tos: 0x10 }, 68, 67, m),
    );
  const fromServer = (m: Uint8Array, ident: number) =>
    ether(BROADCAST_MAC, GW_MAC, EtherType.IPv4, udp4({ src: GATEWAY, dst: BROADCAST, ident }, 67, 68, m));
  const discover = buildDhcp({ ...client, messageType: DhcpMessageType.Discover, options: clientOptions });
  const offer = buildDhcp({ ...server, messageType: DhcpMessageType.Offer });
  const request = buildDhcp({
    ...client,
    secs: 1,
    messageType: DhcpMessageType.Request,
    options: [dhcpOption.serverId(GATEWAY), dhcpOption.requestedIp(GUEST), ...clientOptions],
    minLength: BOOTP_MIN_LEN,
  });
  const ack = buildDhcp({ ...server, messageType: DhcpMessageType.Ack });
  return [
    { us: 0, frame: fromGuest(encodeDhcp(discover), 0) },
    { us: 412, frame: fromServer(encodeDhcp(offer), 1) },
    { us: 1_003_120, frame: fromGuest(encodeDhcp(request), 0) },
    { us: 1_003_530, frame: fromServer(encodeDhcp(ack), 2) },
  ];
}

function ipv6RouterFrames(): QuickstartFrame[] {
  const rs: Icmpv6Repr = {
    kind: "router-solicit",
    code: 0,
    options: [{ kind: "source-lladdr", addr: GUEST_MAC }],
  };
  const ra: Icmpv6Repr = {
    kind: "router-advert",
    code: 0,
    hopLimit: 64,
    flags: 0,
    routerLifetime: 1800,
    reachableTime: 0,
    retransTimer: 0,
    options: [
      { kind: "source-lladdr", addr: GW_MAC },
      { kind: "mtu", mtu: 1500 },
      {
        kind: "prefix-info",
        prefixLength: 64,
        flags: PrefixFlag.OnLink | PrefixFlag.Autonomous,
        validLifetime: 86400,
        preferredLifetime: 14400,
        prefix: SLIRP_PREFIX6,
      },
      { kind: "rdnss", lifetime: 1800, servers: [SLIRP_DNS6] },
    ],
  };
  return [
    {
      us: 1_052_004,
      frame: ether(ALL_ROUTERS_MAC, GUEST_MAC, EtherType.IPv6, icmp6(GUEST_LL, ALL_ROUTERS, rs)),
    },
    { us: 1_052_391, frame: ether(ALL_NODES_MAC, GW_MAC, EtherType.IPv6, icmp6(GW_LL, ALL_NODES, ra)) },
  ];
}

/** ARP request from the guest and the (padded) reply. */
function arpExchange(us: number, target: Ipv4, targetMac: Mac): QuickstartFrame[] {
  const request = arp({
    operation: ArpOperation.Request,
    sha: GUEST_MAC,
    spa: GUEST,
    tha: 0 as Mac,
    tpa: target,
  });
  const reply = arp({
    operation: ArpOperation.Reply,
    sha: targetMac,
    spa: target,
    tha: GUEST_MAC,
    tpa: GUEST,
  });
  return [
    { us, frame: ether(BROADCAST_MAC, GUEST_MAC, EtherType.ARP, request) },
    { us: us + 178, frame: ether(GUEST_MAC, targetMac, EtherType.ARP, reply, 60) },
  ];
}

function pingFrames(us: number): QuickstartFrame[] {
  // iputils ping: 56 data bytes, a 16-byte timeval (the send time, little-endian) then 0x10, 0x11, ...
  const data = new Uint8Array(56);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, START_SEC + Math.floor(us / 1e6), true);
  dv.setUint32(8, us % 1e6, true);
  for (let i = 16; i < 56; i++) data[i] = i;
  const req: Icmpv4Repr = { kind: "echo-request", code: 0, ident: 0x0b1e, seq: 1, data };
  const rep: Icmpv4Repr = { kind: "echo-reply", code: 0, ident: 0x0b1e, seq: 1, data };
  return [
    {
      us,
      frame: ether(
        GW_MAC,
        GUEST_MAC,
        EtherType.IPv4,
        icmp4({ src: GUEST, dst: GATEWAY, ident: 0x4d2a, df: true }, req),
      ),
    },
    {
      us: us + 402,
      frame: ether(
        GUEST_MAC,
        GW_MAC,
        EtherType.IPv4,
        icmp4({ src: GATEWAY, dst: GUEST, ident: 3, ttl: 255 }, rep),
      ),
    },
  ];
}

function dnsFrames(us: number): QuickstartFrame[] {
  const name = "vnet.example";
  const qa = dnsQuery({ id: 0x5c1f, name, type: DnsType.A });
  const qaaaa = dnsQuery({ id: 0x8e04, name, type: DnsType.AAAA });
  const ra = dnsResponse(qa, { answers: [dnsRecord(name, 300, { kind: "A", address: SERVER })] });
  const raaaa = dnsResponse(qaaaa, { answers: [dnsRecord(name, 300, { kind: "AAAA", address: SERVER6 })] });
  const q = (m: Uint8Array, ident: number) =>
    ether(DNS_MAC, GUEST_MAC, EtherType.IPv4, udp4({ src: GUEST, dst: DNS, ident, df: true }, 41852, 53, m));
  const r = (m: Uint8Array, ident: number) =>
    ether(GUEST_MAC, DNS_MAC, EtherType.IPv4, udp4({ src: DNS, dst: GUEST, ident }, 53, 41852, m));
  return [
    { us, frame: q(encodeDns(qa), 0x1c5e) },
    { us: us + 28, frame: q(encodeDns(qaaaa), 0x1c5f) },
    { us: us + 12_257, frame: r(encodeDns(ra), 4) },
    { us: us + 12_390, frame: r(encodeDns(raaaa), 5) },
  ];
}

function httpFrames(us: number): QuickstartFrame[] {
  const cport = 44290;
  const c = (id: number) => ({ src: GUEST, dst: SERVER, ident: id });
  const s = (id: number) => ({ src: SERVER, dst: GUEST, ident: id });
  const fromGuest = (h: Omit<V4, "protocol">, seg: TcpSeg) =>
    ether(GW_MAC, GUEST_MAC, EtherType.IPv4, tcp4(h, cport, 80, seg));
  const fromServer = (h: Omit<V4, "protocol">, seg: TcpSeg) =>
    ether(GUEST_MAC, GW_MAC, EtherType.IPv4, tcp4(h, 80, cport, seg));
  const request = utf8.encode(
    "GET / HTTP/1.1\r\nHost: vnet.example\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
  );
  const body = "Hello from vnet.example\n";
  const reply = utf8.encode(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  const c0 = 0x6b8b4567; // initial sequence numbers
  const s0 = 0x327b23c6;
  const ct = 0x9a3e5b10; // TCP timestamp clocks (milliseconds)
  const st = 0x42a7c3d1;
  const ts = (tsVal: number, tsEcr: number): TcpOption[] => [
    { kind: "nop" },
    { kind: "nop" },
    { kind: "timestamps", tsVal: tsVal >>> 0, tsEcr: tsEcr >>> 0 },
  ];
  const syn = (tsVal: number, tsEcr: number): TcpOption[] => [
    { kind: "mss", mss: 1460 },
    { kind: "sack-permitted" },
    { kind: "timestamps", tsVal: tsVal >>> 0, tsEcr: tsEcr >>> 0 },
    { kind: "nop" },
    { kind: "window-scale", shift: 7 },
  ];
  const { SYN, ACK, PSH, FIN } = TcpFlag;
  const q = request.byteLength;
  const a = reply.byteLength;
  return [
    { us, frame: fromGuest(c(0x9d41), { seq: c0, ack: 0, flags: SYN, window: 64240, options: syn(ct, 0) }) },
    {
      us: us + 14_308,
      frame: fromServer(s(0), {
        seq: s0,
        ack: c0 + 1,
        flags: SYN | ACK,
        window: 65160,
        options: syn(st, ct),
      }),
    },
    {
      us: us + 14_371,
      frame: fromGuest(c(0x9d42), {
        seq: c0 + 1,
        ack: s0 + 1,
        flags: ACK,
        window: 502,
        options: ts(ct + 14, st),
      }),
    },
    {
      us: us + 14_588,
      frame: fromGuest(c(0x9d43), {
        seq: c0 + 1,
        ack: s0 + 1,
        flags: PSH | ACK,
        window: 502,
        options: ts(ct + 14, st),
        payload: request,
      }),
    },
    {
      us: us + 28_766,
      frame: fromServer(s(0x6f10), {
        seq: s0 + 1,
        ack: c0 + 1 + q,
        flags: ACK,
        window: 509,
        options: ts(st + 14, ct + 14),
      }),
    },
    {
      us: us + 30_010,
      frame: fromServer(s(0x6f11), {
        seq: s0 + 1,
        ack: c0 + 1 + q,
        flags: PSH | ACK,
        window: 509,
        options: ts(st + 15, ct + 14),
        payload: reply,
      }),
    },
    {
      us: us + 30_048,
      frame: fromGuest(c(0x9d44), {
        seq: c0 + 1 + q,
        ack: s0 + 1 + a,
        flags: ACK,
        window: 501,
        options: ts(ct + 29, st + 15),
      }),
    },
    {
      us: us + 30_099,
      frame: fromServer(s(0x6f12), {
        seq: s0 + 1 + a,
        ack: c0 + 1 + q,
        flags: FIN | ACK,
        window: 509,
        options: ts(st + 15, ct + 14),
      }),
    },
    {
      us: us + 30_700,
      frame: fromGuest(c(0x9d45), {
        seq: c0 + 1 + q,
        ack: s0 + 2 + a,
        flags: FIN | ACK,
        window: 501,
        options: ts(ct + 30, st + 15),
      }),
    },
    {
      us: us + 44_908,
      frame: fromServer(s(0x6f13), {
        seq: s0 + 2 + a,
        ack: c0 + 2 + q,
        flags: ACK,
        window: 509,
        options: ts(st + 29, ct + 30),
      }),
    },
  ];
}

/** A UDP datagram to a closed port on the gateway and the ICMP port unreachable it answers with. */
function unreachableFrames(us: number): QuickstartFrame[] {
  const dgram = udp4(
    { src: GUEST, dst: GATEWAY, ident: 0x7a01, df: true },
    51000,
    9999,
    utf8.encode("is anyone listening?\n"),
  );
  // Linux quotes the whole offending datagram (it is short), with TOS 0xc0 (network control).
  const err: Icmpv4Repr = {
    kind: "dest-unreachable",
    code: IcmpUnreachableCode.Port,
    nextHopMtu: 0,
    quoted: dgram,
  };
  return [
    { us, frame: ether(GW_MAC, GUEST_MAC, EtherType.IPv4, dgram) },
    {
      us: us + 184,
      frame: ether(
        GUEST_MAC,
        GW_MAC,
        EtherType.IPv4,
        icmp4({ src: GATEWAY, dst: GUEST, ident: 6, tos: 0xc0 }, err),
      ),
    },
  ];
}

/** The guest's VLAN 10 interface asks for its router: an ARP request in an 802.1Q tag. */
function vlanFrame(us: number): QuickstartFrame {
  const request = arp({
    operation: ArpOperation.Request,
    sha: GUEST_MAC,
    spa: GUEST_V10,
    tha: 0 as Mac,
    tpa: ROUTER_V10,
  });
  const untagged = ether(BROADCAST_MAC, GUEST_MAC, EtherType.ARP, request);
  return { us, frame: pushTag(untagged, { tpid: VlanTpid.Dot1Q, pcp: 0, dei: false, vid: VLAN_ID }) };
}

/** Every frame of the quick-start capture, in order, with its time offset. */
export function quickstartFrames(): QuickstartFrame[] {
  return [
    ...dhcpFrames(),
    ...ipv6RouterFrames(),
    ...arpExchange(1_104_210, GATEWAY, GW_MAC),
    ...pingFrames(1_104_501),
    ...arpExchange(1_201_005, DNS, DNS_MAC),
    ...dnsFrames(1_201_260),
    ...httpFrames(1_214_802),
    ...unreachableFrames(1_301_220),
    vlanFrame(1_402_000),
  ];
}

/** The capture as a classic pcap file (microseconds, Ethernet, little-endian), in memory. */
export function makeQuickstartPcap(): Uint8Array {
  const w = PcapWriter.inMemory({ linkType: LinkType.ETHERNET });
  for (const f of quickstartFrames()) {
    w.write({
      tsSec: START_SEC + Math.floor(f.us / 1e6),
      tsFrac: f.us % 1e6,
      fracDigits: 6,
      origLen: f.frame.byteLength,
      data: f.frame,
    });
  }
  return w.bytes();
}

// Run as a script: write the file (default: examples/quickstart.pcap in the repository).
const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const here = dirname(self);
  const root = basename(dirname(here)) === "dist" ? resolve(here, "../..") : resolve(here, "..");
  const out = process.argv[2] ?? resolve(root, "examples/quickstart.pcap");
  const bytes = makeQuickstartPcap();
  writeFileSync(out, bytes);
  process.stdout.write(`wrote ${out} (${bytes.byteLength} bytes)\n`);
}
