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
 * hash (`ip_select_ident`); its checksum is verified on each side instead. Counters are compared by
 * their /proc/net/snmp names where both keep them.
 */
import { describe, expect, it } from "vitest";
import { TcpFlag } from "../wire/tcp.js";
import { icmpPacket, ipOf, pattern, tcpPacket, udpPacket } from "./netns/frames.js";
import { routerLabSupport, runLinuxRouter } from "./netns/linux-router.js";
import {
  baseSetup,
  expectChecksumsOk,
  expectSameSides,
  fromLan,
  fromWan,
  GW1,
  GW3,
  H15,
  H16,
  ICMP,
  icmpOfType,
  SRV,
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

describe.runIf(support.ok)("vnet router vs the Linux router (netns oracle)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const linux = await runLinuxRouter(c.setup, (rig) => run(rig, c));
      c.oracle(linux);
      expectChecksumsOk(linux);
      const vnet = await runVnetRouter(c.setup, (rig) => run(rig, c));
      expectChecksumsOk(vnet);
      expectSameSides(vnet, linux);
      expect(vnet.counters).toEqual(linux.counters);
    });
  }
});

describe.runIf(!support.ok && !!process.env.CI)("Linux router oracle in CI", () => {
  it("has root, iptables and conntrack", () => {
    throw new Error(support.ok ? "" : support.reason);
  });
});
