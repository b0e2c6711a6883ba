import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { haveShared } from "../test/shared.js";
import { DHCPV6_1, DNS_UDP_1, hex, parsesOrWireError, v4 } from "../test/wire-helpers.js";
import type { Ipv4 } from "./addr.js";
import { WireError } from "./errors.js";
import { type PseudoHeader, pseudoV4, pseudoV6 } from "./l4-checksum.js";
import { emitUdp, parseUdp, UDP_HEADER_LEN, UdpPacket, type UdpRepr, udpBufferLen } from "./udp.js";

// Built by hand (Python) as raw IPv4 and checked with tcpdump 4.99.3 -vv:
// "192.0.2.1.1234 > 198.51.100.2.5678: [udp sum ok] UDP, length 2", and tshark: "Checksum: 0xffff".
// The payload word is chosen so that the checksum computes to 0, which RFC 768 sends as 0xffff.
const UDP_FFFF = hex("4500001e1234000040117c64c0000201c633640204d2162e000afffff8a2");

function emitted(r: UdpRepr, ip: PseudoHeader | null): Uint8Array {
  const b = new Uint8Array(udpBufferLen(r)).fill(0xa5);
  emitUdp(r, UdpPacket.unchecked(b), ip);
  return b;
}

describe.skipIf(!haveShared)("UDP over corpus captures", () => {
  it("dns_udp.pcap #1: fields as tcpdump prints them, emitted back byte for byte", () => {
    const { seg, ip } = v4(DNS_UDP_1);
    const p = UdpPacket.checked(seg);
    expect([p.srcPort, p.dstPort, p.length, p.checksum]).toEqual([43966, 53, 64, 0x7824]);
    expect(p.verifyChecksum(ip)).toBe(true);
    const r = parseUdp(p, ip);
    expect(r.payload.byteLength).toBe(56); // tcpdump: "(56)" DNS length
    expect(r.payload.buffer).toBe(DNS_UDP_1.buffer); // a view, not a copy
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("dhcpv6-ia-na.pcap #1 (IPv6): 546 > 547, sum ok, emitted back byte for byte", () => {
    const seg = DHCPV6_1.subarray(54);
    const ip = pseudoV6(DHCPV6_1.subarray(22, 38), DHCPV6_1.subarray(38, 54));
    const r = parseUdp(UdpPacket.checked(seg), ip);
    expect([r.srcPort, r.dstPort, r.payload.byteLength]).toEqual([546, 547, 48]);
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("checksum 0 means none over IPv4 but is an error over IPv6", () => {
    const { seg, ip } = v4(DNS_UDP_1);
    const none = seg.slice();
    none[6] = 0;
    none[7] = 0;
    expect(parseUdp(UdpPacket.checked(none), ip).dstPort).toBe(53);
    expect(emitted(parseUdp(UdpPacket.checked(none), null), null)).toEqual(none);
    const v6 = DHCPV6_1.subarray(54).slice();
    v6[6] = 0;
    v6[7] = 0;
    const ip6 = pseudoV6(DHCPV6_1.subarray(22, 38), DHCPV6_1.subarray(38, 54));
    expect(() => parseUdp(UdpPacket.checked(v6), ip6)).toThrow(
      expect.objectContaining({ reason: "bad-checksum" }),
    );
    expect(parseUdp(UdpPacket.checked(v6), null).srcPort).toBe(546);
  });

  it("a bad checksum is bad-checksum", () => {
    const { seg, ip } = v4(DNS_UDP_1);
    const bad = seg.slice();
    bad[20] ^= 0x01;
    expect(() => parseUdp(UdpPacket.checked(bad), ip)).toThrow(WireError);
    expect(() => parseUdp(UdpPacket.checked(bad), ip)).toThrow(/bad-checksum/);
  });

  it("the length field is checked against the buffer; bytes past it are padding", () => {
    const { seg } = v4(DNS_UDP_1);
    const short = seg.slice();
    short[4] = 0;
    short[5] = 7;
    expect(() => UdpPacket.checked(short)).toThrow(
      expect.objectContaining({ reason: "bad-length", offset: 4 }),
    );
    for (let n = 0; n < seg.length; n++) {
      expect(() => UdpPacket.checked(seg.subarray(0, n))).toThrow(
        expect.objectContaining({ reason: "truncated" }),
      );
    }
    const padded = new Uint8Array(seg.length + 6);
    padded.set(seg);
    const p = UdpPacket.checked(padded);
    expect(p.payload.byteLength).toBe(56);
    expect(p.verifyChecksum(v4(DNS_UDP_1).ip)).toBe(true);
  });
});

describe("UDP hand-built datagrams", () => {
  it("a computed checksum of 0 is sent as 0xffff (RFC 768), and verifies", () => {
    const { seg, ip } = v4(UDP_FFFF, 0);
    const p = UdpPacket.checked(seg);
    expect(p.checksum).toBe(0xffff);
    expect(p.verifyChecksum(ip)).toBe(true);
    const r = parseUdp(p, ip);
    expect([r.srcPort, r.dstPort, r.payload.byteLength]).toEqual([1234, 5678, 2]);
    expect(emitted(r, ip)).toEqual(seg);
  });
});

const arbV4 = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }))
  .map(([s, d]) => pseudoV4(s as Ipv4, d as Ipv4));
const arbV6 = fc
  .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .map(([s, d]) => pseudoV6(s, d));
const arbRepr = fc.record({
  srcPort: fc.integer({ min: 0, max: 0xffff }),
  dstPort: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 64 }),
});

describe("UDP properties", () => {
  it("parse(emit(r)) == r over IPv4 and IPv6, and the emitted checksum is never 0", () => {
    fc.assert(
      fc.property(arbRepr, fc.oneof(arbV4, arbV6), (r, ip) => {
        const b = emitted(r, ip);
        const p = UdpPacket.checked(b);
        expect(p.checksum).not.toBe(0);
        expect(parseUdp(p, ip)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary bytes either parse or throw WireError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), arbV4, (b, ip) => {
        parsesOrWireError(() => {
          parseUdp(UdpPacket.checked(b), ip);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("every truncation of an emitted datagram is rejected", () => {
    fc.assert(
      fc.property(arbRepr, arbV4, fc.nat(), (r, ip, k) => {
        const b = emitted(r, ip);
        const n = k % b.length;
        expect(() => UdpPacket.checked(b.subarray(0, n))).toThrow(WireError);
      }),
      { numRuns: 300 },
    );
  });

  it("flipping any bit breaks the checksum (except a flip to 0, which means none over IPv4)", () => {
    fc.assert(
      fc.property(arbRepr, fc.oneof(arbV4, arbV6), fc.nat(), (r, ip, k) => {
        const b = emitted(r, ip);
        const bit = k % (b.length * 8);
        if (bit >= 32 && bit < 48) return; // the length field: covered by the length check instead
        b[bit >>> 3] ^= 0x80 >>> (bit & 7);
        const p = UdpPacket.checked(b);
        const noneV4 = p.checksum === 0 && ip.version === 4;
        expect(p.verifyChecksum(ip)).toBe(noneV4);
      }),
      { numRuns: 500 },
    );
  });
});

it("UDP_HEADER_LEN is 8 (RFC 768)", () => {
  expect(UDP_HEADER_LEN).toBe(8);
});
