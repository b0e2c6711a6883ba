import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Ipv4 } from "../wire/addr.js";
import { l4ChecksumV4 } from "../wire/l4-checksum.js";
import { l4ChecksumAt } from "./packet.js";

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
