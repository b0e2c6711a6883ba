import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusBytes, corpusPath, haveShared, tool, toolPath } from "../test/shared.js";
import { readCaptureBytes } from "./reader.js";
import type { CaptureRecord } from "./record.js";
import { CaptureStats, packetJson } from "./stats.js";
import { summarize } from "./summary.js";

const TSHARK = toolPath("tshark");
const haveTshark = tool("tshark");

// Hand-built frames (bytes written here from the RFC 791/768/826/8200 layouts).
const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];
/** Ethernet + IPv4 (20 bytes) + UDP (8 bytes) + `pay` zero bytes; frame length 42 + pay. */
function udp4(
  src: number[],
  dst: number[],
  sport: number,
  dport: number,
  pay: number,
  macs = [MAC_A, MAC_B],
): number[] {
  const ipLen = 28 + pay;
  return [
    ...macs[1],
    ...macs[0],
    0x08,
    0x00,
    0x45,
    0,
    ipLen >> 8,
    ipLen & 0xff,
    0,
    1,
    0,
    0,
    64,
    17,
    0,
    0,
    ...src,
    ...dst,
    sport >> 8,
    sport & 0xff,
    dport >> 8,
    dport & 0xff,
    0,
    8 + pay,
    0,
    0,
    ...new Array(pay).fill(0),
  ];
}
/** Ethernet + 802.1Q tag (VLAN 7) + ARP request 10.0.0.1 -> 10.0.0.2: 14 + 4 + 28 = 46 bytes. */
const ARP_VLAN = [
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  ...MAC_A,
  0x81,
  0x00,
  0x00,
  0x07,
  0x08,
  0x06,
  0,
  1,
  0x08,
  0,
  6,
  4,
  0,
  1,
  ...MAC_A,
  10,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  10,
  0,
  0,
  2,
];
/** Ethernet + IPv6 fe80::1 -> ff02::1, ICMPv6 echo request (type 128), 14 + 40 + 8 = 62 bytes. */
const ICMP6 = [
  0x33,
  0x33,
  0,
  0,
  0,
  1,
  ...MAC_A,
  0x86,
  0xdd,
  0x60,
  0,
  0,
  0,
  0,
  8,
  58,
  255,
  0xfe,
  0x80,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  0xff,
  0x02,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  128,
  0,
  0,
  0,
  0,
  1,
  0,
  1,
];

function rec(bytes: number[], tsSec: number, tsFrac: number): CaptureRecord {
  return {
    tsSec,
    tsFrac,
    fracDigits: 6,
    linkType: 1,
    iface: 0,
    origLen: bytes.length,
    data: new Uint8Array(bytes),
  };
}

describe("summarize", () => {
  it("decodes the hand-built frames", () => {
    const u = summarize(new Uint8Array(udp4([10, 0, 0, 1], [10, 0, 0, 2], 1234, 53, 10)), 52, 1);
    expect(u.layers).toEqual(["eth", "ip", "udp"]);
    expect([u.srcPort, u.dstPort, u.ipProto, u.caplen, u.len]).toEqual([1234, 53, 17, 52, 52]);
    const a = summarize(new Uint8Array(ARP_VLAN), 46, 1);
    expect(a.layers).toEqual(["eth", "vlan", "arp"]);
    expect(a.vlanIds).toEqual([7]);
    const i6 = summarize(new Uint8Array(ICMP6), 62, 1);
    expect([i6.src6, i6.dst6, i6.icmpType, i6.icmpCode, i6.protocol]).toEqual([
      "fe80::1",
      "ff02::1",
      128,
      0,
      "icmpv6",
    ]);
  });
  it("never throws on arbitrary bytes, for any link type", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 999),
        (b, lt) => {
          const s = summarize(b, b.length, lt);
          expect(s.caplen).toBe(b.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("CaptureStats on a hand-built capture", () => {
  // t = 10.0 A->B 52 bytes; 10.5 B->A 42 bytes; 11.0 ARP 46 bytes; 12.0 IPv6 62 bytes.
  const recs = [
    rec(udp4([10, 0, 0, 1], [10, 0, 0, 2], 1234, 53, 10), 10, 0),
    rec(udp4([10, 0, 0, 2], [10, 0, 0, 1], 53, 1234, 0, [MAC_B, MAC_A]), 10, 500000),
    rec(ARP_VLAN, 11, 0),
    rec(ICMP6, 12, 0),
  ];
  const st = new CaptureStats();
  for (const r of recs) st.add(r);
  const r = st.result();
  it("counts packets, bytes, duration and rates", () => {
    expect(r.packets).toBe(4);
    expect(r.bytes).toBe(52 + 42 + 46 + 62); // 202
    expect(r.duration).toBe(2);
    expect(r.packetsPerSecond).toBe(2);
    expect(r.bitsPerSecond).toBe((202 * 8) / 2);
  });
  it("builds the protocol hierarchy", () => {
    expect(Object.fromEntries(r.hierarchy)).toEqual({
      eth: { frames: 4, bytes: 202 },
      "eth:ip": { frames: 2, bytes: 94 },
      "eth:ip:udp": { frames: 2, bytes: 94 },
      "eth:vlan": { frames: 1, bytes: 46 },
      "eth:vlan:arp": { frames: 1, bytes: 46 },
      "eth:ipv6": { frames: 1, bytes: 62 },
      "eth:ipv6:icmpv6": { frames: 1, bytes: 62 },
    });
  });
  it("builds conversations and talkers", () => {
    expect(r.conversations).toEqual([
      {
        family: "ipv4",
        a: "10.0.0.1",
        b: "10.0.0.2",
        framesAtoB: 1,
        bytesAtoB: 52,
        framesBtoA: 1,
        bytesBtoA: 42,
        first: 10,
        last: 10.5,
      },
      {
        family: "ipv6",
        a: "fe80::1",
        b: "ff02::1",
        framesAtoB: 1,
        bytesAtoB: 62,
        framesBtoA: 0,
        bytesBtoA: 0,
        first: 12,
        last: 12,
      },
    ]);
    expect(r.talkers.map((t) => [t.address, t.packets, t.bytes])).toEqual([
      ["10.0.0.1", 2, 94],
      ["10.0.0.2", 2, 94],
      ["fe80::1", 1, 62],
      ["ff02::1", 1, 62],
    ]);
  });
  it("prints text and JSON lines", () => {
    const text = st.toText();
    expect(text).toContain("Packets: 4");
    expect(text).toContain("Average rate: 2.000 packets/s, 808.000 bits/s");
    expect(text).toMatch(/10\.0\.0\.1 +<-> 10\.0\.0\.2 +1 42 bytes +1 52 bytes +2 94 bytes/);
    const lines = st.toJsonLines().map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      type: "summary",
      packets: 4,
      bytes: 202,
      firstTime: "1970-01-01T00:00:10.000000Z",
    });
    expect(lines.filter((l) => l.type === "conversation")).toHaveLength(2);
  });
  it("bounds the conversation table and counts the rest", () => {
    const small = new CaptureStats({ maxConversations: 1, maxHosts: 2 });
    for (const x of recs) small.add(x);
    const sr = small.result();
    expect(sr.conversations).toHaveLength(1);
    expect(sr.untrackedConversations).toEqual({ frames: 1, bytes: 62 });
    expect(sr.untrackedTalkers).toEqual({ packets: 2, bytes: 124 });
  });
  it("packetJson gives one object per packet", () => {
    const o = JSON.parse(packetJson(1, recs[1], undefined, "the line"));
    expect(o).toMatchObject({
      number: 1,
      time: "1970-01-01T00:00:10.500000Z",
      tsSec: 10,
      tsFrac: 500000,
      caplen: 42,
      len: 42,
      src: "10.0.0.2",
      dst: "10.0.0.1",
      srcPort: 53,
      dstPort: 1234,
      protocol: "udp",
      line: "the line",
    });
  });
});

interface TsharkConv {
  a: string;
  b: string;
  framesBtoA: number;
  bytesBtoA: number;
  framesAtoB: number;
  bytesAtoB: number;
  start: number;
}

function tsharkConv(file: string, kind: "ip" | "ipv6"): TsharkConv[] {
  const res = spawnSync(TSHARK, ["-q", "-z", `conv,${kind}`, "-r", file], { encoding: "utf8" });
  const rows: TsharkConv[] = [];
  for (const line of res.stdout.split("\n")) {
    const m =
      /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d,]+) bytes\s+(\d+)\s+([\d,]+) bytes\s+\d+\s+[\d,]+ bytes\s+([\d.]+)/.exec(
        line,
      );
    if (!m) continue;
    const num = (s: string) => Number(s.replace(/,/g, ""));
    rows.push({
      a: m[1],
      b: m[2],
      framesBtoA: num(m[3]),
      bytesBtoA: num(m[4]),
      framesAtoB: num(m[5]),
      bytesAtoB: num(m[6]),
      start: Number(m[7]),
    });
  }
  return rows;
}

describe.skipIf(!haveShared || !haveTshark)("conversations agree with tshark -z conv", () => {
  const cases: [string, "ip" | "ipv6"][] = [
    ["libpcap/gateway_or_not.pcap", "ip"],
    ["tcpdump/dns_tcp.pcap", "ip"],
    ["tcpdump/pptp.pcap", "ip"],
    ["tcpdump/tcp-handshake-nano.pcap", "ip"],
    ["tcpdump/icmpv6.pcap", "ipv6"],
  ];
  for (const [name, kind] of cases) {
    it(`${name} (conv,${kind})`, () => {
      const file = corpusPath(name);
      const want = tsharkConv(file, kind);
      expect(want.length).toBeGreaterThan(0);
      const st = new CaptureStats();
      for (const r of readCaptureBytes(corpusBytes(name))) st.add(r);
      const res = st.result();
      const got = res.conversations
        .filter((c) => c.family === (kind === "ip" ? "ipv4" : "ipv6"))
        .map((c) => ({
          a: c.a,
          b: c.b,
          framesBtoA: c.framesBtoA,
          bytesBtoA: c.bytesBtoA,
          framesAtoB: c.framesAtoB,
          bytesAtoB: c.bytesAtoB,
          start: Math.round((c.first - res.firstTime) * 1e6) / 1e6,
        }));
      const norm = (xs: TsharkConv[]) =>
        xs
          .map((x) => ({ ...x, start: Math.round(x.start * 1e6) / 1e6 }))
          .sort((x, y) => (x.a + x.b < y.a + y.b ? -1 : 1));
      expect(norm(got)).toEqual(norm(want));
    });
  }
});
