/**
 * Differential test: vnet's IP router (ip/ IpStack with forwarding) against the Linux kernel's
 * (reference: Linux 6.18, the kernel of this machine and of CI; the oracle, DESIGN.md principle 4).
 *
 * The same router is built twice — in network namespaces (test/netns/linux-router.ts: a router namespace
 * with veths `lan` 10.0.2.2/24 and `wan` 198.51.100.2/24, silent peer ends where frames are injected and
 * captured, PERMANENT neighbours instead of ARP) and in vnet (test/netns/vnet-router.ts) — the same
 * hand-built frames go in from the same side in the same order, and what the router sends out of each
 * side is compared frame by frame, in order, byte for byte. The one field masked is the IP ID (and the
 * header checksum covering it) of ICMP errors the router generates: Linux draws it from a randomly keyed
 * hash (`ip_select_ident`); its checksum is verified on each side instead (echo replies the router
 * sends likewise). Counters are compared by their /proc/net/snmp names where both keep them. Each
 * scenario is reported as a fidelity result (group "router", ports lan, wan and counters) for
 * `npm run fidelity`'s table (test/fidelity/, docs/fidelity.md).
 */
import { release } from "node:os";
import { describe, expect, it } from "vitest";
import { internetChecksum } from "../wire/checksum.js";
import { TcpFlag } from "../wire/tcp.js";
import { comparePort, expectFaithful } from "./fidelity/compare.js";
import {
  arpFrame,
  eth,
  fragmentsOf,
  icmpPacket,
  ipOf,
  pattern,
  tcpPacket,
  tupleOf,
  udpPacket,
} from "./netns/frames.js";
import { routerLabSupport, runLinuxRouter } from "./netns/linux-router.js";
import {
  baseSetup,
  counterLines,
  expectChecksumsOk,
  fromLan,
  fromWan,
  GW1,
  GW3,
  H15,
  H16,
  type Host,
  ICMP,
  icmpOfType,
  R_LAN,
  R_LAN_MAC,
  R_WAN,
  ROUTER_MASKED,
  SRV,
  sidePorts,
} from "./netns/router-plan.js";
import type { RouterRig, RouterSetup } from "./netns/router-rig.js";
import { runVnetRouter } from "./netns/vnet-router.js";

const support = routerLabSupport();
if (!support.ok && !process.env.CI) console.log(`Linux router differential tests skipped: ${support.reason}`);

/** What one run gives: the frames out of each side and the counters' changes over the scenario. */
interface Outcome {
  readonly lan: Uint8Array[];
  readonly wan: Uint8Array[];
  readonly counters: Record<string, number>;
}

interface Case {
  readonly name: string;
  readonly setup: RouterSetup;
  /** Sends the scenario's frames. */
  readonly steps: (rig: RouterRig) => Promise<void>;
  /** Counters (/proc/net/snmp names) whose change over the scenario is compared. */
  readonly counters: readonly string[];
  /** What the scenario shows, asserted on the Linux run (so a broken lab cannot pass as "equal"). */
  readonly oracle: (o: Outcome) => void;
  /** The documented difference (test/fidelity/known.ts id) this scenario shows. */
  readonly known?: string;
}

async function run(rig: RouterRig, c: Case): Promise<Outcome> {
  const before = await rig.counters();
  await c.steps(rig);
  const lan = await rig.received("lan");
  const wan = await rig.received("wan");
  const after = await rig.counters();
  const counters: Record<string, number> = {};
  for (const k of c.counters) counters[k] = (after[k] ?? Number.NaN) - (before[k] ?? Number.NaN);
  return { lan, wan, counters };
}

const ttlOf = (f: Uint8Array): number => ipOf(f)[8];

/** `packet` (an IPv4 packet without options) with `options` (a multiple of 4 bytes) inserted. */
function withOptions(packet: Uint8Array, options: readonly number[]): Uint8Array {
  if (options.length % 4 !== 0) throw new Error("options must be a multiple of 4 bytes");
  const out = new Uint8Array(packet.byteLength + options.length);
  out.set(packet.subarray(0, 20), 0);
  out.set(options, 20);
  out.set(packet.subarray(20), 20 + options.length);
  out[0] = 0x40 | ((20 + options.length) / 4);
  out[2] = out.byteLength >> 8;
  out[3] = out.byteLength & 0xff;
  out[10] = 0;
  out[11] = 0;
  const c = internetChecksum(out.subarray(0, 20 + options.length));
  out[10] = c >> 8;
  out[11] = c & 0xff;
  return out;
}
const lenOf = (f: Uint8Array): number => ipOf(f).byteLength;
const fragWord = (f: Uint8Array): number => (ipOf(f)[6] << 8) | ipOf(f)[7];

const cases: Case[] = [
  {
    name: "forwarding: TTL decremented, header checksum updated, MACs rewritten, routes by longest prefix",
    setup: baseSetup({
      routes: [
        { dst: "203.0.113.0/24", via: GW1.ip, side: "wan" },
        { dst: "203.0.113.128/25", via: GW3.ip, side: "wan" },
      ],
    }),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, tos: 0x10, id: 0x1111 }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: "203.0.113.7", df: true }, 40001, 53, pattern(20, 1))),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: "203.0.113.200", df: true },
            { sport: 45000, dport: 80, seq: 1000, flags: TcpFlag.SYN },
          ),
        ),
      );
      await rig.send(
        "lan",
        fromLan(
          H16,
          icmpPacket(
            { src: H16.ip, dst: SRV.ip, ttl: 2 },
            { kind: "echo-request", code: 0, ident: 0x77, seq: 1, data: pattern(56) },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H15.ip, ttl: 255, id: 0xfffe }, 7, 40000, pattern(32, 2))),
      );
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Ip:InHdrErrors"],
    oracle(o) {
      expect(o.wan.map(ttlOf)).toEqual([63, 63, 63, 1]);
      expect(o.lan.map(ttlOf)).toEqual([254]);
      expect(o.wan.map((f) => f.subarray(0, 6).join(":"))).toEqual([
        "2:0:0:0:1:10",
        "2:0:0:0:1:1",
        "2:0:0:0:1:3",
        "2:0:0:0:1:10",
      ]);
      expect(o.counters["Ip:ForwDatagrams"]).toBe(5);
    },
  },
  {
    name: "TTL 1 or 0: ICMP time exceeded to the sender, quoting the datagram; never about an ICMP error",
    setup: baseSetup(),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, ttl: 1, tos: 0x10 }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          icmpPacket(
            { src: H15.ip, dst: SRV.ip, ttl: 1 },
            { kind: "echo-request", code: 0, ident: 9, seq: 3, data: pattern(56) },
          ),
        ),
      );
      // An ICMP error (port unreachable, quoting a datagram from SRV) with TTL 1: dropped without an error.
      const quoted = udpPacket({ src: SRV.ip, dst: H15.ip }, 7, 40000, pattern(8));
      await rig.send(
        "lan",
        fromLan(
          H15,
          icmpPacket(
            { src: H15.ip, dst: SRV.ip, ttl: 1 },
            { kind: "dest-unreachable", code: 3, nextHopMtu: 0, quoted },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H16.ip, ttl: 0 }, 7, 40000, pattern(300))),
      );
    },
    counters: ["Ip:InReceives", "Ip:InHdrErrors", "Ip:ForwDatagrams", "Icmp:OutMsgs", "Icmp:OutTimeExcds"],
    oracle(o) {
      expect(o.wan.length).toBe(1); // the time exceeded to SRV about the TTL-0 datagram
      expect(o.lan.length).toBe(2);
      expect(icmpOfType([...o.lan, ...o.wan], ICMP.TimeExceeded).length).toBe(3);
      expect(o.counters["Icmp:OutTimeExcds"]).toBe(3);
    },
  },
  {
    name: "no route: ICMP net unreachable to the sender",
    setup: baseSetup(),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: "192.0.2.99" }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "lan",
        fromLan(
          H16,
          icmpPacket(
            { src: H16.ip, dst: "192.0.2.99" },
            { kind: "echo-request", code: 0, ident: 5, seq: 1, data: pattern(56) },
          ),
        ),
      );
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Icmp:OutMsgs", "Icmp:OutDestUnreachs"],
    oracle(o) {
      expect(o.wan).toEqual([]);
      const u = icmpOfType(o.lan, ICMP.DestUnreachable);
      expect(u.length).toBe(2);
      for (const f of u) expect(ipOf(f)[21]).toBe(0); // code 0: net unreachable
    },
  },
  {
    name: "DF set and larger than the wan MTU (1280): fragmentation needed with the next-hop MTU",
    setup: baseSetup({ wan: { cidr: "198.51.100.2/24", mac: "0a:00:00:00:01:02", mtu: 1280 } }),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, df: true }, 40000, 7, pattern(1472))),
      );
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, df: true }, 40000, 7, pattern(1252))),
      );
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, df: true }, 40000, 7, pattern(1253))),
      );
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Ip:FragFails", "Icmp:OutDestUnreachs"],
    oracle(o) {
      expect(o.wan.map(lenOf)).toEqual([1280]);
      const fn = icmpOfType(o.lan, ICMP.DestUnreachable);
      expect(fn.length).toBe(2);
      for (const f of fn) {
        const p = ipOf(f);
        expect(p[21]).toBe(4);
        expect((p[26] << 8) | p[27]).toBe(1280);
      }
    },
  },
  {
    name: "DF clear and larger than the wan MTU: fragments (sizes, offsets, flags, payload)",
    setup: baseSetup({ wan: { cidr: "198.51.100.2/24", mac: "0a:00:00:00:01:02", mtu: 1280 } }),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x4242 }, 40000, 7, pattern(1472))),
      );
      await rig.send(
        "lan",
        fromLan(H16, udpPacket({ src: H16.ip, dst: SRV.ip, id: 0x4343 }, 40002, 9, pattern(1373, 5))),
      );
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Ip:FragOKs", "Ip:FragCreates"],
    oracle(o) {
      expect(o.wan.map(lenOf)).toEqual([1276, 244, 1276, 145]);
      expect(o.wan.map(fragWord)).toEqual([0x2000, 1256 / 8, 0x2000, 1256 / 8]);
      expect(o.counters["Ip:FragCreates"]).toBe(4);
    },
  },
  {
    name: "ip_forward=0: nothing is forwarded and nothing is sent back",
    setup: baseSetup({ forwarding: false, routes: [{ dst: "203.0.113.0/24", via: GW1.ip, side: "wan" }] }),
    async steps(rig) {
      await rig.send("lan", fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip }, 40000, 7, pattern(32))));
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: "203.0.113.7" }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: "192.0.2.99" }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H15.ip, ttl: 1 }, 7, 40000, pattern(32))),
      );
    },
    counters: ["Ip:InReceives", "Ip:InAddrErrors", "Ip:ForwDatagrams", "Icmp:OutMsgs"],
    oracle(o) {
      expect(o.lan).toEqual([]);
      expect(o.wan).toEqual([]);
      expect(o.counters["Ip:ForwDatagrams"]).toBe(0);
    },
  },
  {
    // A host (ip_forward=0) delivers what is for one of its addresses, whichever interface it arrives on
    // (weak host model, ip_route_input_slow's local lookup), whatever its TTL (TTL is checked only when
    // forwarding); answers pings (echo reply from the address pinged) and a closed UDP port (port
    // unreachable, unless the UDP checksum is bad: udp_lib_checksum_complete first); and drops without a word a packet for someone else (InAddrErrors), a frame for another
    // MAC (PACKET_OTHERHOST) and a ping to the broadcast address (icmp_echo_ignore_broadcasts).
    name: "host-only (ip_forward=0): answers for its own addresses on any interface, drops the rest",
    setup: baseSetup({ forwarding: false }),
    async steps(rig) {
      const ping = (h: Host, dst: string, seq: number, ttl = 64) =>
        icmpPacket(
          // seq 2 with TOS 0xb8 (DSCP EF): the echo reply keeps it (icmp_reply)
          { src: h.ip, dst, ttl, id: 0x5100 + seq, tos: seq === 2 ? 0xb8 : 0 },
          { kind: "echo-request", code: 0, ident: 0x42, seq, data: pattern(56, seq) },
        );
      await rig.send("lan", fromLan(H15, ping(H15, R_LAN, 1)));
      await rig.send("lan", fromLan(H15, ping(H15, R_WAN, 2)));
      await rig.send("lan", fromLan(H16, ping(H16, R_LAN, 3, 1)));
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: R_LAN, id: 0x5200 }, 40000, 33434, pattern(32))),
      );
      await rig.send("lan", fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip }, 40000, 7, pattern(32))));
      await rig.send("wan", fromWan(SRV, ping(SRV, R_WAN, 4)));
      // From the wan side but with a LAN source (rp_filter 0 lets it in): the reply follows the route to
      // that source, out of lan.
      await rig.send("wan", fromWan(SRV, ping(H16, R_WAN, 8)));
      await rig.send("wan", fromWan(SRV, ping(SRV, H15.ip, 5)));
      // A closed UDP port but a bad UDP checksum: counted (InCsumErrors), no port unreachable.
      const bad = udpPacket({ src: H15.ip, dst: R_LAN, id: 0x5201 }, 40000, 33435, pattern(32));
      bad[bad.length - 1] ^= 0xff;
      await rig.send("lan", fromLan(H15, bad));
      // For the router's address but to another MAC (a switch flooding it here): not ours, dropped.
      await rig.send("lan", eth("02:00:00:00:00:99", H15.mac, ping(H15, R_LAN, 6)));
      // A ping to the subnet broadcast (in a broadcast frame): icmp_echo_ignore_broadcasts=1, no reply.
      await rig.send("lan", eth("ff:ff:ff:ff:ff:ff", H15.mac, ping(H15, "10.0.2.255", 7)));
    },
    counters: [
      "Ip:InReceives",
      "Ip:InDelivers",
      "Ip:InAddrErrors",
      "Ip:ForwDatagrams",
      "Ip:InDiscards",
      "Icmp:InMsgs",
      "Icmp:InErrors",
      "Icmp:InEchos",
      "Icmp:OutEchoReps",
      "Icmp:OutDestUnreachs",
      "Udp:NoPorts",
      "Udp:InErrors",
      "Udp:InCsumErrors",
    ],
    oracle(o) {
      expect(icmpOfType(o.lan, ICMP.EchoReply).length).toBe(4);
      expect(ipOf(o.lan[1])[1]).toBe(0xb8);
      expect(icmpOfType(o.lan, ICMP.DestUnreachable).map((f) => ipOf(f)[21])).toEqual([3]);
      expect(icmpOfType(o.wan, ICMP.EchoReply).length).toBe(1);
      expect(o.wan.length).toBe(1);
      // the echo reply to the ping of the wan address leaves lan, from the wan address
      expect(Array.from(ipOf(o.lan[1]).subarray(12, 16))).toEqual([198, 51, 100, 2]);
      expect(o.counters["Ip:InAddrErrors"]).toBe(2);
    },
  },
  {
    // Linux forwards neither broadcasts nor multicast (no multicast routing; bc_forwarding 0): a datagram
    // to the other side's subnet broadcast, to 255.255.255.255, to its own subnet broadcast or to a
    // multicast group is delivered locally (nothing listens: no ICMP about a broadcast or multicast) and
    // not forwarded; a unicast datagram in a link-layer broadcast frame is not forwarded either.
    name: "broadcasts and multicast are not forwarded; nor is unicast IP in a broadcast frame",
    setup: baseSetup(),
    async steps(rig) {
      const udp = (dst: string, n: number) =>
        udpPacket({ src: H15.ip, dst, id: 0x5300 + n }, 40000, 9, pattern(20, n));
      await rig.send("lan", fromLan(H15, udp("198.51.100.255", 1)));
      await rig.send("lan", eth("ff:ff:ff:ff:ff:ff", H15.mac, udp("255.255.255.255", 2)));
      await rig.send("lan", eth("ff:ff:ff:ff:ff:ff", H15.mac, udp("10.0.2.255", 3)));
      await rig.send("lan", eth("01:00:5e:00:00:fb", H15.mac, udp("224.0.0.251", 4)));
      await rig.send("lan", eth("ff:ff:ff:ff:ff:ff", H15.mac, udp(SRV.ip, 5)));
      await rig.send("lan", fromLan(H15, udp(SRV.ip, 6)));
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Ip:InDelivers", "Icmp:OutMsgs", "Udp:NoPorts"],
    oracle(o) {
      expect(o.lan).toEqual([]);
      expect(o.wan.length).toBe(1); // only the last, ordinary unicast datagram
      expect(o.counters["Ip:ForwDatagrams"]).toBe(1);
    },
  },
  {
    // IP options on a forwarded datagram (ip_options_compile / ip_forward_options): Record Route gets the
    // outgoing interface's address in its next slot and its pointer advanced; a full Record Route and
    // NOP/EOL padding pass unchanged; the header checksum is recomputed. A source-routed datagram is
    // dropped without a word (accept_source_route=0); a malformed option gets ICMP parameter problem
    // pointing at the bad byte (ip_options_compile) and is dropped.
    name: "IP options on forwarded datagrams: Record Route filled in, source route dropped, bad option refused",
    setup: baseSetup(),
    async steps(rig) {
      const udp = (n: number) =>
        udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x5400 + n }, 40000, 7, pattern(24, n));
      // RR with two free slots, then EOL padding to 12 bytes.
      await rig.send("lan", fromLan(H15, withOptions(udp(1), [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
      // RR already full (pointer past the end): unchanged.
      await rig.send("lan", fromLan(H15, withOptions(udp(2), [7, 7, 8, 10, 0, 2, 15, 0])));
      // NOPs and EOL only.
      await rig.send("lan", fromLan(H15, withOptions(udp(3), [1, 1, 1, 0])));
      // Loose source route (accept_source_route=0 on a router: dropped without a word).
      await rig.send("lan", fromLan(H15, withOptions(udp(5), [131, 7, 4, 198, 51, 100, 10, 0])));
      // Malformed Record Route (pointer 2 < 4): ICMP parameter problem pointing at the pointer, dropped.
      await rig.send("lan", fromLan(H15, withOptions(udp(6), [7, 7, 2, 0, 0, 0, 0, 0])));
      // From the other side: RR records the lan address.
      await rig.send(
        "wan",
        fromWan(
          SRV,
          withOptions(
            udpPacket({ src: SRV.ip, dst: H16.ip, id: 0x5404 }, 7, 40000, pattern(24, 4)),
            [7, 7, 4, 0, 0, 0, 0, 0],
          ),
        ),
      );
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Ip:InHdrErrors", "Icmp:OutParmProbs"],
    oracle(o) {
      expect(o.wan.length).toBe(3); // not the source-routed one
      expect(o.lan.length).toBe(2);
      // parameter problem (type 12 code 0) pointing at byte 22, the bad RR pointer
      const pp = ipOf(o.lan[0]);
      expect([pp[20], pp[21], pp[24]]).toEqual([12, 0, 22]);
      // the first: RR slot 1 = 198.51.100.2, pointer 8
      expect(Array.from(ipOf(o.wan[0]).subarray(20, 27))).toEqual([7, 11, 8, 198, 51, 100, 2]);
    },
  },
  {
    // `ping -R` to the router: Linux echoes the Record Route option in its reply (ip_options_echo): the
    // address recorded on input, then the reply's source on output, pointer advanced twice. vnet's
    // replies carry no options (documented: ip-options-not-echoed); they are otherwise the same.
    name: "ping -R and a SYN with Record Route to the router: Linux echoes the option in its answers",
    setup: baseSetup(),
    known: "ip-options-not-echoed",
    async steps(rig) {
      const RR2 = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // Record Route with two free slots
      await rig.send(
        "lan",
        fromLan(
          H15,
          withOptions(
            icmpPacket(
              { src: H15.ip, dst: R_LAN, id: 0x5405 },
              { kind: "echo-request", code: 0, ident: 0x99, seq: 1, data: pattern(16) },
            ),
            RR2,
          ),
        ),
      );
      // A TCP reset echoes it too (ip_send_unicast_reply); a Record Route with one free slot is filled on
      // input and echoed full.
      await rig.send(
        "lan",
        fromLan(
          H15,
          withOptions(
            tcpPacket(
              { src: H15.ip, dst: R_LAN, id: 0x5407 },
              { sport: 1, dport: 22, seq: 5, flags: TcpFlag.SYN },
            ),
            RR2,
          ),
        ),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          withOptions(
            icmpPacket(
              { src: H15.ip, dst: R_LAN, id: 0x5409 },
              { kind: "echo-request", code: 0, ident: 0x99, seq: 2, data: pattern(16) },
            ),
            [7, 7, 4, 0, 0, 0, 0, 0],
          ),
        ),
      );
    },
    counters: ["Ip:InReceives", "Ip:InDelivers", "Icmp:OutEchoReps"],
    oracle(o) {
      expect(o.lan.length).toBe(3);
      expect(Array.from(ipOf(o.lan[0]).subarray(20, 32))).toEqual([7, 11, 12, 10, 0, 2, 2, 10, 0, 2, 2, 0]);
      expect(Array.from(ipOf(o.lan[1]).subarray(20, 32))).toEqual([7, 11, 12, 10, 0, 2, 2, 10, 0, 2, 2, 0]);
      expect(Array.from(ipOf(o.lan[2]).subarray(20, 28))).toEqual([7, 7, 8, 10, 0, 2, 2, 0]);
    },
  },
  {
    // Fragments for the router itself (ip_defrag, ip_fragment.c): a ping and a UDP datagram each in two
    // fragments, the second arriving first; reassembled, then answered as whole datagrams (echo reply;
    // port unreachable quoting the reassembled datagram's first 548 bytes). A lone first fragment is
    // kept waiting (nothing sent within the scenario).
    name: "fragments to the router: reassembled out of order, then answered",
    setup: baseSetup(),
    async steps(rig) {
      const ping = icmpPacket(
        { src: H15.ip, dst: R_LAN, id: 0x5801 },
        { kind: "echo-request", code: 0, ident: 0x77, seq: 9, data: pattern(1200, 8) },
      );
      const [p1, p2] = fragmentsOf(ping, 600);
      await rig.send("lan", fromLan(H15, p2));
      await rig.send("lan", fromLan(H15, p1));
      const dgram = udpPacket({ src: H16.ip, dst: R_LAN, id: 0x5802 }, 40000, 33434, pattern(900, 9));
      const [u1, u2] = fragmentsOf(dgram, 400);
      await rig.send("lan", fromLan(H16, u2));
      await rig.send("lan", fromLan(H16, u1));
      const lone = udpPacket({ src: H16.ip, dst: R_LAN, id: 0x5803 }, 40000, 33434, pattern(900, 10));
      await rig.send("lan", fromLan(H16, fragmentsOf(lone, 400)[0]));
    },
    counters: [
      "Ip:InReceives",
      "Ip:ReasmReqds",
      "Ip:ReasmOKs",
      "Ip:InDelivers",
      "Icmp:OutEchoReps",
      "Udp:NoPorts",
    ],
    oracle(o) {
      expect(o.lan.length).toBe(2);
      expect(icmpOfType(o.lan, ICMP.EchoReply).map((f) => ipOf(f).byteLength)).toEqual([1228]);
      expect(icmpOfType(o.lan, ICMP.DestUnreachable).map((f) => ipOf(f).byteLength)).toEqual([576]);
      expect(o.counters["Ip:ReasmOKs"]).toBe(2);
    },
  },
  {
    // Fragmenting a datagram with options (ip_do_fragment, ip_options_fragment): the first fragment keeps
    // every option (Record Route already filled in), later ones only the options with the copied flag
    // (Router Alert, 0x94) — the others become NOPs, so every fragment's header has the same length.
    name: "fragmenting a datagram with IP options: copied options in every fragment, others only in the first",
    setup: baseSetup({ wan: { cidr: "198.51.100.2/24", mac: "0a:00:00:00:01:02", mtu: 1280 } }),
    async steps(rig) {
      const big = udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x5700 }, 40000, 7, pattern(1400, 7));
      await rig.send("lan", fromLan(H15, withOptions(big, [0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0])));
    },
    counters: ["Ip:ForwDatagrams", "Ip:FragOKs", "Ip:FragCreates"],
    oracle(o) {
      expect(o.wan.length).toBe(2);
      expect(Array.from(ipOf(o.wan[0]).subarray(20, 32))).toEqual([
        0x94, 4, 0, 0, 7, 7, 8, 198, 51, 100, 2, 0,
      ]);
      expect(Array.from(ipOf(o.wan[1]).subarray(20, 32))).toEqual([0x94, 4, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    },
  },
  {
    // TCP to one of the router's own addresses, where nothing listens: Linux's TCP answers with a reset
    // (tcp_v4_send_reset, RFC 793 "reset generation"): to a segment without ACK, RST+ACK with seq 0 and
    // ack = seq + length (+1 for SYN and FIN); to one with ACK, RST with seq = its ack. From the address
    // the segment was sent to, DF set, IP ID 0, TTL 64, window 0. Never about a RST, nor to a broadcast.
    name: "TCP to the router's own address with no listener: RST (never about a RST or a broadcast)",
    setup: baseSetup(),
    async steps(rig) {
      const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
      const seg = (h: Host, dst: string, dport: number, seq: number, ack: number, flags: number, n: number) =>
        tcpPacket(
          { src: h.ip, dst, df: true, id: 0x5500 + n, tos: n === 1 ? 0x10 : 0 },
          { sport: 45000 + n, dport, seq, ack, flags, ...(n === 3 && { data: pattern(10, n) }) },
        );
      await rig.send("lan", fromLan(H15, seg(H15, R_LAN, 22, 1000, 0, SYN, 1)));
      await rig.send("wan", fromWan(SRV, seg(SRV, R_WAN, 80, 5, 77, ACK, 2)));
      await rig.send("lan", fromLan(H16, seg(H16, R_WAN, 443, 0xfffffff0, 0, PSH | FIN, 3)));
      await rig.send("lan", fromLan(H15, seg(H15, R_LAN, 22, 1001, 0, RST, 4)));
      await rig.send("lan", eth("ff:ff:ff:ff:ff:ff", H15.mac, seg(H15, "10.0.2.255", 22, 9, 0, SYN, 5)));
    },
    counters: ["Ip:InReceives", "Ip:InDelivers", "Ip:InUnknownProtos", "Icmp:OutMsgs"],
    oracle(o) {
      // RST+ACK ack 1001 (TOS 0x10 reflected) and RST+ACK ack seq+10+1 (PSH+FIN with 10 bytes) on lan; a
      // plain RST seq 77 on wan; nothing about the RST or the broadcast.
      const tcp = (f: Uint8Array) => {
        const q = ipOf(f);
        return [q[1], q[8], (q[4] << 8) | q[5], q[6] & 0x40, q[33], tupleOf(f).sport];
      };
      expect(o.lan.map(tcp)).toEqual([
        [0x10, 64, 0, 0x40, 0x14, 22],
        [0, 64, 0, 0x40, 0x14, 443],
      ]);
      expect(o.wan.map(tcp)).toEqual([[0, 64, 0, 0x40, 0x04, 80]]);
    },
  },
  {
    // ARP (arp.c, arp_process; arp_ignore=0, arp_accept=0): a request for any of the router's addresses,
    // on any interface, is answered (42 bytes, unicast to the asker); a request for someone else is not; a
    // request addressed to the router creates a STALE entry for the asker, which forwarding then uses at
    // once (STALE → DELAY, no request); an unsolicited reply changing its MAC within locktime is ignored,
    // a gratuitous one is not; a unicast request is answered like a broadcast one, and so is a request
    // from outside the interface's subnet.
    name: "ARP: answers for its addresses on any interface, learns the asker, locktime, gratuitous ARP",
    setup: baseSetup(),
    async steps(rig) {
      const H50 = { ip: "10.0.2.50", mac: "02:00:00:00:00:32" };
      const H50b = "02:00:00:00:00:33";
      const BC = "ff:ff:ff:ff:ff:ff";
      const req = (h: Host, tpa: string, dst = BC) => arpFrame(dst, h.mac, 1, { sha: h.mac, spa: h.ip, tpa });
      await rig.send("lan", req(H15, R_LAN));
      await rig.send("lan", req(H15, R_WAN));
      await rig.send("lan", req(H15, "10.0.2.99"));
      await rig.send("lan", req(H50, R_LAN));
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H50.ip, id: 0x5601 }, 7, 40000, pattern(20))),
      );
      // An unsolicited reply with a new MAC within locktime (1 s) of the last update: ignored (the first
      // of several back-to-back replies wins) …
      await rig.send("lan", arpFrame(BC, H50b, 2, { sha: H50b, spa: H50.ip, tha: BC, tpa: H50.ip }));
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H50.ip, id: 0x5602 }, 7, 40000, pattern(20))),
      );
      // … a gratuitous one (target = sender, arp_is_garp) overrides it.
      await rig.send("lan", arpFrame(BC, H50b, 2, { sha: H50b, spa: H50.ip, tha: H50b, tpa: H50.ip }));
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: H50.ip, id: 0x5603 }, 7, 40000, pattern(20))),
      );
      await rig.send("lan", req(H16, R_LAN, R_LAN_MAC));
      await rig.send("wan", req(SRV, R_LAN));
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams"],
    oracle(o) {
      const arpOp = (f: Uint8Array) => (f[12] === 0x08 && f[13] === 0x06 ? f[21] : -1);
      expect(o.lan.map((f) => [f.byteLength, arpOp(f)])).toEqual([
        [42, 2],
        [42, 2],
        [42, 2],
        [62, -1],
        [62, -1],
        [62, -1],
        [42, 2],
      ]);
      expect(o.lan.slice(3, 6).map((f) => f[5])).toEqual([0x32, 0x32, 0x33]);
      expect(o.wan.map((f) => [f.byteLength, arpOp(f)])).toEqual([[42, 2]]);
    },
  },
  {
    // Linux neighbour code: INCOMPLETE sends a broadcast ARP request at once and every retrans_time (1 s),
    // mcast_probes (3) in all; then FAILED, and every queued packet gets ICMP host unreachable
    // (arp_error_report), quoting it as queued: already forwarded, TTL decremented.
    name: "unresolvable next hop: 3 ARP requests 1 s apart, then host unreachable for each queued packet",
    setup: baseSetup(),
    async steps(rig) {
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: "10.0.2.99", id: 0x6001 }, 7, 40000, pattern(32))),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          icmpPacket(
            { src: SRV.ip, dst: "10.0.2.99", id: 0x6002 },
            { kind: "echo-request", code: 0, ident: 3, seq: 1, data: pattern(56) },
          ),
        ),
      );
      await rig.wait(4);
    },
    counters: ["Ip:InReceives", "Ip:ForwDatagrams", "Icmp:OutDestUnreachs"],
    oracle(o) {
      expect(o.lan.map((f) => f.byteLength)).toEqual([42, 42, 42]);
      const u = icmpOfType(o.wan, ICMP.DestUnreachable);
      expect(u.length).toBe(2);
      for (const f of u) expect(ipOf(f)[21]).toBe(1); // code 1: host unreachable
    },
  },
  {
    name: "ICMP rate limit: time exceeded to one destination stops after the burst",
    setup: baseSetup(),
    async steps(rig) {
      // Back to back (one tcpreplay run), so no token is refilled on Linux however slow the machine is.
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 10; i++) {
        frames.push(
          fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, ttl: 1, id: i }, 40000, 7, pattern(16, i))),
        );
      }
      await rig.sendBurst("lan", frames);
    },
    counters: ["Ip:InReceives", "Ip:InHdrErrors", "Icmp:OutTimeExcds", "Icmp:OutRateLimitHost"],
    oracle(o) {
      expect(o.lan.length).toBeGreaterThan(0);
      expect(o.lan.length).toBeLessThan(10);
    },
  },
];

const ORACLE = `Linux ${release().split("-")[0]} router (netns)`;

describe.runIf(support.ok)("vnet router vs the Linux router (netns oracle)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const linux = await runLinuxRouter(c.setup, (rig) => run(rig, c));
      c.oracle(linux);
      expectChecksumsOk(linux);
      const vnet = await runVnetRouter(c.setup, (rig) => run(rig, c));
      expectChecksumsOk(vnet);
      const known = c.known ? { known: c.known } : {};
      expectFaithful(
        {
          group: "router",
          scenario: c.name,
          oracle: ORACLE,
          ports: [
            ...sidePorts(linux, vnet, known),
            comparePort("counters", counterLines(linux.counters), counterLines(vnet.counters)),
          ],
          masked: [ROUTER_MASKED],
        },
        c.known ? { expectKnown: c.known } : {},
      );
    });
  }
});

describe.runIf(!support.ok && !!process.env.CI)("Linux router oracle in CI", () => {
  it("has root, iptables and conntrack", () => {
    throw new Error(support.ok ? "" : support.reason);
  });
});
