import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Ipv4 } from "../wire/addr.js";
import { l4ChecksumV4 } from "../wire/l4-checksum.js";
import { allocPacket, fillIpv4Checksum, l4ChecksumAt, sumAt, writeIpv4Header } from "./packet.js";

describe("l4ChecksumAt", () => {
  it("equals wire/'s l4ChecksumV4 over the same bytes (any offset, length, addresses, protocol)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1600 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.constantFrom(1, 6, 17),
        (bytes, a, b, src, dst, proto) => {
          const off = bytes.length === 0 ? 0 : a % bytes.length;
          const len = bytes.length - off === 0 ? 0 : b % (bytes.length - off + 1);
          const want = l4ChecksumV4(src as Ipv4, dst as Ipv4, proto, bytes.subarray(off, off + len));
          expect(l4ChecksumAt(bytes, off, len, src as Ipv4, dst as Ipv4, proto)).toBe(want);
        },
      ),
    );
  });

  it("verifies a filled-in checksum as 0 and honours the buffer's byteOffset", () => {
    const seg = new Uint8Array([0, 9, 0, 9, 0, 12, 0, 0, 1, 2, 3, 4]);
    const src = 0x0a010001 as Ipv4;
    const dst = 0x0a010002 as Ipv4;
    const c = l4ChecksumAt(seg, 0, seg.length, src, dst, 17);
    seg[6] = c >>> 8;
    seg[7] = c & 0xff;
    const shifted = new Uint8Array(seg.length + 5);
    shifted.set(seg, 5);
    expect(l4ChecksumAt(shifted.subarray(3), 2, seg.length, src, dst, 17)).toBe(0);
    expect(l4ChecksumV4(src, dst, 17, seg)).toBe(0);
  });
});

/** RFC 1071 by the book: 16-bit big-endian words, an odd byte padded with zero, carries folded. */
function referenceSum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

describe("sumAt", () => {
  it("equals the RFC 1071 word-by-word sum at any offset and length (odd ones too)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const off = bytes.length === 0 ? 0 : a % bytes.length;
        const len = b % (bytes.length - off + 1);
        expect(sumAt(bytes, off, len)).toBe(referenceSum(bytes, off, len));
      }),
    );
  });

  it("does not overflow on the largest IPv4 packet of 0xff bytes", () => {
    const big = new Uint8Array(65535).fill(0xff);
    expect(sumAt(big, 0, big.length)).toBe(referenceSum(big, 0, big.length));
    expect(sumAt(big, 0, 65534)).toBe(0xffff);
  });
});

describe("writeIpv4Header", () => {
  it("writes the fields and the same checksum as summing the written header (which then verifies)", () => {
    fc.assert(
      fc.property(
        fc.record({
          tos: fc.nat({ max: 0xff }),
          tot: fc.integer({ min: 20, max: 0xffff }),
          id: fc.nat({ max: 0xffff }),
          df: fc.boolean(),
          ttl: fc.nat({ max: 0xff }),
          proto: fc.nat({ max: 0xff }),
          src: fc.nat({ max: 0xffffffff }),
          dst: fc.nat({ max: 0xffffffff }),
          off: fc.nat({ max: 9 }),
        }),
        (h) => {
          const b = new Uint8Array(40).fill(0xa5);
          writeIpv4Header(b, h.off, h.tos, h.tot, h.id, h.df, h.ttl, h.proto, h.src as Ipv4, h.dst as Ipv4);
          const again = b.slice();
          fillIpv4Checksum(again, h.off);
          expect(b).toEqual(again);
          expect(sumAt(b, h.off, 20)).toBe(0xffff);
          const dv = new DataView(b.buffer, h.off);
          expect([dv.getUint8(0), dv.getUint8(1), dv.getUint16(2), dv.getUint16(4)]).toEqual([
            0x45,
            h.tos,
            h.tot,
            h.id,
          ]);
          expect([dv.getUint16(6), dv.getUint8(8), dv.getUint8(9)]).toEqual([
            h.df ? 0x4000 : 0,
            h.ttl,
            h.proto,
          ]);
          expect([dv.getUint32(12), dv.getUint32(16)]).toEqual([h.src, h.dst]);
        },
      ),
    );
  });
});

describe("allocPacket", () => {
  it("hands out zero-filled buffers that never overlap (the slab is never reused)", () => {
    const bufs: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const b = allocPacket(1 + (i % 200));
      expect(b.byteLength).toBe(1 + (i % 200));
      expect(b.every((x) => x === 0)).toBe(true);
      b.fill(0xff);
      bufs.push(b);
    }
    // Every earlier buffer still holds only its own writes.
    for (const b of bufs) expect(b.every((x) => x === 0xff)).toBe(true);
    expect(allocPacket(5000).byteLength).toBe(5000);
  });
});
