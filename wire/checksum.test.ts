import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex } from "../test/wire-helpers.js";
import { readIpv4 } from "./addr.js";
import {
  checksumAdjust16,
  checksumAdjust32,
  checksumOk,
  internetChecksum,
  onesSum,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
} from "./checksum.js";

describe("RFC 1071 §3 numerical example", () => {
  // "00 01 f2 03 f4 f5 f6 f7": the folded sum is ddf2, so the checksum is ~ddf2 = 220d.
  const bytes = hex("0001 f203 f4f5 f6f7");
  it("sums to 0xddf2 and checksums to 0x220d", () => {
    expect(onesSum(bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });
  it("sums a sub-array view (non-zero byteOffset) the same", () => {
    const big = new Uint8Array(12);
    big.set(bytes, 3);
    expect(onesSum(big.subarray(3, 11))).toBe(0xddf2);
  });
  it("odd length pads with a zero byte", () => {
    expect(onesSum(hex("0001 f203 f4f5 f6"))).toBe(onesSum(hex("0001 f203 f4f5 f600")));
  });
  it("chains partial sums", () => {
    expect(onesSum(bytes.subarray(4), onesSum(bytes.subarray(0, 4)))).toBe(0xddf2);
  });
});

describe("corpus checksums (values tcpdump verified or printed)", () => {
  it("IPv4 header of gateway_or_not.pcap #1 verifies (tcpdump -v shows no bad cksum)", () => {
    const h = hex("4500 0054 d200 4000 4001 1830 0a14 1e29 0a14 1e28");
    expect(checksumOk(h)).toBe(true);
    const z = h.slice();
    z[10] = 0;
    z[11] = 0;
    expect(internetChecksum(z)).toBe(0x1830);
  });

  it("tcp_header_heapoverflow.pcap: tcpdump prints 'bad cksum 3030 (->69a8)!'", () => {
    const h = hex("4530 3030 3030 0000 3006 3030 3030 3030 3030 3030");
    expect(checksumOk(h)).toBe(false);
    h[10] = 0;
    h[11] = 0;
    expect(internetChecksum(h)).toBe(0x69a8);
  });

  it("UDP of dns_udp.pcap #1 verifies with the IPv4 pseudo-header ('[udp sum ok]' in dns_udp-vv.out)", () => {
    const frame = hex(`
      0011 2233 4466 0011 2233 4455 0800 4500 0054 59cd 0000 4011 94ae c0a8 010b d157
      f912 abbe 0035 0040 7824 5934 0120 0001 0000 0000 0001 0377 7777 0774 6370 6475
      6d70 036f 7267 0000 0100 0100 0029 1000 0000 0000 000c 000a 0008 42f5 d009 96f9
      0b13`);
    const udp = frame.subarray(34);
    expect(udp.byteLength).toBe(0x40);
    const ph = pseudoHeaderSumV4(readIpv4(frame, 26), readIpv4(frame, 30), 17, udp.byteLength);
    expect(checksumOk(udp, ph)).toBe(true);
    const bad = udp.slice();
    bad[20] ^= 0x01;
    expect(checksumOk(bad, ph)).toBe(false);
  });

  it("ICMPv6 of gateway_or_not.pcap #5 verifies with the IPv6 pseudo-header ('[icmp6 sum ok]')", () => {
    const frame = hex(`
      aa00 0400 140e 0800 27e5 28d1 86dd 6008 2e40 0040 3a40 fd00 a1b2 c3d4 0000 1020
      3040 5060 7081 fd00 e5f6 0000 0000 0000 0000 0000 00f3 8000 797a 000c 00e1 fcf6
      f468 0000 0000 0536 0800 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021
      2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637`);
    const icmp = frame.subarray(54);
    expect(icmp.byteLength).toBe(64);
    const ph = pseudoHeaderSumV6(frame.subarray(22, 38), frame.subarray(38, 54), 58, icmp.byteLength);
    expect(checksumOk(icmp, ph)).toBe(true);
    const z = icmp.slice();
    z[2] = 0;
    z[3] = 0;
    expect(internetChecksum(z, ph)).toBe(0x797a);
  });
});

/** Even-length data with at least one non-zero word after the change (see the note below). */
const dataArb = fc
  .uint8Array({ minLength: 2, maxLength: 64 })
  .map((b) => (b.byteLength % 2 ? b.subarray(1) : b))
  .filter((b) => b.byteLength >= 2);

describe("RFC 1624 incremental update", () => {
  // Eqn. 3 (HC' = ~(~HC + ~m + m')) equals full recomputation except when the updated data is all
  // zeros (then a full recomputation gives 0xffff and eqn. 3 gives 0x0000, the two one's-complement
  // zeros): a header with a version or length field is never all zeros, so the property excludes it.
  it("checksumAdjust16 equals a full recomputation", () => {
    fc.assert(
      fc.property(dataArb, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, idx, newWord) => {
        const words = data.byteLength / 2;
        const i = (idx % words) * 2;
        const before = internetChecksum(data);
        const oldWord = (data[i] << 8) | data[i + 1];
        const after = data.slice();
        after[i] = newWord >>> 8;
        after[i + 1] = newWord & 0xff;
        fc.pre(after.some((x) => x !== 0));
        expect(checksumAdjust16(before, oldWord, newWord)).toBe(internetChecksum(after));
      }),
      { numRuns: 1000 },
    );
  });

  it("checksumAdjust32 equals a full recomputation (an IPv4 address rewrite, as NAT does)", () => {
    fc.assert(
      fc.property(
        dataArb.filter((b) => b.byteLength >= 4),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (data, idx, nv) => {
          const i = (idx % (Math.floor(data.byteLength / 4) * 2)) * 2;
          fc.pre(i + 4 <= data.byteLength);
          const before = internetChecksum(data);
          const ov = readIpv4(data, i);
          const after = data.slice();
          after[i] = nv >>> 24;
          after[i + 1] = (nv >>> 16) & 0xff;
          after[i + 2] = (nv >>> 8) & 0xff;
          after[i + 3] = nv & 0xff;
          fc.pre(after.some((x) => x !== 0));
          expect(checksumAdjust32(before, ov, nv)).toBe(internetChecksum(after));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("checksums verify, and flipping any covered bit breaks them", () => {
    fc.assert(
      fc.property(dataArb, fc.nat(), (data, bit) => {
        const b = new Uint8Array(data.byteLength + 2);
        b.set(data, 2);
        const c = internetChecksum(b);
        b[0] = c >>> 8;
        b[1] = c & 0xff;
        expect(checksumOk(b)).toBe(true);
        const k = bit % (b.byteLength * 8);
        b[k >>> 3] ^= 1 << (k & 7);
        expect(checksumOk(b)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
