import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { haveShared } from "../test/shared.js";
import { DHCPV6_1, DNS_UDP_1 } from "../test/wire-helpers.js";
import { type Ipv4, type Ipv6, readIpv4, readIpv6 } from "./addr.js";
import {
  l4Checksum,
  l4ChecksumOk,
  l4ChecksumV4,
  l4ChecksumV6,
  pseudoSum,
  pseudoV4,
  pseudoV6,
} from "./l4-checksum.js";

describe.skipIf(!haveShared)("l4 checksum over corpus captures", () => {
  it("IPv4 UDP (dns_udp.pcap #1): verifies, and recomputes the captured 0x7824", () => {
    const src = readIpv4(DNS_UDP_1, 26);
    const dst = readIpv4(DNS_UDP_1, 30);
    const seg = DNS_UDP_1.subarray(34, 34 + 0x40);
    expect(l4ChecksumV4(src, dst, 17, seg)).toBe(0);
    expect(l4ChecksumOk(pseudoV4(src, dst), 17, seg)).toBe(true);
    const zeroed = seg.slice();
    zeroed[6] = 0;
    zeroed[7] = 0;
    expect(l4ChecksumV4(src, dst, 17, zeroed)).toBe(0x7824);
    expect(l4Checksum(pseudoV4(src, dst), 17, zeroed)).toBe(0x7824);
  });

  it("IPv6 UDP (dhcpv6-ia-na.pcap #1): verifies with byte and bigint addresses", () => {
    const src = DHCPV6_1.subarray(22, 38);
    const dst = DHCPV6_1.subarray(38, 54);
    const seg = DHCPV6_1.subarray(54, 54 + 0x38);
    expect(l4ChecksumV6(src, dst, 17, seg)).toBe(0);
    expect(l4ChecksumOk(pseudoV6(src, dst), 17, seg)).toBe(true);
    expect(l4ChecksumOk(pseudoV6(readIpv6(src, 0), readIpv6(dst, 0)), 17, seg)).toBe(true);
    expect(l4ChecksumOk(pseudoV6(src, readIpv6(dst, 0)), 17, seg)).toBe(true);
    const zeroed = seg.slice();
    zeroed[6] = 0;
    zeroed[7] = 0;
    expect(l4ChecksumV6(src, dst, 17, zeroed)).toBe(0x1123);
  });

  it("a wrong pseudo-header (other protocol, other address) fails", () => {
    const src = readIpv4(DNS_UDP_1, 26);
    const dst = readIpv4(DNS_UDP_1, 30);
    const seg = DNS_UDP_1.subarray(34, 34 + 0x40);
    expect(l4ChecksumOk(pseudoV4(src, dst), 6, seg)).toBe(false);
    expect(l4ChecksumOk(pseudoV4(src, (dst + 1) as Ipv4), 17, seg)).toBe(false);
  });
});

describe("l4 checksum properties", () => {
  const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => v as Ipv6);
  const toBytes = (a: Ipv6): Uint8Array => {
    const b = new Uint8Array(16);
    let v: bigint = a;
    for (let i = 15; i >= 0; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return b;
  };
  it("the IPv6 pseudo-header sum is the same for bigint and byte addresses", () => {
    fc.assert(
      fc.property(
        v6,
        v6,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (s, d, nh, len) => {
          const a = pseudoSum(pseudoV6(s, d), nh, len);
          expect(pseudoSum(pseudoV6(toBytes(s), toBytes(d)), nh, len)).toBe(a);
          expect(pseudoSum(pseudoV6(toBytes(s), d), nh, len)).toBe(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("storing the computed checksum makes the segment verify, and any single bit flip breaks it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ minLength: 8, maxLength: 64 }),
        fc.nat(),
        (s, d, seg0, bit) => {
          const ip = pseudoV4(s as Ipv4, d as Ipv4);
          const seg = seg0.slice();
          seg[6] = 0;
          seg[7] = 0;
          const c = l4Checksum(ip, 17, seg);
          seg[6] = c >>> 8;
          seg[7] = c & 0xff;
          expect(l4ChecksumOk(ip, 17, seg)).toBe(true);
          const k = bit % (seg.length * 8);
          seg[k >>> 3] ^= 1 << (k & 7);
          expect(l4ChecksumOk(ip, 17, seg)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
