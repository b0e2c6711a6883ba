/**
 * Differential test: vnet's NAT (nat/ on an ip/ router) against Linux netfilter (reference: Linux 6.18
 * nf_conntrack + nf_nat, `iptables -t nat -A POSTROUTING -o wan -j MASQUERADE` and `-A PREROUTING -i wan
 * -p tcp --dport 2222 -j DNAT --to-destination 10.0.2.15:22`, conntrack-tools 1.4.7 `conntrack -L`).
 *
 * Built as in linux-router.test.ts: the same router in namespaces and in vnet, the same frames in, what
 * comes out of each side compared byte for byte. Where Linux's choice is not deterministic — the port (or
 * echo id) it draws for a flow that clashes with another (`nf_nat_l4proto_unique_tuple` starts at a random
 * offset) — those bytes are masked and the property is asserted on both routers instead: the new port is in
 * Linux's range for the original port (1..511, 600..1023 or 1024..65535), differs from the clashing one, and
 * the reply sent to it maps back. Replies are built from what each router actually sent, so each router is
 * answered about its own choice.
 */
import { describe, expect, it } from "vitest";
import { Nat } from "../nat/index.js";
import { TcpFlag } from "../wire/tcp.js";
import { icmpPacket, ip, ipOf, maskPort, pattern, tcpPacket, tupleOf, udpPacket } from "./netns/frames.js";
import { routerLabSupport, runLinuxRouter } from "./netns/linux-router.js";
import {
  baseSetup,
  expectChecksumsOk,
  expectSameSides,
  fromLan,
  fromWan,
  H15,
  H16,
  type Host,
  R_WAN,
  SRV,
} from "./netns/router-plan.js";
import type { ConntrackEntry, RouterRig, RouterSetup } from "./netns/router-rig.js";
import { runVnetRouter, type VnetNatFactory } from "./netns/vnet-router.js";

const support = routerLabSupport();
if (!support.ok && !process.env.CI) console.log(`Linux NAT differential tests skipped: ${support.reason}`);

/** What one run gives. `chosen`: ports/ids the router picked for re-allocated flows, in order. */
interface Outcome {
  readonly lan: Uint8Array[];
  readonly wan: Uint8Array[];
  readonly chosen: number[];
  readonly conntrack: ConntrackEntry[];
  readonly elapsed: number;
}

interface Case {
  readonly name: string;
  readonly setup: RouterSetup;
  /** Sends the frames; returns the ports the router chose where a test needs them. */
  readonly steps: (rig: RouterRig) => Promise<number[]>;
  /** The frames as compared (masking what Linux draws at random). */
  readonly view?: (o: Outcome) => { lan: Uint8Array[]; wan: Uint8Array[] };
  /** What the scenario shows, asserted on both routers. */
  readonly property: (o: Outcome) => void;
  /** Compare `conntrack -L` after the steps. */
  readonly conntrack?: boolean;
}

async function run(rig: RouterRig, c: Case): Promise<Outcome> {
  const chosen = await c.steps(rig);
  const lan = await rig.received("lan");
  const wan = await rig.received("wan");
  const conntrack = c.conntrack ? await rig.conntrack() : [];
  return { lan, wan, chosen, conntrack, elapsed: rig.elapsedSeconds() };
}

const masq = (over: Partial<RouterSetup> = {}): RouterSetup => baseSetup({ masquerade: true, ...over });

/** The last frame out of the wan side (what the router just sent). */
async function lastWan(rig: RouterRig): Promise<Uint8Array> {
  const wan = await rig.received("wan");
  const f = wan.at(-1);
  if (!f) throw new Error("the router sent nothing out of wan");
  return f;
}

/** Sends a UDP datagram from a LAN host and returns the source port it left the wan side with. */
async function udpOut(rig: RouterRig, h: Host, sport: number, dport: number, salt: number): Promise<number> {
  const n = (await rig.received("wan")).length;
  await rig.send(
    "lan",
    fromLan(h, udpPacket({ src: h.ip, dst: SRV.ip, id: 0x100 + salt }, sport, dport, pattern(24, salt))),
  );
  const wan = await rig.received("wan");
  if (wan.length !== n + 1) throw new Error(`expected one frame out of wan, got ${wan.length - n}`);
  return tupleOf(wan[n]).sport;
}

/** SRV's reply to a masqueraded datagram: from `sport` to the router's wan address, port `port`. */
function udpReply(sport: number, port: number, salt: number): Uint8Array {
  return fromWan(
    SRV,
    udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x200 + salt }, sport, port, pattern(24, 100 + salt)),
  );
}

const inRange = (orig: number, p: number): boolean =>
  orig < 512 ? p >= 1 && p <= 511 : orig < 1024 ? p >= 600 && p <= 1023 : p >= 1024 && p <= 65535;

/** Masks the source port (or echo id) of the wan frames at `indices`: flows whose port Linux drew. */
function maskWan(indices: readonly number[]): (o: Outcome) => { lan: Uint8Array[]; wan: Uint8Array[] } {
  return (o) => ({
    lan: o.lan,
    wan: o.wan.map((f, i) => (indices.includes(i) ? maskPort(f, "src") : f)),
  });
}

/** Port-range scenario: host 15 then host 16 from the same port to the same place; replies to both. */
function clashCase(name: string, sport: number, dport: number): Case {
  return {
    name,
    setup: masq(),
    async steps(rig) {
      const p1 = await udpOut(rig, H15, sport, dport, 1);
      const p2 = await udpOut(rig, H16, sport, dport, 2);
      await rig.send("wan", udpReply(dport, p2, 2));
      await rig.send("wan", udpReply(dport, p1, 1));
      return [p1, p2];
    },
    view: maskWan([1]),
    property(o) {
      const [p1, p2] = o.chosen;
      expect(p1).toBe(sport);
      expect(p2).not.toBe(sport);
      expect(inRange(sport, p2), `port ${p2} for original ${sport}`).toBe(true);
      expect(o.lan.map(tupleOf).map((t) => [t.dst, t.dport])).toEqual([
        [ip(H16.ip), sport],
        [ip(H15.ip), sport],
      ]);
    },
  };
}

const cases: Case[] = [
  {
    name: "masquerade: UDP source port kept when free, checksum 0 stays 0, the reply maps back",
    setup: masq(),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x2001 }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x2002 }, 40010, 9, pattern(17), { noChecksum: true }),
        ),
      );
      await rig.send("wan", udpReply(7, 40000, 1));
      await rig.send(
        "wan",
        fromWan(
          SRV,
          udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x2003 }, 9, 40010, pattern(5), { noChecksum: true }),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.wan.map(tupleOf).map((t) => t.sport)).toEqual([40000, 40010]);
      expect(o.lan.map(tupleOf).map((t) => t.dport)).toEqual([40000, 40010]);
      expect(o.wan[1][14 + 20 + 6]).toBe(0);
      expect(o.wan[1][14 + 20 + 7]).toBe(0);
    },
  },
  clashCase(
    "masquerade: same source port from a second host is re-allocated in 1024..65535; replies map back",
    40000,
    7,
  ),
  clashCase("masquerade: source port below 512 is re-allocated in 1..511", 123, 123),
  clashCase("masquerade: source port in 512..1023 is re-allocated in 600..1023", 700, 7),
  {
    name: "masquerade: ICMP echo id kept when free, re-allocated for a clash; replies map back",
    setup: masq(),
    async steps(rig) {
      const echo = (h: Host, seq: number) =>
        fromLan(
          h,
          icmpPacket(
            { src: h.ip, dst: SRV.ip, id: 0x3000 + seq },
            { kind: "echo-request", code: 0, ident: 0x1234, seq, data: pattern(56, seq) },
          ),
        );
      const reply = (id: number, seq: number) =>
        fromWan(
          SRV,
          icmpPacket(
            { src: SRV.ip, dst: R_WAN, id: 0x3100 + seq },
            { kind: "echo-reply", code: 0, ident: id, seq, data: pattern(56, seq) },
          ),
        );
      await rig.send("lan", echo(H15, 1));
      const id1 = tupleOf(await lastWan(rig)).sport;
      await rig.send("lan", echo(H16, 2));
      const id2 = tupleOf(await lastWan(rig)).sport;
      await rig.send("wan", reply(id2, 2));
      await rig.send("wan", reply(id1, 1));
      return [id1, id2];
    },
    view: maskWan([1]),
    property(o) {
      expect(o.chosen[0]).toBe(0x1234);
      expect(o.chosen[1]).not.toBe(0x1234);
      expect(o.lan.map(tupleOf).map((t) => t.sport)).toEqual([0x1234, 0x1234]);
      expect(o.lan.map((f) => ipOf(f)[19])).toEqual([16, 15]);
    },
  },
  {
    name: "ICMP port unreachable from outside about a NATed datagram: translated back (inner header and checksums)",
    setup: masq(),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x4001 }, 40000, 7, pattern(32))),
      );
      const sent = ipOf(await lastWan(rig));
      // SRV answers as a Linux host would: port unreachable quoting the datagram as it arrived.
      await rig.send(
        "wan",
        fromWan(
          SRV,
          icmpPacket(
            { src: SRV.ip, dst: R_WAN, id: 0x4002, tos: 0xc0 },
            { kind: "dest-unreachable", code: 3, nextHopMtu: 0, quoted: sent },
          ),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.lan.length).toBe(1);
      const p = ipOf(o.lan[0]);
      expect([p[9], p[20], p[21]]).toEqual([1, 3, 3]); // ICMP port unreachable …
      expect(tupleOf(o.lan[0]).dst).toBe(ip(H15.ip));
      // … quoting 10.0.2.15:40000 > 198.51.100.10:7 again
      expect(Array.from(p.subarray(28 + 12, 28 + 16))).toEqual([10, 0, 2, 15]);
      expect((p[28 + 20] << 8) | p[28 + 21]).toBe(40000);
    },
  },
  {
    // The router's own ICMP error about a de-NATed packet leaves through the NAT as "related": Linux
    // (nf_nat_icmp_reply_translation in OUTPUT/POSTROUTING) rewrites the quoted header back to the
    // public address and port the sender used.
    name: "time exceeded generated by the router about a de-NATed reply: quoted header translated back",
    setup: masq(),
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x7001 }, 40000, 7, pattern(32))),
      );
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x7002, ttl: 1 }, 7, 40000, pattern(40, 3))),
      );
      return [];
    },
    property(o) {
      expect(o.lan).toEqual([]);
      expect(o.wan.length).toBe(2);
      const te = ipOf(o.wan[1]);
      expect(te[20]).toBe(11);
      // quoted: 198.51.100.10:7 > 198.51.100.2:40000, as SRV sent it
      expect(Array.from(te.subarray(28 + 16, 28 + 20))).toEqual([198, 51, 100, 2]);
      expect((te[28 + 22] << 8) | te[28 + 23]).toBe(40000);
    },
  },
  {
    name: "DNAT port forward: SYN to 198.51.100.2:2222 reaches 10.0.2.15:22, the SYN-ACK leaves from :2222",
    setup: masq({ dnat: [{ proto: "tcp", dport: 2222, to: H15.ip, toPort: 22 }] }),
    async steps(rig) {
      const mss = [{ kind: "mss", mss: 1460 }] as const;
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, id: 0x5001, df: true },
            { sport: 50000, dport: 2222, seq: 5000, flags: TcpFlag.SYN, options: mss },
          ),
        ),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, id: 0, df: true },
            {
              sport: 22,
              dport: 50000,
              seq: 9000,
              ack: 5001,
              flags: TcpFlag.SYN | TcpFlag.ACK,
              window: 65160,
              options: mss,
            },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, id: 0x5002, df: true },
            { sport: 50000, dport: 2222, seq: 5001, ack: 9001, flags: TcpFlag.ACK, window: 502 },
          ),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.lan.map(tupleOf).map((t) => t.dport)).toEqual([22, 22]);
      expect(o.wan.map(tupleOf).map((t) => t.sport)).toEqual([2222]);
    },
  },
  {
    name: "conntrack -L after a TCP handshake, a DNAT handshake, a UDP exchange, an unreplied datagram and a ping",
    setup: masq({ dnat: [{ proto: "tcp", dport: 2222, to: H15.ip, toPort: 22 }] }),
    conntrack: true,
    async steps(rig) {
      // TCP through masquerade: SYN, SYN-ACK, ACK → ESTABLISHED [ASSURED].
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, df: true },
            { sport: 45000, dport: 80, seq: 1000, flags: TcpFlag.SYN },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true },
            {
              sport: 80,
              dport: 45000,
              seq: 7000,
              ack: 1001,
              flags: TcpFlag.SYN | TcpFlag.ACK,
              window: 65160,
            },
          ),
        ),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, df: true },
            { sport: 45000, dport: 80, seq: 1001, ack: 7001, flags: TcpFlag.ACK, window: 502 },
          ),
        ),
      );
      // DNAT: SYN in, SYN-ACK out → SYN_RECV.
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true },
            { sport: 50000, dport: 2222, seq: 5000, flags: TcpFlag.SYN },
          ),
        ),
      );
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, df: true },
            { sport: 22, dport: 50000, seq: 9000, ack: 5001, flags: TcpFlag.SYN | TcpFlag.ACK },
          ),
        ),
      );
      // UDP request and reply (within 2 s: Linux keeps the 30 s timeout and does not set ASSURED yet).
      await rig.send("lan", fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip }, 40000, 53, pattern(30))));
      await rig.send("wan", udpReply(53, 40000, 3));
      // UDP never answered → [UNREPLIED].
      await rig.send("lan", fromLan(H16, udpPacket({ src: H16.ip, dst: SRV.ip }, 40001, 9, pattern(10))));
      // Ping and its reply.
      await rig.send(
        "lan",
        fromLan(
          H16,
          icmpPacket(
            { src: H16.ip, dst: SRV.ip },
            { kind: "echo-request", code: 0, ident: 0x99, seq: 1, data: pattern(56) },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          icmpPacket(
            { src: SRV.ip, dst: R_WAN },
            { kind: "echo-reply", code: 0, ident: 0x99, seq: 1, data: pattern(56) },
          ),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.conntrack.length).toBe(5);
      const tcp = o.conntrack.filter((e) => e.proto === "tcp");
      expect(tcp.map((e) => e.state).sort()).toEqual(["ESTABLISHED", "SYN_RECV"]);
    },
  },
  {
    // nf_conntrack_proto_tcp: FIN one way → FIN_WAIT, its ACK → CLOSE_WAIT, FIN back → LAST_ACK, the last
    // ACK → TIME_WAIT (120 s); an in-window RST → CLOSE (10 s).
    name: "conntrack -L after a TCP close (FIN both ways) and a reset",
    setup: masq(),
    conntrack: true,
    async steps(rig) {
      const lanSeg = (h: Host, sport: number, seq: number, ack: number, flags: number) =>
        fromLan(h, tcpPacket({ src: h.ip, dst: SRV.ip, df: true }, { sport, dport: 80, seq, ack, flags }));
      const wanSeg = (dport: number, seq: number, ack: number, flags: number) =>
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true },
            { sport: 80, dport, seq, ack, flags, window: 65160 },
          ),
        );
      const { SYN, ACK, FIN, RST } = TcpFlag;
      for (const [h, sport] of [
        [H15, 45001],
        [H16, 45002],
      ] as const) {
        await rig.send("lan", lanSeg(h, sport, 100, 0, SYN));
        await rig.send("wan", wanSeg(sport, 500, 101, SYN | ACK));
        await rig.send("lan", lanSeg(h, sport, 101, 501, ACK));
      }
      await rig.send("lan", lanSeg(H15, 45001, 101, 501, FIN | ACK));
      await rig.send("wan", wanSeg(45001, 501, 102, ACK));
      await rig.send("wan", wanSeg(45001, 501, 102, FIN | ACK));
      await rig.send("lan", lanSeg(H15, 45001, 102, 502, ACK));
      await rig.send("wan", wanSeg(45002, 501, 101, RST | ACK));
      return [];
    },
    property(o) {
      expect(o.conntrack.map((e) => e.state).sort()).toEqual(["CLOSE", "TIME_WAIT"]);
    },
  },
  {
    // Linux 6.x nf_conntrack_udp_packet: a flow that has seen a reply and is still active more than 2 s
    // after it began becomes [ASSURED] with the 120 s stream timeout.
    name: "conntrack -L: a UDP flow still active after 2 s is ASSURED with the stream timeout",
    setup: masq(),
    conntrack: true,
    async steps(rig) {
      await rig.send("lan", fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip }, 40000, 5000, pattern(20))));
      await rig.send("wan", udpReply(5000, 40000, 1));
      await rig.wait(2.5);
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip }, 40000, 5000, pattern(20, 1))),
      );
      return [];
    },
    property(o) {
      expect(o.conntrack.length).toBe(1);
      expect(o.conntrack[0].assured).toBe(true);
      expect(o.conntrack[0].timeout).toBeGreaterThan(100);
    },
  },
];

/** Entries in a stable order (conntrack -L lists in hash order). */
function sortEntries(es: readonly ConntrackEntry[]): ConntrackEntry[] {
  return [...es].sort((a, b) =>
    `${a.proto} ${a.original.join(" ")}`.localeCompare(`${b.proto} ${b.original.join(" ")}`),
  );
}

function compareConntrack(vnet: Outcome, linux: Outcome): void {
  const strip = (e: ConntrackEntry) => ({ ...e, timeout: 0 });
  const v = sortEntries(vnet.conntrack);
  const l = sortEntries(linux.conntrack);
  expect(v.map(strip)).toEqual(l.map(strip));
  // Timeouts count down in wall seconds on Linux and simulated seconds in vnet: equal within the time the
  // scenario took on either side (plus one for rounding).
  const slack = Math.ceil(Math.max(linux.elapsed, vnet.elapsed)) + 1;
  for (let i = 0; i < l.length; i++) {
    expect(
      Math.abs(v[i].timeout - l[i].timeout),
      `timeout of ${l[i].proto} ${l[i].original.join(" ")}`,
    ).toBeLessThanOrEqual(slack);
  }
}

/**
 * vnet's NAT for a setup: `masquerade` = MASQUERADE out of wan; each DNAT rule = a port forward of the
 * wan address's port, matched only on packets arriving on wan (`-i wan`), as the iptables rules above.
 */
const vnetNat: VnetNatFactory = (stack, setup) => {
  const nat = new Nat(stack.sim, "r");
  if (setup.masquerade) nat.masquerade({ outIf: "wan" });
  for (const d of setup.dnat ?? []) {
    nat.portForward({ proto: d.proto, port: d.dport, iface: "wan", inIf: "wan", to: d.to, toPort: d.toPort });
  }
  nat.install(stack);
  return nat;
};

describe.runIf(support.ok)("vnet NAT vs Linux netfilter (netns oracle)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const linux = await runLinuxRouter(c.setup, (rig) => run(rig, c));
      c.property(linux);
      expectChecksumsOk(linux);
      const vnet = await runVnetRouter(c.setup, (rig) => run(rig, c), { nat: vnetNat });
      c.property(vnet);
      expectChecksumsOk(vnet);
      const view = c.view ?? ((o: Outcome) => o);
      expectSameSides(view(vnet), view(linux));
      if (c.conntrack) compareConntrack(vnet, linux);
    });
  }
});

describe.runIf(!support.ok && !!process.env.CI)("Linux NAT oracle in CI", () => {
  it("has root, iptables and conntrack", () => {
    throw new Error(support.ok ? "" : support.reason);
  });
});
