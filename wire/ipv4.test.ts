import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, corpusFrames, corpusText, haveShared } from "../test/shared.js";
import { expectEveryTruncationRejected, hex, reason } from "../test/wire-helpers.js";
import { formatIpv4, type Ipv4 } from "./addr.js";
import { WireError } from "./errors.js";
import {
  emitIpv4,
  IPV4_HEADER_LEN,
  IpProtocol,
  Ipv4OptionType,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4BufferLen,
  ipv4Options,
  parseIpv4,
} from "./ipv4.js";

/** Emits `r` (+ `payload`) into a 0xa5-filled buffer. */
function build(r: Ipv4Repr, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(ipv4BufferLen(r)).fill(0xa5);
  const p = Ipv4Packet.unchecked(b);
  emitIpv4(r, p);
  p.payload.set(payload);
  return b;
}

// libpcap/gateway_or_not.pcap #1 from offset 14. -v: "IP (tos 0x0, ttl 64, id 53760, offset 0, flags [DF],
// proto ICMP (1), length 84) 10.20.30.41 > 10.20.30.40".
const GW1 = corpusFrame("libpcap/gateway_or_not.pcap", 1, 14);
// libpcap/gateway_or_not.pcap #2 from offset 14, header only + ICMP: "(tos 0x0, ttl 64, id 17191, offset 0,
// flags [none], proto ICMP (1), length 84) 10.20.30.40 > 10.20.30.41".
const GW2 = corpusFrame("libpcap/gateway_or_not.pcap", 2, 14);
// tcpdump/OLSRv1_HNA_sgw_1.pcap #1 from offset 18 (after the 802.1Q tag). OLSRv1_HNA_sgw_1.out:
// "IP (tos 0x10, ttl 1, id 25245, offset 0, flags [DF], proto UDP (17), length 100)
//  172.29.175.220.698 > 255.255.255.255.698".
const OLSR = corpusFrame("tcpdump/OLSRv1_HNA_sgw_1.pcap", 1, 18);
// tcpdump/icmp-length-zero.pcapng #1 from offset 14: tcpdump prints "IP bad-len 0".
const LEN_ZERO = corpusFrame("tcpdump/icmp-length-zero.pcapng", 1, 14);
// tcpdump/bad-ipv4-version-pgm-heapoverflow.pcap #1 from offset 14: tcpdump prints "IP6, wrong link-layer".
const V6_UNDER_V4 = corpusFrame("tcpdump/bad-ipv4-version-pgm-heapoverflow.pcap", 1, 14);
// tcpdump/tcp_header_heapoverflow.pcap #1 from offset 14: IP length 12336, 32 bytes captured;
// tcpdump prints "bad cksum 3030 (->69a8)!".
const LEN_PAST_CAPTURE = corpusFrame("tcpdump/tcp_header_heapoverflow.pcap", 1, 14);
// Built here (python struct, /tmp script) and checked with tcpdump 4.99.3 -v, which prints:
// "IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto ICMP (1), length 64, options (RR 10.0.0.1,
//  0.0.0.0,NOP,RA,timestamp TS{TS+ADDR 100@192.168.0.1 ^ },EOL)) 192.168.0.1 > 192.168.0.2: ICMP echo
//  request, id 1, seq 1, length 12" (no "bad cksum"); tshark agrees (RR pointer 8, TS pointer 13, flag 1).
const OPT1 = hex(`
  4d00 0040 1234 4000 4001 e8ff c0a8 0001 c0a8 0002 070b 080a 0000 0100 0000 0001
  9404 0000 440c 0d01 c0a8 0001 0000 0064 0000 0000 0800 3337 0001 0001 6162 6364`);
// Built the same way. tcpdump -v: "IP (tos 0xb9,ECT(1), ttl 3, id 4660, offset 1480, flags [+], proto ICMP (1),
// length 68, options (LSRR 10.0.0.1 10.0.0.2,SSRR 10.0.0.3,timestamp TS{TSONLY ^ 1@ 2@},NOP,unknown 136,EOL))".
const OPT2 = hex(`
  4eb9 0044 1234 20b9 0301 41cd c0a8 0001 c0a8 0002 830b 040a 0000 010a 0000 0289
  0704 0a00 0003 440c 0500 0000 0001 0000 0002 0188 04ab cd00 0800 3335 0002 0002
  6162 6364`);

/** One it.each row: the header fields tcpdump -v prints, then emit back byte for byte. */
function decodesAsTcpdump(
  _n: string,
  bytes: Uint8Array,
  tos: number,
  ttl: number,
  id: number,
  off: number,
  df: boolean,
  mf: boolean,
  proto: number,
  len: number,
  src: string,
  dst: string,
): void {
  const p = Ipv4Packet.checked(bytes);
  expect(p.version).toBe(4);
  expect(p.tos).toBe(tos);
  expect(p.ttl).toBe(ttl);
  expect(p.ident).toBe(id);
  expect(p.fragOffset).toBe(off);
  expect(p.dontFrag).toBe(df);
  expect(p.moreFrags).toBe(mf);
  expect(p.protocol).toBe(proto);
  expect(p.totalLen).toBe(len);
  expect(formatIpv4(p.src)).toBe(src);
  expect(formatIpv4(p.dst)).toBe(dst);
  expect(p.verifyChecksum()).toBe(true);
  const r = parseIpv4(p);
  expect(r.payloadLen).toBe(len - p.headerLen);
  expect(p.payload.byteLength).toBe(r.payloadLen);
  // Emit back: byte for byte, checksum included.
  expect(build(r, p.payload)).toEqual(bytes);
}

describe.skipIf(!haveShared)("IPv4 fixtures decode as tcpdump -v prints them (corpus captures)", () => {
  it.each([
    ["gateway_or_not #1", GW1, 0x00, 64, 53760, 0, true, false, 1, 84, "10.20.30.41", "10.20.30.40"],
    ["gateway_or_not #2", GW2, 0x00, 64, 17191, 0, false, false, 1, 84, "10.20.30.40", "10.20.30.41"],
    [
      "OLSRv1_HNA_sgw_1 #1",
      OLSR,
      0x10,
      1,
      25245,
      0,
      true,
      false,
      17,
      100,
      "172.29.175.220",
      "255.255.255.255",
    ],
  ] as const)("%s", decodesAsTcpdump);
});

describe("IPv4 fixtures decode as tcpdump -v prints them", () => {
  it.each([
    ["options #1", OPT1, 0x00, 64, 4660, 0, true, false, 1, 64, "192.168.0.1", "192.168.0.2"],
    ["options #2", OPT2, 0xb9, 3, 4660, 1480, false, true, 1, 68, "192.168.0.1", "192.168.0.2"],
  ] as const)("%s", decodesAsTcpdump);

  it("DSCP/ECN split of tos 0xb9 (tcpdump: 'tos 0xb9,ECT(1)'; tshark: DSCP 46 EF, ECN 1)", () => {
    const r = parseIpv4(Ipv4Packet.checked(OPT2));
    expect([r.dscp, r.ecn]).toEqual([46, 1]);
  });

  it("options #1: RR 10.0.0.1, 0.0.0.0, NOP, RA, TS+ADDR 100@192.168.0.1, EOL", () => {
    const p = Ipv4Packet.checked(OPT1);
    expect(p.headerLen).toBe(52);
    expect(p.options.byteLength).toBe(32);
    expect(ipv4Options(p.options)).toEqual([
      {
        kind: "route",
        type: Ipv4OptionType.RR,
        offset: 0,
        length: 11,
        pointer: 8,
        addresses: [0x0a000001, 0],
      },
      { kind: "nop", type: 1, offset: 11, length: 1 },
      { kind: "router-alert", type: 148, offset: 12, length: 4, value: 0 },
      {
        kind: "timestamp",
        type: 68,
        offset: 16,
        length: 12,
        pointer: 13,
        overflow: 0,
        flag: 1,
        entries: [{ addr: 0xc0a80001, timestamp: 100 }],
      },
      { kind: "eol", type: 0, offset: 28, length: 1 },
    ]);
  });

  it("options #2: LSRR 10.0.0.1 10.0.0.2, SSRR 10.0.0.3, TSONLY 1@ 2@, NOP, unknown 136, EOL", () => {
    const opts = ipv4Options(Ipv4Packet.checked(OPT2).options);
    expect(opts.map((o) => o.kind)).toEqual(["route", "route", "timestamp", "nop", "unknown", "eol"]);
    expect(opts[0]).toMatchObject({
      type: Ipv4OptionType.LSRR,
      pointer: 4,
      addresses: [0x0a000001, 0x0a000002],
    });
    expect(opts[1]).toMatchObject({ type: Ipv4OptionType.SSRR, pointer: 4, addresses: [0x0a000003] });
    expect(opts[2]).toMatchObject({ flag: 0, pointer: 5, entries: [{ timestamp: 1 }, { timestamp: 2 }] });
    expect(opts[4]).toMatchObject({ type: 136, length: 4, data: Uint8Array.from([0xab, 0xcd]) });
  });

  it("malformed options are WireError bad-length", () => {
    for (const o of [
      "07",
      "0701",
      "070c08 0a000001 00000000",
      "0705 08 0000",
      "9403 00",
      "4403 00",
      "440c 0d01 c0a80001",
    ]) {
      expect(reason(() => ipv4Options(hex(o)))).toBe("bad-length");
    }
    expect(ipv4Options(hex("0101 0000"))).toHaveLength(3);
  });
});

describe.skipIf(!haveShared)("IPv4 rejects", () => {
  it("total length 0 < header length (icmp-length-zero.pcapng: tcpdump 'IP bad-len 0')", () => {
    const b = LEN_ZERO;
    expect(reason(() => Ipv4Packet.checked(b))).toBe("bad-length");
  });

  it("version 6 under EtherType IPv4 (bad-ipv4-version-pgm-heapoverflow.pcap: 'IP6, wrong link-layer')", () => {
    const b = V6_UNDER_V4;
    expect(reason(() => Ipv4Packet.checked(b))).toBe("malformed");
  });

  it("total length past the capture (tcp_header_heapoverflow.pcap: length 12336, 32 bytes captured)", () => {
    const b = LEN_PAST_CAPTURE;
    expect(reason(() => Ipv4Packet.checked(b))).toBe("truncated");
    // Its checksum is wrong too: tcpdump prints "bad cksum 3030 (->69a8)!".
    const p = Ipv4Packet.unchecked(b);
    expect(p.verifyChecksum()).toBe(false);
  });

  it("IHL < 5 and IHL past the buffer", () => {
    const b = GW1.slice();
    b[0] = 0x44;
    expect(reason(() => Ipv4Packet.checked(b))).toBe("bad-length");
    b[0] = 0x4f;
    expect(reason(() => Ipv4Packet.checked(b.subarray(0, 40)))).toBe("truncated");
  });

  it("bad checksum: parse throws unless told to ignore; flipping any header bit breaks it", () => {
    for (let bit = 0; bit < IPV4_HEADER_LEN * 8; bit++) {
      const b = GW1.slice();
      b[bit >>> 3] ^= 1 << (bit & 7);
      let p: Ipv4Packet;
      try {
        p = Ipv4Packet.checked(b);
      } catch (e) {
        expect(e).toBeInstanceOf(WireError); // version/IHL/length bits
        continue;
      }
      expect(p.verifyChecksum()).toBe(false);
      expect(reason(() => parseIpv4(p))).toBe("bad-checksum");
      expect(parseIpv4(p, { checksum: "ignore" }).ident).toBe(p.ident);
    }
  });

  it("every truncation of a valid packet is rejected", () => {
    for (const pkt of [GW1, OPT1, OPT2]) {
      expectEveryTruncationRejected(pkt, (b) => Ipv4Packet.checked(b));
    }
  });

  it("Ethernet padding after the total length is not payload", () => {
    const padded = new Uint8Array(GW1.byteLength + 6);
    padded.set(GW1);
    const p = Ipv4Packet.checked(padded);
    expect(p.payload.byteLength).toBe(64);
    expect(p.payload.buffer).toBe(padded.buffer);
  });

  it("emit rejects values that do not fit", () => {
    const r = parseIpv4(Ipv4Packet.checked(GW1));
    const b = new Uint8Array(100);
    for (const bad of [
      { ttl: 256 },
      { dscp: 64 },
      { ecn: 4 },
      { fragOffset: 3 },
      { options: new Uint8Array(3) },
    ]) {
      expect(() => emitIpv4({ ...r, ...bad }, Ipv4Packet.unchecked(b))).toThrowError(WireError);
    }
  });
});

const reprArb: fc.Arbitrary<Ipv4Repr> = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  ident: fc.integer({ min: 0, max: 0xffff }),
  reservedFlag: fc.boolean(),
  dontFrag: fc.boolean(),
  moreFrags: fc.boolean(),
  fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
  ttl: fc.integer({ min: 0, max: 255 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  src: fc.integer({ min: 0, max: 0xffff_ffff }).map((x) => x as Ipv4),
  dst: fc.integer({ min: 0, max: 0xffff_ffff }).map((x) => x as Ipv4),
  options: fc
    .integer({ min: 0, max: 10 })
    .chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
  payloadLen: fc.integer({ min: 0, max: 64 }),
});

describe("IPv4 properties", () => {
  it("parse(emit(r)) == r, and the emitted checksum verifies", () => {
    fc.assert(
      fc.property(reprArb, (r) => {
        const b = build(r, new Uint8Array(r.payloadLen));
        const p = Ipv4Packet.checked(b);
        expect(p.verifyChecksum()).toBe(true);
        expect(parseIpv4(p)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("every truncation of an emitted packet is rejected", () => {
    fc.assert(
      fc.property(reprArb, fc.nat(), (r, cut) => {
        const b = build(r, new Uint8Array(r.payloadLen));
        const n = cut % b.byteLength;
        expect(reason(() => Ipv4Packet.checked(b.subarray(0, n)))).toBe("truncated");
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary bytes parse or throw WireError (header and options walk)", () => {
    const arb = fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => {
      if (b.byteLength > 0) b[0] = 0x40 | (b[0] & 0x0f); // mostly version 4, to get past the first check
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(arb, fc.uint8Array({ maxLength: 80 })), (b) => {
        try {
          const p = Ipv4Packet.checked(b);
          parseIpv4(p, { checksum: "ignore" });
          for (const o of ipv4Options(p.options))
            expect(o.offset + o.length).toBeLessThanOrEqual(p.options.byteLength);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("IpProtocol numbers (IANA)", () => {
    expect(IpProtocol).toMatchObject({ ICMP: 1, IGMP: 2, IPIP: 4, TCP: 6, UDP: 17, IPv6: 41, GRE: 47 });
    expect(IpProtocol).toMatchObject({ ESP: 50, AH: 51, ICMPv6: 58, NoNext: 59 });
  });
});

describe.skipIf(!haveShared)("corpus: ah-ipip-ping.pcap (4 IPv4 fragments)", () => {
  it("fragment fields match ah-ipip-ping.tcpdump-4.99.3-v.out and re-emit byte for byte", () => {
    const frames = corpusFrames("libpcap/ah-ipip-ping.pcap");
    const out = corpusText("libpcap/ah-ipip-ping.tcpdump-4.99.3-v.out");
    const heads = [
      ...out.matchAll(
        /IP \(tos 0x(\w+), ttl (\d+), id (\d+), offset (\d+), flags \[([^\]]*)\], proto \w+ \((\d+)\), length (\d+)\)/g,
      ),
    ];
    expect(frames.length).toBe(4);
    expect(heads.length).toBe(4);
    frames.forEach((f, i) => {
      const [, tos, ttl, id, off, flags, proto, len] = heads[i];
      const p = Ipv4Packet.checked(f.subarray(14));
      const r = parseIpv4(p);
      expect(p.tos).toBe(Number.parseInt(tos, 16));
      expect(r.ttl).toBe(Number(ttl));
      expect(r.ident).toBe(Number(id));
      expect(r.fragOffset).toBe(Number(off));
      expect(r.moreFrags).toBe(flags.includes("+"));
      expect(r.dontFrag).toBe(flags.includes("DF"));
      expect(r.protocol).toBe(Number(proto));
      expect(r.protocol).toBe(IpProtocol.AH);
      expect(p.totalLen).toBe(Number(len));
      expect(build(r, p.payload)).toEqual(f.subarray(14, 14 + p.totalLen));
    });
  });
});
