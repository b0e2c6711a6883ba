import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, corpusFrames, corpusText, haveShared } from "../test/shared.js";
import { expectEveryTruncationRejected, hex, reason } from "../test/wire-helpers.js";
import { formatIpv6, formatIpv6Bytes, type Ipv6 } from "./addr.js";
import { WireError } from "./errors.js";
import { IpProtocol } from "./ipv4.js";
import {
  ahHeaderLen,
  emitIpv6,
  emitIpv6Fragment,
  emitIpv6OptionsHeader,
  emitIpv6Routing,
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  Ipv6FragmentHeader,
  type Ipv6FragmentRepr,
  type Ipv6OptionRepr,
  Ipv6OptionsHeader,
  type Ipv6OptionsRepr,
  Ipv6Packet,
  type Ipv6Repr,
  Ipv6RoutingHeader,
  type Ipv6RoutingRepr,
  ipv6BufferLen,
  ipv6OptionsHeaderLen,
  ipv6RoutingHeaderLen,
  isIpv6ExtHeader,
  padIpv6Options,
  parseIpv6,
  parseIpv6Fragment,
  parseIpv6OptionList,
  parseIpv6OptionsHeader,
  parseIpv6Routing,
  walkIpv6,
  walkIpv6ExtHeaders,
} from "./ipv6.js";

// libpcap/gateway_or_not.pcap #5 from offset 14. -v: "IP6 (flowlabel 0x82e40, hlim 64, next-header ICMPv6 (58)
// payload length: 64) fd00:a1b2:c3d4:0:1020:3040:5060:7081 > fd00:e5f6::f3: [icmp6 sum ok] ICMP6, echo request".
const GW5 = corpusFrame("libpcap/gateway_or_not.pcap", 5, 14);
// tcpdump/ipv6-routing-header.pcap #1 from offset 14. ipv6-routing-header.out: "IP6 (hlim 4, next-header Routing
// (43) payload length: 32) 2200::244:212:3fff:feae:22f7 > 2200::240:2:0:0:4: RT6 (len=2, type=0 [Deprecated],
// segleft=1, rsv=0x0, [0]2200::210:2:0:0:4) [icmp6 sum ok] ICMP6, echo request, id 0, seq 0".
const RT1 = corpusFrame("tcpdump/ipv6-routing-header.pcap", 1, 14);
// ipv6-routing-header.pcap #4: "(hlim 5, next-header Routing (43) payload length: 48) ... > 2200::211:2:0:0:2:
// RT6 (len=4, type=0 [Deprecated], segleft=2, rsv=0x0, [0]2200::210:2:0:0:4, [1]2200::240:2:0:0:4)
// 5645 > 5642: [udp sum ok] UDP, length 0".
const RT4 = corpusFrame("tcpdump/ipv6-routing-header.pcap", 4, 14);
// tcpdump/icmpv6.pcap, the first hop-by-hop packet (tcpdump -vv): "IP6 (hlim 1, next-header Options (0) payload
// length: 36) fe80::215:17ff:fecc:e546 > ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6,
// multicast listener report v2, 1 group record(s)".
const HBH = corpusFrame("tcpdump/icmpv6.pcap", 2, 14);

// tcpdump/ip6_frag_asan.pcap #1, bytes [14, 54) (the IPv6 header): tcpdump prints "class 0x51, flowlabel 0xb2100".
const TC_ASAN = corpusFrame("tcpdump/ip6_frag_asan.pcap", 1, 14, 54);
// tcpdump/ipv6-bad-version.pcap #2 from offset 14: tcpdump prints "IP6 version error: 0 != 6".
const BAD_VERSION = corpusFrame("tcpdump/ipv6-bad-version.pcap", 2, 14);
// tcpdump/ipv6hdr-heapoverflow.pcap #1 (raw IPv6): payload length 0x3030; tcpdump prints "HBH [|hbhopt]".
const HEAP_OVERFLOW = corpusFrame("tcpdump/ipv6hdr-heapoverflow.pcap", 1);

describe.skipIf(!haveShared)("IPv6 fixed header (corpus fixtures)", () => {
  it("gateway_or_not #5", () => {
    const p = Ipv6Packet.checked(GW5);
    const r = parseIpv6(p);
    expect(r.trafficClass).toBe(0);
    expect(r.flowLabel).toBe(0x82e40);
    expect(r.hopLimit).toBe(64);
    expect(r.nextHeader).toBe(IpProtocol.ICMPv6);
    expect(r.payloadLen).toBe(64);
    expect(formatIpv6(r.src)).toBe("fd00:a1b2:c3d4:0:1020:3040:5060:7081");
    expect(formatIpv6Bytes(p.dstBytes, 0)).toBe("fd00:e5f6::f3");
    expect(walkIpv6(p)).toEqual({ headers: [], protocol: 58, offset: 40 });
  });

  it.each([
    ["gateway_or_not #5", GW5],
    ["ipv6-routing-header #1", RT1],
    ["ipv6-routing-header #4", RT4],
    ["icmpv6 HBH", HBH],
  ])("%s re-emits byte for byte into a 0xa5-filled buffer", (_n, bytes) => {
    const p = Ipv6Packet.checked(bytes);
    const r = parseIpv6(p);
    const b = new Uint8Array(ipv6BufferLen(r)).fill(0xa5);
    const q = Ipv6Packet.unchecked(b);
    emitIpv6(r, q);
    q.payload.set(p.payload);
    expect(b).toEqual(bytes);
  });

  it("a nonzero traffic class is split from the flow label (ip6_frag_asan.pcap: 'class 0x51, flowlabel 0xb2100')", () => {
    const b = TC_ASAN;
    const p = Ipv6Packet.unchecked(b);
    expect([p.trafficClass, p.flowLabel, p.hopLimit, p.payloadLen]).toEqual([0x51, 0xb2100, 16, 27136]);
    expect(formatIpv6Bytes(p.srcBytes, 0)).toBe("452:22:19:0:41a:e4ff:10ff:484d");
    expect(formatIpv6Bytes(p.dstBytes, 0)).toBe("2243:80:1400:100:19:ffff:ffff:fffb");
    // payload length 27136 with 0 bytes after the header: truncated (tcpdump prints "[|frag6]").
    expect(reason(() => Ipv6Packet.checked(b))).toBe("truncated");
  });

  it("version 0 (ipv6-bad-version.pcap #2: 'IP6 version error: 0 != 6')", () => {
    const b = BAD_VERSION;
    expect(reason(() => Ipv6Packet.checked(b))).toBe("malformed");
  });

  it("payload length past the capture (ipv6hdr-heapoverflow.pcap, raw IPv6: payload length 0x3030)", () => {
    const b = HEAP_OVERFLOW;
    expect(reason(() => Ipv6Packet.checked(b))).toBe("truncated");
    // tcpdump's "HBH [|hbhopt]": the hop-by-hop header after the fixed header does not fit either.
    expect(reason(() => walkIpv6ExtHeaders(b.subarray(40), 0, 40))).toBe("truncated");
  });

  it("every truncation of a valid packet is rejected", () => {
    for (const pkt of [GW5, RT1, RT4, HBH]) {
      expectEveryTruncationRejected(pkt, (b) => Ipv6Packet.checked(b));
    }
  });
});

describe.skipIf(!haveShared)("IPv6 extension headers (corpus fixtures)", () => {
  it("routing type 0 with one address: ipv6-routing-header #1", () => {
    const p = Ipv6Packet.checked(RT1);
    const chain = walkIpv6(p);
    expect(chain).toEqual({ headers: [{ type: 43, offset: 40, length: 24 }], protocol: 58, offset: 64 });
    const h = Ipv6RoutingHeader.checked(p.payload);
    expect([h.hdrExtLen, h.routingType, h.segmentsLeft, h.type0Reserved]).toEqual([2, 0, 1, 0]);
    const r = parseIpv6Routing(h);
    expect(r.kind).toBe("type0");
    if (r.kind !== "type0") return;
    expect(r.addresses.map(formatIpv6)).toEqual(["2200::210:2:0:0:4"]);
    const b = new Uint8Array(ipv6RoutingHeaderLen(r)).fill(0xa5);
    emitIpv6Routing(r, Ipv6RoutingHeader.unchecked(b));
    expect(b).toEqual(p.payload.subarray(0, 24));
  });

  it("routing type 0 with two addresses: ipv6-routing-header #4 (then UDP 5645 > 5642)", () => {
    const p = Ipv6Packet.checked(RT4);
    const chain = walkIpv6(p);
    expect(chain.protocol).toBe(IpProtocol.UDP);
    expect(chain.offset).toBe(80);
    expect((RT4[80] << 8) | RT4[81]).toBe(5645);
    expect((RT4[82] << 8) | RT4[83]).toBe(5642);
    const r = parseIpv6Routing(Ipv6RoutingHeader.checked(p.payload));
    expect(r).toMatchObject({ kind: "type0", nextHeader: 17, segmentsLeft: 2, reserved: 0 });
    if (r.kind === "type0")
      expect(r.addresses.map(formatIpv6)).toEqual(["2200::210:2:0:0:4", "2200::240:2:0:0:4"]);
  });

  it("hop-by-hop with Router Alert 0 and PadN: icmpv6.pcap", () => {
    const p = Ipv6Packet.checked(HBH);
    expect(walkIpv6(p)).toEqual({ headers: [{ type: 0, offset: 40, length: 8 }], protocol: 58, offset: 48 });
    const h = Ipv6OptionsHeader.checked(p.payload);
    const r = parseIpv6OptionsHeader(h);
    expect(r).toEqual({
      nextHeader: 58,
      options: [
        { kind: "router-alert", value: 0 },
        { kind: "padn", data: new Uint8Array(0) },
      ],
    });
    const b = new Uint8Array(ipv6OptionsHeaderLen(r)).fill(0xa5);
    emitIpv6OptionsHeader(r, Ipv6OptionsHeader.unchecked(b));
    expect(b).toEqual(p.payload.subarray(0, 8));
  });
});

describe("IPv6 extension headers (built fixtures)", () => {
  it("fragment header: ip6_frag_asan.pcap 'frag (0|27128)' header bytes", () => {
    const h = Ipv6FragmentHeader.checked(hex("0bff 0000 0100 0000"));
    expect(parseIpv6Fragment(h)).toEqual({
      nextHeader: 11,
      fragOffset: 0,
      moreFrags: false,
      ident: 0x01000000,
      reserved: 0xff,
      reservedBits: 0,
    });
    // In the capture only 4 of its 8 bytes are present: "[|frag6]".
    expect(reason(() => Ipv6FragmentHeader.checked(hex("0bff 0000")))).toBe("truncated");
    expect(reason(() => walkIpv6ExtHeaders(hex("0bff 0000"), 44, 40))).toBe("truncated");
  });

  it("AH length rule: ah-ipip-ping.pcap 'AH(length=4(24-bytes)'", () => {
    expect(ahHeaderLen(4)).toBe(24);
    // An AH header (next header ICMPv6) followed by 4 bytes: the walker steps over (4 + 2) * 4 bytes.
    const ah = hex("3a04 0000 3916 d11c 0000 0011 08cf eae9 677f 8acf 0666 88be 8000 0000");
    expect(walkIpv6ExtHeaders(ah, IpProtocol.AH, 40)).toEqual({
      headers: [{ type: 51, offset: 40, length: 24 }],
      protocol: 58,
      offset: 64,
    });
  });

  it("a non-first fragment stops the walk (its data is not a header)", () => {
    const b = hex("1100 05a9 0000 002a 3b00 0000 0000 0000"); // frag: next UDP, offset 1448, M=1, id 42
    const c = walkIpv6ExtHeaders(b, IpProtocol.IPv6Frag, 40);
    expect(c).toEqual({
      headers: [{ type: 44, offset: 40, length: 8 }],
      protocol: 17,
      offset: 48,
      fragment: { fragOffset: 1448, moreFrags: true, ident: 42 },
    });
  });

  it("No Next Header ends the chain", () => {
    expect(walkIpv6ExtHeaders(hex("3b00 0102 0000 0000"), 60, 40)).toEqual({
      headers: [{ type: 60, offset: 40, length: 8 }],
      protocol: 59,
      offset: 48,
    });
  });

  it("the walker is bounded", () => {
    const chain = new Uint8Array(8 * 10);
    for (let i = 0; i < 10; i++) chain[8 * i] = i < 9 ? 60 : 17;
    expect(walkIpv6ExtHeaders(chain, 60).headers).toHaveLength(10);
    expect(reason(() => walkIpv6ExtHeaders(chain, 60, 0, 9))).toBe("unsupported");
  });

  it("malformed option areas are WireError bad-length", () => {
    for (const a of ["01", "0105 0000", "0503 000000", "c203 000000", "ff"]) {
      expect(reason(() => parseIpv6OptionList(hex(a)))).toBe("bad-length");
    }
    expect(parseIpv6OptionList(hex("c204 0001 0000"))).toEqual([{ kind: "jumbo", payloadLen: 65536 }]);
    expect(parseIpv6OptionList(hex("00 1e02 abcd"))).toEqual([
      { kind: "pad1" },
      { kind: "unknown", type: 0x1e, data: hex("abcd") },
    ]);
  });

  it("odd Hdr Ext Len for routing type 0 is bad-length; other types stay generic", () => {
    expect(
      reason(() =>
        parseIpv6Routing(Ipv6RoutingHeader.checked(hex("3b01 0000 0000 0000 0000 0000 0000 0000"))),
      ),
    ).toBe("bad-length");
    expect(parseIpv6Routing(Ipv6RoutingHeader.checked(hex("3b00 0401 0000 0000")))).toEqual({
      kind: "generic",
      nextHeader: 59,
      routingType: 4,
      segmentsLeft: 1,
      data: new Uint8Array(4),
    });
  });
});

describe.skipIf(!haveShared)("corpus: ipv6_ext_headers.pcap (100 extension headers)", () => {
  it("walks the whole chain as tcpdump -v prints it", () => {
    const frames = corpusFrames("libpcap/ipv6_ext_headers.pcap");
    const out = corpusText("libpcap/ipv6_ext_headers.tcpdump-4.99.3-v.out");
    expect(frames).toHaveLength(1);
    const p = Ipv6Packet.checked(frames[0].subarray(14));
    const r = parseIpv6(p);
    // "IP6 (hlim 64, next-header Options (0) payload length: 818) 2001:db8::1 > 2001:db8::2: HBH (padn) ..."
    expect(r).toMatchObject({ hopLimit: 64, nextHeader: 0, payloadLen: 818 });
    expect([formatIpv6(r.src), formatIpv6(r.dst)]).toEqual(["2001:db8::1", "2001:db8::2"]);
    const chain = walkIpv6(p);
    // tcpdump's sequence of header names: HBH, then (RT6 frag DSTOPT) x 33.
    const names: Record<number, string> = { 0: "HBH", 43: "RT6", 44: "frag", 60: "DSTOPT" };
    const printed = [...out.matchAll(/\b(HBH|RT6|frag|DSTOPT)\b/g)].map((m) => m[1]);
    expect(chain.headers.map((h) => names[h.type])).toEqual(printed);
    expect(chain.headers).toHaveLength(100);
    // frag (0x00000001:0|794) ...: ident, offset 0, and the bytes after each fragment header.
    const frags = [...out.matchAll(/frag \(0x([0-9a-f]{8}):(\d+)\|(\d+)\)/g)];
    const fragHeaders = chain.headers.filter((h) => h.type === 44);
    expect(fragHeaders).toHaveLength(frags.length);
    fragHeaders.forEach((h, i) => {
      const f = parseIpv6Fragment(Ipv6FragmentHeader.checked(p.bytes.subarray(h.offset)));
      expect(f.ident).toBe(Number.parseInt(frags[i][1], 16));
      expect(f.fragOffset).toBe(Number(frags[i][2]));
      expect(IPV6_HEADER_LEN + r.payloadLen - (h.offset + IPV6_FRAGMENT_HEADER_LEN)).toBe(
        Number(frags[i][3]),
      );
    });
    // Every options header holds one PadN ("(padn)"); every RT6 is "len=0, type=0, segleft=0, rsv=0x0".
    for (const h of chain.headers) {
      const bytes = p.bytes.subarray(h.offset);
      if (h.type === 0 || h.type === 60) {
        const o = parseIpv6OptionsHeader(Ipv6OptionsHeader.checked(bytes));
        expect(o.options.map((x) => x.kind)).toEqual(["padn"]);
      } else if (h.type === 43) {
        expect(parseIpv6Routing(Ipv6RoutingHeader.checked(bytes))).toMatchObject({
          kind: "type0",
          segmentsLeft: 0,
          reserved: 0,
          addresses: [],
        });
      }
    }
    // "12345 > 54321: UDP, length 10"
    expect(chain.protocol).toBe(IpProtocol.UDP);
    const udp = p.bytes.subarray(chain.offset);
    expect([(udp[0] << 8) | udp[1], (udp[2] << 8) | udp[3], ((udp[4] << 8) | udp[5]) - 8]).toEqual([
      12345, 54321, 10,
    ]);
    // Bounded: a cap below 100 refuses the chain; every cut of the chain is truncated.
    expect(reason(() => walkIpv6(p, 99))).toBe("unsupported");
    for (let n = 0; n < chain.offset - IPV6_HEADER_LEN; n += 3) {
      expect(reason(() => walkIpv6ExtHeaders(p.payload.subarray(0, n), 0, 40))).toBe("truncated");
    }
  });
});

const ipv6Arb = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => v as Ipv6);
const reprArb: fc.Arbitrary<Ipv6Repr> = fc.record({
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  nextHeader: fc.integer({ min: 0, max: 255 }),
  hopLimit: fc.integer({ min: 0, max: 255 }),
  src: ipv6Arb,
  dst: ipv6Arb,
  payloadLen: fc.integer({ min: 0, max: 64 }),
});
const optionArb: fc.Arbitrary<Ipv6OptionRepr> = fc.oneof(
  fc.constant({ kind: "pad1" as const }),
  fc.uint8Array({ maxLength: 6 }).map((data) => ({ kind: "padn" as const, data })),
  fc.integer({ min: 0, max: 0xffff }).map((value) => ({ kind: "router-alert" as const, value })),
  fc.integer({ min: 0, max: 0xffff_ffff }).map((payloadLen) => ({ kind: "jumbo" as const, payloadLen })),
  fc
    .record({ type: fc.integer({ min: 2, max: 255 }), data: fc.uint8Array({ maxLength: 10 }) })
    .filter((o) => o.type !== 5 && o.type !== 0xc2)
    .map((o) => ({ kind: "unknown" as const, ...o })),
);

describe("IPv6 properties", () => {
  it("fixed header: parse(emit(r)) == r", () => {
    fc.assert(
      fc.property(reprArb, (r) => {
        const b = new Uint8Array(ipv6BufferLen(r)).fill(0xa5);
        emitIpv6(r, Ipv6Packet.unchecked(b));
        expect(parseIpv6(Ipv6Packet.checked(b))).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("options header: parse(emit(r)) == r (padded with padIpv6Options)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.array(optionArb, { maxLength: 6 }),
        (nextHeader, opts) => {
          const r: Ipv6OptionsRepr = { nextHeader, options: padIpv6Options(opts) };
          const b = new Uint8Array(ipv6OptionsHeaderLen(r)).fill(0xa5);
          emitIpv6OptionsHeader(r, Ipv6OptionsHeader.unchecked(b));
          expect(parseIpv6OptionsHeader(Ipv6OptionsHeader.checked(b))).toEqual(r);
          if (isIpv6ExtHeader(nextHeader)) {
            // the chain continues past the buffer
            expect(reason(() => walkIpv6ExtHeaders(b, 0))).toBe("truncated");
          } else {
            expect(walkIpv6ExtHeaders(b, 0)).toEqual({
              headers: [{ type: 0, offset: 0, length: b.byteLength }],
              protocol: nextHeader,
              offset: b.byteLength,
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("routing and fragment headers: parse(emit(r)) == r", () => {
    const routingArb: fc.Arbitrary<Ipv6RoutingRepr> = fc.oneof(
      fc.record({
        kind: fc.constant("type0" as const),
        nextHeader: fc.integer({ min: 0, max: 255 }),
        segmentsLeft: fc.integer({ min: 0, max: 255 }),
        reserved: fc.integer({ min: 0, max: 0xffff_ffff }),
        addresses: fc.array(ipv6Arb, { maxLength: 4 }),
      }),
      fc.record({
        kind: fc.constant("generic" as const),
        nextHeader: fc.integer({ min: 0, max: 255 }),
        routingType: fc.integer({ min: 1, max: 255 }),
        segmentsLeft: fc.integer({ min: 0, max: 255 }),
        data: fc
          .integer({ min: 0, max: 4 })
          .chain((n) => fc.uint8Array({ minLength: 4 + 8 * n, maxLength: 4 + 8 * n })),
      }),
    );
    fc.assert(
      fc.property(routingArb, (r) => {
        const b = new Uint8Array(ipv6RoutingHeaderLen(r)).fill(0xa5);
        emitIpv6Routing(r, Ipv6RoutingHeader.unchecked(b));
        expect(parseIpv6Routing(Ipv6RoutingHeader.checked(b))).toEqual(r);
      }),
      { numRuns: 300 },
    );
    const fragArb: fc.Arbitrary<Ipv6FragmentRepr> = fc.record({
      nextHeader: fc.integer({ min: 0, max: 255 }),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
      moreFrags: fc.boolean(),
      ident: fc.integer({ min: 0, max: 0xffff_ffff }),
      reserved: fc.integer({ min: 0, max: 255 }),
      reservedBits: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fragArb, (r) => {
        const b = new Uint8Array(IPV6_FRAGMENT_HEADER_LEN).fill(0xa5);
        emitIpv6Fragment(r, Ipv6FragmentHeader.unchecked(b));
        expect(parseIpv6Fragment(Ipv6FragmentHeader.checked(b))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary bytes parse or throw WireError (fixed header, chain, every header type)", () => {
    const extTypes = [0, 43, 44, 60, 51, 59, 17];
    fc.assert(
      fc.property(
        fc.constantFrom(...extTypes),
        fc.array(fc.oneof(fc.constantFrom(0, 43, 44, 60, 51, 59, 1, 2), fc.integer({ min: 0, max: 255 })), {
          maxLength: 120,
        }),
        (first, arr) => {
          const b = Uint8Array.from(arr);
          try {
            const c = walkIpv6ExtHeaders(b, first, 0, 16);
            expect(c.offset).toBeLessThanOrEqual(b.byteLength);
            for (const h of c.headers) {
              const bytes = b.subarray(h.offset, h.offset + h.length);
              if (h.type === 0 || h.type === 60) parseIpv6OptionsHeader(Ipv6OptionsHeader.checked(bytes));
              if (h.type === 43) parseIpv6Routing(Ipv6RoutingHeader.checked(bytes));
              if (h.type === 44) parseIpv6Fragment(Ipv6FragmentHeader.checked(bytes));
            }
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
          try {
            parseIpv6(Ipv6Packet.checked(b));
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe.skipIf(!haveShared)("IPv6 properties (corpus fixtures)", () => {
  it("emit rejects values that do not fit", () => {
    const r = parseIpv6(Ipv6Packet.checked(GW5));
    const b = new Uint8Array(200);
    for (const bad of [
      { flowLabel: 0x100000 },
      { trafficClass: 256 },
      { hopLimit: -1 },
      { payloadLen: 70000 },
    ]) {
      expect(() => emitIpv6({ ...r, ...bad }, Ipv6Packet.unchecked(b))).toThrowError(WireError);
    }
    expect(() => ipv6OptionsHeaderLen({ nextHeader: 59, options: [{ kind: "pad1" }] })).toThrowError(
      WireError,
    );
  });
});
