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
 * answered about its own choice. Each scenario is reported as a fidelity result (group "nat", ports lan,
 * wan, and conntrack / conntrack-steps where compared) for `npm run fidelity`'s table (test/fidelity/,
 * docs/fidelity.md).
 */
import { release } from "node:os";
import { describe, expect, it } from "vitest";
import { Nat } from "../nat/index.js";
import { TcpFlag } from "../wire/tcp.js";
import { comparePort, expectFaithful } from "./fidelity/compare.js";
import {
  fragmentsOf,
  icmpPacket,
  ip,
  ipOf,
  maskPort,
  pattern,
  tcpPacket,
  tupleOf,
  udpPacket,
} from "./netns/frames.js";
import { routerLabSupport, runLinuxRouter } from "./netns/linux-router.js";
import {
  baseSetup,
  expectChecksumsOk,
  fromLan,
  fromWan,
  GW1,
  H15,
  H16,
  type Host,
  R_WAN,
  ROUTER_MASKED,
  SRV,
  sidePorts,
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
  /** `conntrack -L` taken along the way (`snap` in a scenario's steps), in order. */
  readonly snapshots: readonly { readonly label: string; readonly entries: ConntrackEntry[] }[];
  readonly elapsed: number;
}

/** Takes a `conntrack -L` snapshot labelled `label` (a TCP flow's states along the way). */
type Snap = (label: string) => Promise<void>;

interface Case {
  readonly name: string;
  readonly setup: RouterSetup;
  /** Sends the frames; returns the ports the router chose where a test needs them. */
  readonly steps: (rig: RouterRig, snap: Snap) => Promise<number[]>;
  /** The frames as compared (masking what Linux draws at random). */
  readonly view?: (o: Outcome) => { lan: Uint8Array[]; wan: Uint8Array[] };
  /** What the scenario shows, asserted on both routers. */
  readonly property: (o: Outcome) => void;
  /** Compare `conntrack -L` after the steps. */
  readonly conntrack?: boolean;
}

async function run(rig: RouterRig, c: Case): Promise<Outcome> {
  const snapshots: { label: string; entries: ConntrackEntry[] }[] = [];
  const chosen = await c.steps(rig, async (label) => {
    snapshots.push({ label, entries: await rig.conntrack() });
  });
  const lan = await rig.received("lan");
  const wan = await rig.received("wan");
  const conntrack = c.conntrack ? await rig.conntrack() : [];
  return { lan, wan, chosen, conntrack, snapshots, elapsed: rig.elapsedSeconds() };
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

/** A TCP segment from LAN host `h`, port `sport`, to SRV port 80 (DF set, tcpPacket's window). */
function tcpFromLan(
  h: Host,
  sport: number,
  seq: number,
  ack: number,
  flags: number,
  o: { readonly id?: number; readonly data?: Uint8Array | undefined } = {},
): Uint8Array {
  return fromLan(
    h,
    tcpPacket(
      { src: h.ip, dst: SRV.ip, df: true, ...(o.id !== undefined && { id: o.id }) },
      { sport, dport: 80, seq, ack, flags, ...(o.data && { data: o.data }) },
    ),
  );
}

/** A TCP segment from SRV port 80 to the router's wan address, port `dport` (DF set, window 65160). */
function tcpFromWan(
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  o: { readonly id?: number; readonly data?: Uint8Array | undefined } = {},
): Uint8Array {
  return fromWan(
    SRV,
    tcpPacket(
      { src: SRV.ip, dst: R_WAN, df: true, ...(o.id !== undefined && { id: o.id }) },
      { sport: 80, dport, seq, ack, flags, window: 65160, ...(o.data && { data: o.data }) },
    ),
  );
}

/**
 * ICMP destination unreachable (`code`, next-hop MTU for code 4) from a host outside to the router's
 * wan address, quoting `quoted` (what the router sent), TOS 0xc0 as a Linux host sends its errors.
 */
function unreachableFrom(h: Host, id: number, code: number, mtu: number, quoted: Uint8Array): Uint8Array {
  return fromWan(
    h,
    icmpPacket(
      { src: h.ip, dst: R_WAN, id, tos: 0xc0 },
      { kind: "dest-unreachable", code, nextHopMtu: mtu, quoted },
    ),
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
      await rig.send("wan", unreachableFrom(SRV, 0x4002, 3, 0, sent));
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
      const { SYN, ACK, FIN, RST } = TcpFlag;
      for (const [h, sport] of [
        [H15, 45001],
        [H16, 45002],
      ] as const) {
        await rig.send("lan", tcpFromLan(h, sport, 100, 0, SYN));
        await rig.send("wan", tcpFromWan(sport, 500, 101, SYN | ACK));
        await rig.send("lan", tcpFromLan(h, sport, 101, 501, ACK));
      }
      await rig.send("lan", tcpFromLan(H15, 45001, 101, 501, FIN | ACK));
      await rig.send("wan", tcpFromWan(45001, 501, 102, ACK));
      await rig.send("wan", tcpFromWan(45001, 501, 102, FIN | ACK));
      await rig.send("lan", tcpFromLan(H15, 45001, 102, 502, ACK));
      await rig.send("wan", tcpFromWan(45002, 501, 101, RST | ACK));
      return [];
    },
    property(o) {
      expect(o.conntrack.map((e) => e.state).sort()).toEqual(["CLOSE", "TIME_WAIT"]);
    },
  },
  {
    // A TCP flow through masquerade beyond the handshake, conntrack's state after every segment
    // (nf_conntrack_proto_tcp.c's state table and timeouts): SYN → SYN_SENT, SYN-ACK → SYN_RECV, ACK →
    // ESTABLISHED [ASSURED]; data both ways with their ACKs (in window, forwarded and translated);
    // FIN → FIN_WAIT, ACK → CLOSE_WAIT, FIN back → LAST_ACK, last ACK → TIME_WAIT. A second flow is
    // reset from the LAN side in ESTABLISHED (→ CLOSE), and a third SYN is refused by the server with
    // RST-ACK (the entry is deleted at once).
    name: "TCP through masquerade: data both ways, ACKs, FIN/ACK close, RST; conntrack state after each segment",
    setup: masq(),
    conntrack: true,
    async steps(rig, snap) {
      const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
      let id = 0x6000;
      const lanSeg = (h: Host, sport: number, seq: number, ack: number, flags: number, data?: Uint8Array) =>
        tcpFromLan(h, sport, seq, ack, flags, { id: id++, data });
      const wanSeg = (dport: number, seq: number, ack: number, flags: number, data?: Uint8Array) =>
        tcpFromWan(dport, seq, ack, flags, { id: id++, data });
      const a = 3_000_000_000; // the client's ISN (above 2^31: sequence arithmetic must wrap right)
      const b = 700;
      const req = pattern(100, 1);
      const resp = pattern(300, 2);
      await rig.send("lan", lanSeg(H15, 45100, a, 0, SYN));
      await snap("SYN");
      await rig.send("wan", wanSeg(45100, b, a + 1, SYN | ACK));
      await snap("SYN-ACK");
      await rig.send("lan", lanSeg(H15, 45100, a + 1, b + 1, ACK));
      await snap("ACK");
      await rig.send("lan", lanSeg(H15, 45100, a + 1, b + 1, PSH | ACK, req));
      await rig.send("wan", wanSeg(45100, b + 1, a + 101, ACK));
      await rig.send("wan", wanSeg(45100, b + 1, a + 101, PSH | ACK, resp));
      await rig.send("lan", lanSeg(H15, 45100, a + 101, b + 301, ACK));
      await snap("data both ways");
      await rig.send("lan", lanSeg(H15, 45100, a + 101, b + 301, FIN | ACK));
      await snap("FIN from the client");
      await rig.send("wan", wanSeg(45100, b + 301, a + 102, ACK));
      await snap("its ACK");
      await rig.send("wan", wanSeg(45100, b + 301, a + 102, FIN | ACK));
      await snap("FIN from the server");
      await rig.send("lan", lanSeg(H15, 45100, a + 102, b + 302, ACK));
      await snap("last ACK");
      // Reset by the client in ESTABLISHED.
      await rig.send("lan", lanSeg(H16, 45101, 10, 0, SYN));
      await rig.send("wan", wanSeg(45101, 20, 11, SYN | ACK));
      await rig.send("lan", lanSeg(H16, 45101, 11, 21, ACK));
      await rig.send("lan", lanSeg(H16, 45101, 11, 21, PSH | ACK, pattern(10, 3)));
      await rig.send("lan", lanSeg(H16, 45101, 21, 21, RST | ACK));
      await snap("RST from the client");
      // Refused: SYN answered with RST-ACK.
      await rig.send("lan", lanSeg(H16, 45102, 50, 0, SYN));
      await rig.send("wan", wanSeg(45102, 0, 51, RST | ACK));
      await snap("SYN refused with RST-ACK");
      return [];
    },
    property(o) {
      const states = o.snapshots.map((sn) => {
        const e = sn.entries.find((x) => x.original.includes("sport=45100"));
        return `${sn.label}: ${e?.state ?? "-"}${e?.assured ? " A" : ""}`;
      });
      expect(states).toEqual([
        "SYN: SYN_SENT",
        "SYN-ACK: SYN_RECV",
        "ACK: ESTABLISHED A",
        "data both ways: ESTABLISHED A",
        "FIN from the client: FIN_WAIT A",
        "its ACK: CLOSE_WAIT A",
        "FIN from the server: LAST_ACK A",
        "last ACK: TIME_WAIT A",
        "RST from the client: TIME_WAIT A",
        "SYN refused with RST-ACK: TIME_WAIT A",
      ]);
      // The refused flow is gone at once: when the only reply a connection saw is a RST, Linux deletes its
      // entry (nf_conntrack_proto_tcp.c, "we can delete the conntrack immediately"); the RST-ACK is still
      // translated back to the client.
      expect(o.conntrack.map((e) => `${e.original[2]} ${e.state}`).sort()).toEqual([
        "sport=45100 TIME_WAIT",
        "sport=45101 CLOSE",
      ]);
      expect(o.wan.length).toBe(11);
      expect(o.lan.length).toBe(7);
    },
  },
  {
    // Two LAN hosts open TCP connections from the same source port to the same server port: the second
    // gets a new port (Linux draws it: masked, its range asserted); both handshakes complete and data to
    // the second reaches the right host.
    name: "masquerade: two hosts open TCP from the same source port to the same server; both handshakes complete",
    setup: masq(),
    async steps(rig) {
      const { SYN, ACK, PSH } = TcpFlag;
      const lanSeg = (h: Host, seq: number, ack: number, flags: number) =>
        tcpFromLan(h, 41000, seq, ack, flags);
      const wanSeg = (dport: number, seq: number, ack: number, flags: number, data?: Uint8Array) =>
        tcpFromWan(dport, seq, ack, flags, { data });
      await rig.send("lan", lanSeg(H15, 100, 0, SYN));
      const p1 = tupleOf(await lastWan(rig)).sport;
      await rig.send("lan", lanSeg(H16, 200, 0, SYN));
      const p2 = tupleOf(await lastWan(rig)).sport;
      await rig.send("wan", wanSeg(p2, 900, 201, SYN | ACK));
      await rig.send("wan", wanSeg(p1, 800, 101, SYN | ACK));
      await rig.send("lan", lanSeg(H16, 201, 901, ACK));
      await rig.send("lan", lanSeg(H15, 101, 801, ACK));
      await rig.send("wan", wanSeg(p2, 901, 201, PSH | ACK, pattern(40, 9)));
      return [p1, p2];
    },
    view: maskWan([1, 2]),
    property(o) {
      const [p1, p2] = o.chosen;
      expect(p1).toBe(41000);
      expect(p2).not.toBe(41000);
      expect(inRange(41000, p2), `port ${p2}`).toBe(true);
      expect(o.wan.map(tupleOf).map((t) => t.sport)).toEqual([41000, p2, p2, 41000]);
      expect(o.lan.map(tupleOf).map((t) => [t.dst, t.dport])).toEqual([
        [ip(H16.ip), 41000],
        [ip(H15.ip), 41000],
        [ip(H16.ip), 41000],
      ]);
    },
  },
  {
    // Path MTU discovery through NAT: a router beyond (GW1) answers a full-size masqueraded TCP segment with
    // ICMP fragmentation needed, quoting 548 bytes of it (576 minus its headers, as Linux does). Linux's
    // nf_nat_icmp_reply_translation translates it back as RELATED: outer destination, the quoted source
    // address and port, and the quoted TCP checksum (whole header quoted), every checksum adjusted.
    name: "ICMP fragmentation needed from beyond about a masqueraded TCP segment: translated back (PMTU discovery)",
    setup: masq(),
    async steps(rig) {
      const { SYN, ACK, PSH } = TcpFlag;
      const seg = (seq: number, ack: number, flags: number, data?: Uint8Array) =>
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, df: true, id: 0x7100 + (seq % 256) },
            { sport: 45200, dport: 443, seq, ack, flags, ...(data && { data }) },
          ),
        );
      await rig.send("lan", seg(1000, 0, SYN));
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true },
            { sport: 443, dport: 45200, seq: 4000, ack: 1001, flags: SYN | ACK, window: 65160 },
          ),
        ),
      );
      await rig.send("lan", seg(1001, 4001, ACK));
      await rig.send("lan", seg(1001, 4001, PSH | ACK, pattern(1400, 4)));
      const sent = ipOf(await lastWan(rig));
      await rig.send("wan", unreachableFrom(GW1, 0x7200, 4, 1200, sent.subarray(0, 548)));
      return [];
    },
    property(o) {
      expect(o.wan.length).toBe(3);
      expect(o.lan.length).toBe(2);
      const p = ipOf(o.lan[1]);
      expect([p[9], p[20], p[21], (p[26] << 8) | p[27]]).toEqual([1, 3, 4, 1200]);
      expect(Array.from(p.subarray(16, 20))).toEqual([10, 0, 2, 15]);
      expect(Array.from(p.subarray(28 + 12, 28 + 16))).toEqual([10, 0, 2, 15]);
      expect((p[28 + 20] << 8) | p[28 + 21]).toBe(45200);
    },
  },
  {
    // DNAT for UDP (`-p udp --dport 5353 -j DNAT --to-destination 10.0.2.16:53`): the request reaches the
    // LAN host, its reply leaves from the forwarded port; conntrack shows the translated reply tuple. A
    // datagram to another port and a ping to the router's own address are local flows, tracked too.
    name: "DNAT UDP port forward: 198.51.100.2:5353 reaches 10.0.2.16:53, the reply leaves from :5353",
    setup: masq({ dnat: [{ proto: "udp", dport: 5353, to: H16.ip, toPort: 53 }] }),
    conntrack: true,
    async steps(rig) {
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x7301 }, 33000, 5353, pattern(29))),
      );
      await rig.send(
        "lan",
        fromLan(H16, udpPacket({ src: H16.ip, dst: SRV.ip, id: 0x7302 }, 53, 33000, pattern(45, 1))),
      );
      // Another port of the router's address is not forwarded (nothing listens: port unreachable, and
      // conntrack tracks that datagram too).
      await rig.send(
        "wan",
        fromWan(SRV, udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x7303 }, 33000, 5354, pattern(10))),
      );
      // A ping to the router's own wan address: answered by the router, tracked like any local flow.
      await rig.send(
        "wan",
        fromWan(
          SRV,
          icmpPacket(
            { src: SRV.ip, dst: R_WAN, id: 0x7304 },
            { kind: "echo-request", code: 0, ident: 0x31, seq: 1, data: pattern(32) },
          ),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.lan.map(tupleOf).map((t) => [t.dst, t.dport])).toEqual([[ip(H16.ip), 53]]);
      expect(o.wan.length).toBe(3);
      expect(tupleOf(o.wan[0]).sport).toBe(5353);
      expect(ipOf(o.wan[2])[20]).toBe(0); // echo reply
      const u = ipOf(o.wan[1]);
      expect([u[9], u[20], u[21]]).toEqual([1, 3, 3]); // port unreachable from the router itself
      // Both are tracked: the forwarded flow with its DNAT reply tuple, and the datagram delivered to the
      // router itself (conntrack sees local input too), unreplied: an ICMP error is not a reply.
      expect(
        o.conntrack
          .filter((e) => e.proto === "udp")
          .map((e) => `${e.original[3]} ${e.reply[2]} ${e.unreplied}`)
          .sort(),
      ).toEqual(["dport=5353 sport=53 false", "dport=5354 sport=5354 true"]);
      expect(o.conntrack.filter((e) => e.proto === "icmp").map((e) => e.unreplied)).toEqual([false]);
    },
  },
  {
    // Traffic conntrack did not see begin. A TCP segment from the LAN in the middle of a connection (no
    // SYN seen: a router rebooted, a flushed table) is picked up (nf_conntrack_tcp_loose=1, Linux's
    // default) and masqueraded, and the server's answer maps back. A SYN from outside to a port of the
    // router nothing forwards reaches the router's own TCP, which resets it; conntrack deletes an entry
    // whose only reply was a RST. The forwarded port asked from the LAN side is not DNATed (`-i wan`).
    name: "TCP picked up mid-stream (loose) is masqueraded; SYNs to unforwarded ports, or from the LAN, are reset",
    setup: masq({ dnat: [{ proto: "tcp", dport: 2222, to: H15.ip, toPort: 22 }] }),
    conntrack: true,
    async steps(rig) {
      const { SYN, ACK, PSH } = TcpFlag;
      await rig.send(
        "lan",
        fromLan(
          H15,
          tcpPacket(
            { src: H15.ip, dst: SRV.ip, df: true, id: 0x7401 },
            { sport: 46000, dport: 80, seq: 123456, ack: 654321, flags: PSH | ACK, data: pattern(20, 1) },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true, id: 0x7402 },
            { sport: 80, dport: 46000, seq: 654321, ack: 123476, flags: ACK, window: 65160 },
          ),
        ),
      );
      await rig.send(
        "wan",
        fromWan(
          SRV,
          tcpPacket(
            { src: SRV.ip, dst: R_WAN, df: true, id: 0x7403 },
            { sport: 50001, dport: 8080, seq: 42, flags: SYN },
          ),
        ),
      );
      // The forwarded port from the LAN side: the rule is `-i wan`, so no DNAT; the router's own TCP
      // resets it (no NAT loopback / hairpin).
      await rig.send(
        "lan",
        fromLan(
          H16,
          tcpPacket(
            { src: H16.ip, dst: R_WAN, df: true, id: 0x7404 },
            { sport: 50002, dport: 2222, seq: 7, flags: SYN },
          ),
        ),
      );
      return [];
    },
    property(o) {
      expect(o.wan.map(tupleOf).map((t) => t.sport)).toEqual([46000, 8080]);
      expect(ipOf(o.wan[1])[33]).toBe(0x14); // RST+ACK from the router
      expect(o.lan.map(tupleOf).map((t) => [t.src, t.dport])).toEqual([
        [ip(SRV.ip), 46000],
        [ip(R_WAN), 50002],
      ]);
      expect(o.conntrack.map((e) => `${e.original[2]} ${e.state}`)).toEqual(["sport=46000 ESTABLISHED"]);
    },
  },
  {
    // With NAT loaded, datagrams the router refuses to forward: TTL 1 (time exceeded), DF and too big for
    // the wan MTU (fragmentation needed), no route (net unreachable). conntrack made an entry for each in
    // PREROUTING, but it is confirmed only when the packet leaves (POSTROUTING / ipv4_confirm): a refused
    // packet's entry is never confirmed, so `conntrack -L` shows none of them. The errors go back to the
    // LAN host untranslated, from the router's LAN address.
    name: "datagrams the router refuses (TTL 1, DF too big, no route) leave no conntrack entry",
    setup: masq({ wan: { cidr: "198.51.100.2/24", mac: "0a:00:00:00:01:02", mtu: 1280 } }),
    conntrack: true,
    async steps(rig) {
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x7501, ttl: 1 }, 40100, 7, pattern(20))),
      );
      await rig.send(
        "lan",
        fromLan(H15, udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x7502, df: true }, 40101, 7, pattern(1400))),
      );
      await rig.send(
        "lan",
        fromLan(H16, udpPacket({ src: H16.ip, dst: "192.0.2.9", id: 0x7503 }, 40102, 7, pattern(20))),
      );
      await rig.send(
        "lan",
        fromLan(H16, udpPacket({ src: H16.ip, dst: SRV.ip, id: 0x7504 }, 40103, 7, pattern(20))),
      );
      return [];
    },
    property(o) {
      expect(o.lan.map((f) => [ipOf(f)[20], ipOf(f)[21]])).toEqual([
        [11, 0],
        [3, 4],
        [3, 0],
      ]);
      expect(o.wan.length).toBe(1);
      expect(o.conntrack.map((e) => e.original[2])).toEqual(["sport=40103"]);
    },
  },
  {
    // Fragments through masquerade (nf_defrag_ipv4 before conntrack, then ip_do_fragment to the largest
    // fragment size seen, IPCB frag_max_size): a UDP datagram from the LAN in two fragments, the second
    // first, leaves as two fragments in order with the source rewritten (the port and the UDP checksum
    // in the first fragment only); a fragmented reply maps back the same way. A second host from the same
    // port gets a new one (masked), in its first fragment.
    name: "fragmented UDP through masquerade: reassembled, translated, refragmented in order",
    setup: masq(),
    async steps(rig) {
      const out = udpPacket({ src: H15.ip, dst: SRV.ip, id: 0x7601 }, 40200, 7, pattern(1800, 11));
      const [o1, o2] = fragmentsOf(out, 1480);
      await rig.send("lan", fromLan(H15, o2));
      await rig.send("lan", fromLan(H15, o1));
      const back = udpPacket({ src: SRV.ip, dst: R_WAN, id: 0x7602 }, 7, 40200, pattern(1000, 12));
      const [b1, b2] = fragmentsOf(back, 600);
      await rig.send("wan", fromWan(SRV, b1));
      await rig.send("wan", fromWan(SRV, b2));
      const two = udpPacket({ src: H16.ip, dst: SRV.ip, id: 0x7603 }, 40200, 7, pattern(1800, 13));
      const [t1, t2] = fragmentsOf(two, 1480);
      await rig.send("lan", fromLan(H16, t1));
      await rig.send("lan", fromLan(H16, t2));
      return [tupleOf((await rig.received("wan"))[2]).sport];
    },
    view: maskWan([2]),
    property(o) {
      expect(o.wan.map((f) => ipOf(f).byteLength)).toEqual([1500, 348, 1500, 348]);
      expect(o.wan.map((f) => (ipOf(f)[6] << 8) | ipOf(f)[7])).toEqual([0x2000, 185, 0x2000, 185]);
      expect(tupleOf(o.wan[0]).sport).toBe(40200);
      expect(o.chosen[0]).not.toBe(40200);
      expect(o.lan.map((f) => ipOf(f).byteLength)).toEqual([620, 428]);
      expect(tupleOf(o.lan[0]).dst).toBe(ip(H15.ip));
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

/** An entry as compared: `conntrack -L`'s fields without the timeout (checked apart, compareTimeouts). */
function entryLine(e: ConntrackEntry): string {
  const flags = [e.unreplied && "[UNREPLIED]", e.assured && "[ASSURED]"].filter(Boolean);
  return [e.proto, e.protonum, e.state ?? "", ...e.original, "|", ...e.reply, ...flags, ...e.rest]
    .filter((w) => w !== "")
    .join(" ");
}

/** `conntrack -L` as a port of the fidelity table: one line per entry, in a stable order. */
function conntrackLines(o: Outcome): string[] {
  return sortEntries(o.conntrack).map(entryLine);
}

/** The snapshots along the way as a port: `label: entry` lines (`label: (empty)` for an empty table). */
function snapshotLines(o: Outcome): string[] {
  return o.snapshots.flatMap((sn) => {
    const es = sortEntries(sn.entries);
    return es.length === 0 ? [`${sn.label}: (empty)`] : es.map((e) => `${sn.label}: ${entryLine(e)}`);
  });
}

function compareTimeouts(vnet: Outcome, linux: Outcome): void {
  for (let k = 0; k < linux.snapshots.length; k++) {
    compareEntryTimeouts(vnet.snapshots[k]?.entries ?? [], linux.snapshots[k].entries, vnet, linux);
  }
  compareEntryTimeouts(vnet.conntrack, linux.conntrack, vnet, linux);
}

function compareEntryTimeouts(
  vnetEntries: readonly ConntrackEntry[],
  linuxEntries: readonly ConntrackEntry[],
  vnet: Outcome,
  linux: Outcome,
): void {
  const v = sortEntries(vnetEntries);
  const l = sortEntries(linuxEntries);
  expect(v.map(entryLine)).toEqual(l.map(entryLine));
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

const ORACLE = `Linux ${release().split("-")[0]} netfilter (netns)`;

/** What the view masks (the port or echo id Linux draws for a clashing flow). */
const CLASH_MASKED = "NAT source port / echo id of a flow that clashes (nf_nat_l4proto_unique_tuple)";
const TIMEOUT_MASKED = "conntrack timeouts (wall vs simulated seconds: equal within the scenario's duration)";

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
      expectFaithful({
        group: "nat",
        scenario: c.name,
        oracle: ORACLE,
        ports: [
          ...sidePorts(view(linux), view(vnet)),
          ...(c.conntrack ? [comparePort("conntrack", conntrackLines(linux), conntrackLines(vnet))] : []),
          ...(linux.snapshots.length > 0
            ? [comparePort("conntrack-steps", snapshotLines(linux), snapshotLines(vnet))]
            : []),
        ],
        masked: [ROUTER_MASKED, ...(c.view ? [CLASH_MASKED] : []), ...(c.conntrack ? [TIMEOUT_MASKED] : [])],
      });
      if (c.conntrack) compareTimeouts(vnet, linux);
    });
  }
});

describe.runIf(!support.ok && !!process.env.CI)("Linux NAT oracle in CI", () => {
  it("has root, iptables and conntrack", () => {
    throw new Error(support.ok ? "" : support.reason);
  });
});
