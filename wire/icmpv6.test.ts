import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, haveShared } from "../test/shared.js";
import { expectEveryTruncationRejected, hex, parsesOrWireError, u16 } from "../test/wire-helpers.js";
import { type Ipv6, type Mac, parseIpv6Address, parseMac } from "./addr.js";
import { WireError } from "./errors.js";
import {
  emitIcmpv6,
  Icmpv6Packet,
  type Icmpv6Repr,
  Icmpv6Type,
  Icmpv6UnreachableCode,
  icmpv6BufferLen,
  NaFlag,
  type NdpOption,
  ndpOptionsLen,
  PrefixFlag,
  parseIcmpv6,
  parseNdpOptions,
  RaFlag,
} from "./icmpv6.js";
import { type PseudoHeaderV6, pseudoV6 } from "./l4-checksum.js";

const ip6 = (s: string): Ipv6 => parseIpv6Address(s);

/** ICMPv6 message at `l4` in an IPv6 packet whose header starts at `at`; the length is the IPv6 payload length minus `l4 - at - 40`. */
function v6(
  frame: Uint8Array,
  at: number,
  l4 = at + 40,
  dst?: Uint8Array,
): { msg: Uint8Array; ip: PseudoHeaderV6 } {
  const end = at + 40 + u16(frame, at + 4);
  return {
    msg: frame.subarray(l4, end),
    ip: pseudoV6(frame.subarray(at + 8, at + 24), dst ?? frame.subarray(at + 24, at + 40)),
  };
}

function emitted(r: Icmpv6Repr, ip: PseudoHeaderV6): Uint8Array {
  const b = new Uint8Array(icmpv6BufferLen(r)).fill(0xa5);
  emitIcmpv6(r, Icmpv6Packet.unchecked(b), ip);
  return b;
}

// tcpdump corpus icmpv6.pcap #1 (tcpdump -vv): fe80::b299:28ff:fec8:d66c > ff02::1: [icmp6 sum ok]
//   ICMP6, router advertisement, length 176
//   hop limit 64, Flags [home agent], pref medium, router lifetime 15s, reachable time 0ms, retrans timer 0ms
//   prefix info option (3): 2222:3333:4444:5555:6600::/72, Flags [onlink, auto], valid time 2592000s, pref. time 604800s
//   rdnss option (25): lifetime 5s, addr: abcd::efef addr: 1234:5678::1
//   dnssl option (31), length 56 (7); mtu option (5): 100; source link-address option (1): b0:99:28:c8:d6:6c
//   advertisement interval option (7), length 8; homeagent information option (8), length 8
const RA_1 = corpusFrame("tcpdump/icmpv6.pcap", 1);
// tcpdump corpus icmpv6_opt24.pcap #1 (tcpdump -v): [icmp6 sum ok] router advertisement, length 120
//   hop limit 0, Flags [managed, other stateful], pref medium, router lifetime 0s, reachable 0ms, retrans 0ms
//   source link-address option (1): 14:cf:92:87:23:d6; mtu option (5): 1500
//   prefix info option (3): fd8d:4fb3:5b2e::/64, Flags [onlink, auto], valid time 7200s, pref. time 1800s
//   route info option (24), length 16 (2): fd8d:4fb3:5b2e::/48, pref=medium, lifetime=7200s
//   rdnss option (25): lifetime 1800s, addr: fd8d:4fb3:5b2e::1; dnssl option (31), length 16 (2)
const RA_OPT24 = corpusFrame("tcpdump/icmpv6_opt24.pcap", 1);
// icmpv6.pcap #3 (behind an 8-byte hop-by-hop header): [icmp6 sum ok] multicast listener query v2
//   [max resp delay=10000] [gaddr :: robustness=2 qqi=60]
const MLD_QUERY = corpusFrame("tcpdump/icmpv6.pcap", 3);
// icmpv6.pcap #2: [icmp6 sum ok] multicast listener report v2, 1 group record(s)
const MLD2_REPORT = corpusFrame("tcpdump/icmpv6.pcap", 2);
// tcpdump corpus ipv6-bad-version.pcap #1: :: > ff02::1:ff76:6c14: [icmp6 sum ok] ICMP6, neighbor
//   solicitation, length 24, who has fe80::20c:29ff:fe76:6c14
const NS_DAD = corpusFrame("tcpdump/ipv6-bad-version.pcap", 1);
// tcpdump corpus ipv6-routing-header.pcap #1: a type 0 routing header whose last address is the final
// destination 2200::210:2:0:0:4 (RFC 8200 §8.1: the pseudo-header uses it); [icmp6 sum ok] echo request, id 0, seq 0
const ECHO_RH = corpusFrame("tcpdump/ipv6-routing-header.pcap", 1);
// Built by hand (Python) as raw IPv6, checked with tcpdump 4.99.3 -vv ("[icmp6 sum ok]" for each):
//   #6 2001:db8::1 > 2001:db8::2: packet too big, mtu 1280
//   #7 time exceeded in-transit for 2001:db8:ffff::9
//   #8 parameter problem, erroneous - octet 6
//   #9 destination unreachable, unreachable port, 2001:db8:ffff::9 udp port 53
//   #10 fe80::2 > ff02::2: router solicitation, length 16, source link-address option (1): 02:00:00:00:00:02
//   #11 fe80::1 > fe80::2: neighbor advertisement, length 32, tgt is 2001:db8::1, Flags [router, solicited,
//       override], destination link-address option (2): 02:00:00:00:00:01
//   #12 fe80::1 > 2001:db8::2: redirect, length 104, 2001:db8:ffff::9 to fe80::99, destination link-address
//       option (2): 02:00:00:00:00:01, redirected header option (4), length 56 (7)
//   #13 2001:db8::2 > 2001:db8::1: echo reply, id 4660, seq 7 ("hello!")
const Q6 = "6000000005ac113f20010db800000000000000000000000220010db8ffff000000000000000000091388003505ac1111";
const H6 = "20010db800000000000000000000000120010db8000000000000000000000002";
const PTB = hex(`6000000000383aff${H6}0200a03500000500${Q6}`);
const TIME_EXC = hex(`6000000000383aff${H6}0300a43500000000${Q6}`);
const PARAM = hex(`6000000000383aff${H6}0400a32f00000006${Q6}`);
const UNREACH = hex(`6000000000383aff${H6}0104a63100000000${Q6}`);
const RS = hex(
  "6000000000103afffe800000000000000000000000000002ff02000000000000000000000000000285007a2a000000000101020000000002",
);
const NA = hex(`
  6000000000203afffe800000000000000000000000000001fe800000000000000000000000000002880068e3e000000020010db8
  0000000000000000000000010201020000000001`);
const REDIRECT = hex(`
  6000000000683afffe80000000000000000000000000000120010db80000000000000000000000028900185800000000fe800000
  00000000000000000000009920010db8ffff0000000000000000000902010200000000010407000000000000${Q6}`);
const ECHO_REPLY = hex(
  "60000000000e3aff20010db800000000000000000000000220010db80000000000000000000000018100cd131234000768656c6c6f21",
);

describe.skipIf(!haveShared)("ICMPv6 NDP over corpus captures", () => {
  it("icmpv6.pcap #1: router advertisement with prefix, RDNSS, DNSSL, MTU, SLLA and unknown options", () => {
    const { msg, ip } = v6(RA_1, 14);
    expect(msg.byteLength).toBe(176);
    const p = Icmpv6Packet.checked(msg);
    expect(p.verifyChecksum(ip)).toBe(true);
    const r = parseIcmpv6(p, ip);
    expect(r).toMatchObject({
      kind: "router-advert",
      code: 0,
      hopLimit: 64,
      flags: RaFlag.HomeAgent,
      routerLifetime: 15,
      reachableTime: 0,
      retransTimer: 0,
    });
    if (r.kind !== "router-advert") throw new Error("unreachable");
    expect(r.flags & RaFlag.PreferenceMask).toBe(0); // pref medium
    expect(r.options.map((o) => o.kind)).toEqual([
      "prefix-info",
      "rdnss",
      "unknown",
      "mtu",
      "source-lladdr",
      "unknown",
      "unknown",
    ]);
    expect(r.options[0]).toEqual({
      kind: "prefix-info",
      prefixLength: 72,
      flags: PrefixFlag.OnLink | PrefixFlag.Autonomous,
      validLifetime: 2592000,
      preferredLifetime: 604800,
      prefix: ip6("2222:3333:4444:5555:6600::"),
    });
    expect(r.options[1]).toEqual({
      kind: "rdnss",
      lifetime: 5,
      servers: [ip6("abcd::efef"), ip6("1234:5678::1")],
    });
    expect(r.options[2]).toMatchObject({ kind: "unknown", optionType: 31 });
    expect((r.options[2] as { data: Uint8Array }).data.byteLength).toBe(54); // length 56 (7)
    expect(r.options[3]).toEqual({ kind: "mtu", mtu: 100 });
    expect(r.options[4]).toEqual({ kind: "source-lladdr", addr: parseMac("b0:99:28:c8:d6:6c") });
    expect(r.options[5]).toEqual({ kind: "unknown", optionType: 7, data: hex("0000 0000 1388") }); // 5000ms
    expect(r.options[6]).toEqual({ kind: "unknown", optionType: 8, data: hex("0000 c351 000f") });
    expect(emitted(r, ip)).toEqual(msg);
  });

  it("icmpv6_opt24.pcap #1: router advertisement with M/O flags and a route information option", () => {
    const { msg, ip } = v6(RA_OPT24, 14);
    const r = parseIcmpv6(Icmpv6Packet.checked(msg), ip);
    expect(r).toMatchObject({
      kind: "router-advert",
      hopLimit: 0,
      flags: RaFlag.Managed | RaFlag.Other,
      routerLifetime: 0,
    });
    if (r.kind !== "router-advert") throw new Error("unreachable");
    expect(r.options.slice(0, 5)).toEqual([
      { kind: "source-lladdr", addr: parseMac("14:cf:92:87:23:d6") },
      { kind: "mtu", mtu: 1500 },
      {
        kind: "prefix-info",
        prefixLength: 64,
        flags: PrefixFlag.OnLink | PrefixFlag.Autonomous,
        validLifetime: 7200,
        preferredLifetime: 1800,
        prefix: ip6("fd8d:4fb3:5b2e::"),
      },
      { kind: "route-info", prefixLength: 48, flags: 0, lifetime: 7200, prefix: ip6("fd8d:4fb3:5b2e::") },
      { kind: "rdnss", lifetime: 1800, servers: [ip6("fd8d:4fb3:5b2e::1")] },
    ]);
    expect(r.options[5]).toMatchObject({ kind: "unknown", optionType: 31 });
    expect(emitted(r, ip)).toEqual(msg);
  });

  it("ipv6-bad-version.pcap #1: neighbor solicitation (DAD, from ::)", () => {
    const { msg, ip } = v6(NS_DAD, 14);
    const r = parseIcmpv6(Icmpv6Packet.checked(msg), ip);
    expect(r).toEqual({
      kind: "neighbor-solicit",
      code: 0,
      target: ip6("fe80::20c:29ff:fe76:6c14"),
      options: [],
    });
    expect(emitted(r, ip)).toEqual(msg);
  });

  it("icmpv6.pcap #2/#3: MLDv2 report and query recognised by type", () => {
    for (const [frame, type] of [
      [MLD2_REPORT, Icmpv6Type.Mldv2Report],
      [MLD_QUERY, Icmpv6Type.MldQuery],
    ] as const) {
      const { msg, ip } = v6(frame, 14, 62);
      const r = parseIcmpv6(Icmpv6Packet.checked(msg), ip);
      expect(r).toMatchObject({ kind: "mld", type, code: 0 });
      expect(emitted(r, ip)).toEqual(msg);
    }
    const q = parseIcmpv6(Icmpv6Packet.checked(v6(MLD_QUERY, 14, 62).msg), null);
    if (q.kind !== "mld") throw new Error("unreachable");
    expect(u16(q.body, 0)).toBe(10000); // max resp delay=10000
  });

  it("ipv6-routing-header.pcap #1: echo request; the checksum uses the final destination", () => {
    const final = ECHO_RH.subarray(62, 78);
    const { msg, ip } = v6(ECHO_RH, 14, 78, final);
    const r = parseIcmpv6(Icmpv6Packet.checked(msg), ip);
    expect(r).toEqual({ kind: "echo-request", code: 0, ident: 0, seq: 0, data: new Uint8Array(0) });
    expect(emitted(r, ip)).toEqual(msg);
    const wrong = v6(ECHO_RH, 14, 78).ip; // the IPv6 header's (first-hop) destination
    expect(() => parseIcmpv6(Icmpv6Packet.checked(msg), wrong)).toThrow(
      expect.objectContaining({ reason: "bad-checksum" }),
    );
  });
});

describe("ICMPv6 over built packets", () => {
  const quoted = hex(Q6);
  const mac1 = parseMac("02:00:00:00:00:01");
  const cases: [string, Uint8Array, Icmpv6Repr][] = [
    ["packet too big", PTB, { kind: "packet-too-big", code: 0, mtu: 1280, quoted }],
    ["time exceeded", TIME_EXC, { kind: "time-exceeded", code: 0, quoted }],
    ["parameter problem", PARAM, { kind: "parameter-problem", code: 0, pointer: 6, quoted }],
    ["port unreachable", UNREACH, { kind: "dest-unreachable", code: Icmpv6UnreachableCode.Port, quoted }],
    [
      "router solicitation",
      RS,
      {
        kind: "router-solicit",
        code: 0,
        options: [{ kind: "source-lladdr", addr: parseMac("02:00:00:00:00:02") }],
      },
    ],
    [
      "neighbor advertisement",
      NA,
      {
        kind: "neighbor-advert",
        code: 0,
        flags: NaFlag.Router | NaFlag.Solicited | NaFlag.Override,
        target: ip6("2001:db8::1"),
        options: [{ kind: "target-lladdr", addr: mac1 }],
      },
    ],
    [
      "redirect",
      REDIRECT,
      {
        kind: "redirect",
        code: 0,
        target: ip6("fe80::99"),
        destination: ip6("2001:db8:ffff::9"),
        options: [
          { kind: "target-lladdr", addr: mac1 },
          { kind: "redirected-header", packet: quoted },
        ],
      },
    ],
    [
      "echo reply",
      ECHO_REPLY,
      { kind: "echo-reply", code: 0, ident: 4660, seq: 7, data: new TextEncoder().encode("hello!") },
    ],
  ];
  for (const [name, pkt, want] of cases) {
    it(`${name}: decodes as tcpdump prints it and emits back byte for byte`, () => {
      const { msg, ip } = v6(pkt, 0);
      const p = Icmpv6Packet.checked(msg);
      expect(p.verifyChecksum(ip)).toBe(true);
      expect(parseIcmpv6(p, ip)).toEqual(want);
      expect(emitted(want, ip)).toEqual(msg);
    });
  }

  it("error messages expose the quoted packet as a view", () => {
    const { msg } = v6(PTB, 0);
    const p = Icmpv6Packet.checked(msg);
    expect(p.quoted.buffer).toBe(PTB.buffer);
    expect(p.quoted[0] >> 4).toBe(6);
  });
});

describe("ICMPv6 rejects", () => {
  it("an option running past the message is bad-length; so is a lone trailing byte", () => {
    expect(() => parseNdpOptions(hex("0102 0000 0000 0000"))).toThrow(
      expect.objectContaining({ reason: "bad-length" }),
    );
    expect(() => parseNdpOptions(hex("0501 0000 0000 05dc 01"))).toThrow(
      expect.objectContaining({ reason: "bad-length", offset: 8 }),
    );
  });

  it("fixed parts of ND messages must fit (truncated)", () => {
    expect(() => Icmpv6Packet.checked(hex("8600 0000 4000 0000 0000 0000"))).toThrow(
      expect.objectContaining({ reason: "truncated" }),
    );
  });
});

describe.skipIf(!haveShared)("ICMPv6 rejects (corpus captures)", () => {
  it("an NDP option of length 0 is malformed (RFC 4861 §4.6)", () => {
    const { msg, ip } = v6(RA_OPT24, 14);
    const bad = msg.slice();
    bad[17] = 0; // the source link-layer address option's length
    expect(() => parseIcmpv6(Icmpv6Packet.checked(bad), null)).toThrow(
      expect.objectContaining({ layer: "icmpv6", reason: "malformed", offset: 17 }),
    );
    expect(() => parseIcmpv6(Icmpv6Packet.checked(bad), ip)).toThrow(WireError);
  });

  it("every truncation of the captured messages is rejected", () => {
    for (const [frame, at] of [
      [RA_1, 14],
      [RA_OPT24, 14],
      [NS_DAD, 14],
      [NA, 0],
    ] as const) {
      const { msg, ip } = v6(frame, at);
      expectEveryTruncationRejected(msg, (b) => parseIcmpv6(Icmpv6Packet.checked(b), ip));
    }
  });
});

const byte = fc.integer({ min: 0, max: 255 });
const u16a = fc.integer({ min: 0, max: 0xffff });
const u32a = fc.integer({ min: 0, max: 0xffffffff });
const addr = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => v as Ipv6);
const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((v) => v as Mac);
const body = fc.uint8Array({ maxLength: 48 });
/** A prefix with no bits set past `len` bytes of the route information option. */
const routeInfo = fc
  .tuple(fc.integer({ min: 0, max: 128 }), byte, u32a, addr)
  .map(([plen, flags, lifetime, a]): NdpOption => {
    const keep = plen === 0 ? 0 : plen <= 64 ? 64 : 128;
    const prefix = (keep === 0 ? 0n : (a >> BigInt(128 - keep)) << BigInt(128 - keep)) as Ipv6;
    return { kind: "route-info", prefixLength: plen, flags, lifetime, prefix };
  });
const KNOWN_OPT = new Set([1, 2, 3, 4, 5, 24, 25]);
const arbOption: fc.Arbitrary<NdpOption> = fc.oneof(
  mac.map((a): NdpOption => ({ kind: "source-lladdr", addr: a })),
  mac.map((a): NdpOption => ({ kind: "target-lladdr", addr: a })),
  fc
    .record({ prefixLength: byte, flags: byte, validLifetime: u32a, preferredLifetime: u32a, prefix: addr })
    .map((r): NdpOption => ({ kind: "prefix-info", ...r })),
  fc
    .integer({ min: 0, max: 6 })
    .map((n): NdpOption => ({ kind: "redirected-header", packet: new Uint8Array(n * 8).fill(0x60) })),
  u32a.map((m): NdpOption => ({ kind: "mtu", mtu: m })),
  routeInfo,
  fc
    .tuple(u32a, fc.array(addr, { minLength: 1, maxLength: 3 }))
    .map(([lifetime, servers]): NdpOption => ({ kind: "rdnss", lifetime, servers })),
  fc
    .tuple(
      byte.filter((t) => !KNOWN_OPT.has(t)),
      fc.integer({ min: 0, max: 3 }),
      fc.uint8Array({ minLength: 30, maxLength: 30 }),
    )
    .map(
      ([optionType, n, d]): NdpOption => ({ kind: "unknown", optionType, data: d.subarray(0, 6 + 8 * n) }),
    ),
);
const opts = fc.array(arbOption, { maxLength: 5 });
const MLD = [130, 131, 132, 143];
const KNOWN_TYPES = new Set([1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, ...MLD]);
const arbRepr: fc.Arbitrary<Icmpv6Repr> = fc.oneof(
  fc.record({ code: byte, quoted: body }).map((r): Icmpv6Repr => ({ kind: "dest-unreachable", ...r })),
  fc
    .record({ code: byte, mtu: u32a, quoted: body })
    .map((r): Icmpv6Repr => ({ kind: "packet-too-big", ...r })),
  fc.record({ code: byte, quoted: body }).map((r): Icmpv6Repr => ({ kind: "time-exceeded", ...r })),
  fc
    .record({ code: byte, pointer: u32a, quoted: body })
    .map((r): Icmpv6Repr => ({ kind: "parameter-problem", ...r })),
  fc
    .record({ req: fc.boolean(), code: byte, ident: u16a, seq: u16a, data: body })
    .map(({ req, ...r }): Icmpv6Repr => ({ kind: req ? "echo-request" : "echo-reply", ...r })),
  fc.record({ code: byte, options: opts }).map((r): Icmpv6Repr => ({ kind: "router-solicit", ...r })),
  fc
    .record({
      code: byte,
      hopLimit: byte,
      flags: byte,
      routerLifetime: u16a,
      reachableTime: u32a,
      retransTimer: u32a,
      options: opts,
    })
    .map((r): Icmpv6Repr => ({ kind: "router-advert", ...r })),
  fc
    .record({ code: byte, target: addr, options: opts })
    .map((r): Icmpv6Repr => ({ kind: "neighbor-solicit", ...r })),
  fc
    .record({ code: byte, flags: byte.map((f) => f & 0xe0), target: addr, options: opts })
    .map((r): Icmpv6Repr => ({ kind: "neighbor-advert", ...r })),
  fc
    .record({ code: byte, target: addr, destination: addr, options: opts })
    .map((r): Icmpv6Repr => ({ kind: "redirect", ...r })),
  fc
    .record({ type: fc.constantFrom(...MLD), code: byte, body: body })
    .map((r): Icmpv6Repr => ({ kind: "mld", ...r })),
  fc
    .record({ type: byte.filter((t) => !KNOWN_TYPES.has(t)), code: byte, body: body })
    .map((r): Icmpv6Repr => ({ kind: "other", ...r })),
);
const arbIp = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), addr).map(([s, d]) => pseudoV6(s, d));

describe("ICMPv6 properties", () => {
  it("parse(emit(r)) == r", () => {
    fc.assert(
      fc.property(arbRepr, arbIp, (r, ip) => {
        expect(parseIcmpv6(Icmpv6Packet.checked(emitted(r, ip)), ip)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("NDP options round-trip through their own walk", () => {
    fc.assert(
      fc.property(opts, (o) => {
        const b = new Uint8Array(ndpOptionsLen(o));
        emitRoundTrip(o, b);
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary bytes either parse or throw WireError", () => {
    fc.assert(
      fc.property(
        fc.oneof(byte, fc.constantFrom(133, 134, 135, 136, 137)),
        fc.uint8Array({ maxLength: 80 }),
        arbIp,
        fc.boolean(),
        (t, rest, ip, fix) => {
          const b = Uint8Array.of(t, ...rest);
          parsesOrWireError(() => {
            const p = Icmpv6Packet.checked(b);
            if (fix) p.fillChecksum(ip);
            parseIcmpv6(p, ip);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("flipping any bit breaks the checksum", () => {
    fc.assert(
      fc.property(arbRepr, arbIp, fc.nat(), (r, ip, k) => {
        const b = emitted(r, ip);
        const bit = k % (b.length * 8);
        b[bit >>> 3] ^= 0x80 >>> (bit & 7);
        expect(Icmpv6Packet.unchecked(b).verifyChecksum(ip)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

function emitRoundTrip(o: NdpOption[], b: Uint8Array): void {
  // Emit through an RS (options at offset 8) and walk them back.
  const ip = pseudoV6(new Uint8Array(16), new Uint8Array(16));
  const msg = emitted({ kind: "router-solicit", code: 0, options: o }, ip);
  expect(msg.byteLength).toBe(8 + b.byteLength);
  expect(parseNdpOptions(msg.subarray(8))).toEqual(o);
}
