/**
 * pcapng reader on hand-built blocks (layout per draft-ietf-opsawg-pcapng sections 4.1–4.3) and
 * fast-check robustness; expected messages are libpcap 1.10.3's (strings of libpcap.so.1.10.3, and
 * tcpdump on cut files in reader.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRandomByteChanges, expectRecordsOrCaptureError } from "../test/reader-helpers.js";
import { CaptureError } from "./errors.js";
import { readCaptureBytes } from "./reader.js";

function block(le: boolean, type: number, body: number[]): number[] {
  const len = 12 + body.length;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, len, le);
  b.set(body, 8);
  dv.setUint32(len - 4, len, le);
  return Array.from(b);
}
function u32(le: boolean, v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, le);
  return Array.from(b);
}
function u16(le: boolean, v: number): number[] {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return Array.from(b);
}
const shb = (le: boolean, major = 1, minor = 0) =>
  block(le, 0x0a0d0d0a, [
    ...u32(le, 0x1a2b3c4d),
    ...u16(le, major),
    ...u16(le, minor),
    ...u32(le, 0xffffffff),
    ...u32(le, 0xffffffff),
  ]);
const opt = (le: boolean, code: number, v: number[]) => [
  ...u16(le, code),
  ...u16(le, v.length),
  ...v,
  ...new Array((4 - (v.length % 4)) % 4).fill(0),
];
const idb = (le: boolean, link: number, snap: number, opts: number[] = []) =>
  block(le, 1, [...u16(le, link), 0, 0, ...u32(le, snap), ...opts, ...(opts.length ? [0, 0, 0, 0] : [])]);
const epb = (le: boolean, ifid: number, hi: number, lo: number, data: number[], orig = data.length) =>
  block(le, 6, [
    ...u32(le, ifid),
    ...u32(le, hi),
    ...u32(le, lo),
    ...u32(le, data.length),
    ...u32(le, orig),
    ...data,
    ...new Array((4 - (data.length % 4)) % 4).fill(0),
  ]);
const spb = (le: boolean, orig: number, data: number[]) => block(le, 3, [...u32(le, orig), ...data]);

function read(bytes: number[]) {
  const r = readCaptureBytes(Uint8Array.from(bytes), "t");
  const out = [];
  for (const x of r) out.push({ ...x, data: Array.from(x.data) });
  return { header: r.header, out };
}
function reason(bytes: number[]): string {
  try {
    read(bytes);
  } catch (e) {
    if (e instanceof CaptureError) return e.reason;
    throw e;
  }
  return "(no error)";
}

describe("pcapng sections and interfaces", () => {
  it("two sections in different byte orders; iface is the file-order index, localId the section's", () => {
    const { header, out } = read([
      ...shb(true),
      ...idb(true, 1, 0, opt(true, 2, Array.from(new TextEncoder().encode("eth0")))),
      ...epb(true, 0, 0, 1_000_001, [1, 2, 3]),
      ...shb(false),
      ...idb(false, 101, 0),
      ...idb(false, 1, 2),
      ...epb(false, 1, 0, 5, [4, 5, 6, 7]),
      ...spb(false, 9, [8, 8, 8, 8]),
    ]);
    expect(header.byteOrder).toBe("LE");
    expect(header.interfaces.map((i) => [i.index, i.section, i.localId, i.linkType, i.name])).toEqual([
      [0, 0, 0, 1, "eth0"],
      [1, 1, 0, 101, undefined],
      [2, 1, 1, 1, undefined],
    ]);
    expect(out.map((r) => [r.iface, r.linkType, r.tsSec, r.tsFrac, r.origLen, r.data])).toEqual([
      [0, 1, 1, 1, 3, [1, 2, 3]],
      [2, 1, 0, 5, 4, [4, 5]], // cut to the IDB snaplen 2
      [1, 101, 0, 0, 9, [8, 8, 8, 8]], // SPB: interface 0 of the section, no timestamp
    ]);
  });
  it("if_tsresol decimal and binary, if_tsoffset", () => {
    const le = true;
    const tsoff = Array.from(new Uint8Array(new BigInt64Array([100n]).buffer));
    const { out } = read([
      ...shb(le),
      ...idb(le, 1, 0, [...opt(le, 9, [9]), ...opt(le, 14, tsoff)]),
      ...idb(le, 1, 0, opt(le, 9, [0x80 | 20])),
      ...epb(le, 0, 0, 3_000_000_007, []),
      ...epb(le, 1, 0, 3 * 2 ** 20 + 2 ** 19, []), // 3.5 s in 2^-20 units
    ]);
    expect(out.map((r) => [r.tsSec, r.tsFrac, r.fracDigits])).toEqual([
      [103, 7, 9],
      [3, 500000, 6],
    ]);
  });
  it("64-bit timestamps beyond 2^53 units stay exact", () => {
    // 0x00400000_00000001 ns = 18014398509481985 ns = 18014398.509481985 s
    const { out } = read([
      ...shb(true),
      ...idb(true, 1, 0, opt(true, 9, [9])),
      ...epb(true, 0, 0x400000, 1, []),
    ]);
    expect([out[0].tsSec, out[0].tsFrac]).toEqual([18014398, 509481985]);
  });
});

describe("pcapng errors", () => {
  const le = true;
  it("versions other than 1.0", () => {
    expect(reason(shb(le, 1, 2))).toBe("unsupported pcapng savefile version 1.2");
    expect(reason(shb(le, 2, 0))).toBe("unsupported pcapng savefile version 2.0");
  });
  it("block length rules", () => {
    const good = [...shb(le), ...idb(le, 1, 0)];
    const bad = (len: number) => [...good, ...u32(le, 6), ...u32(le, len), 0, 0, 0, 0];
    expect(reason(bad(8))).toBe("block in pcapng dump file has a length of 8 < 12");
    expect(reason(bad(14))).toBe("block in pcapng dump file has a length of 14 that is not a multiple of 4");
    expect(reason(bad(0xfffffffc))).toBe("pcapng block size 4294967292 > maximum 16777216");
    const mismatch = [...good, ...epb(le, 0, 0, 0, [1, 2, 3, 4])];
    mismatch[mismatch.length - 4] = 0x30;
    expect(reason(mismatch)).toBe("block total length in header 36 and trailer 48 don't match");
  });
  it("packets without an IDB", () => {
    expect(reason([...shb(le), ...epb(le, 0, 0, 0, [])])).toBe(
      "the capture file has a packet block before any Interface Description Blocks",
    );
    expect(reason([...shb(le), ...idb(le, 1, 0), ...epb(le, 3, 0, 0, [])])).toBe(
      "a packet arrived on interface 3, but there's no Interface Description Block for that interface",
    );
    expect(reason(shb(le))).toBe("the capture file has no Interface Description Blocks");
  });
  it("EPB caplen larger than the block; bad if_tsresol", () => {
    const e = epb(le, 0, 0, 0, [1, 2, 3, 4]);
    e.splice(20, 4, ...u32(le, 400));
    expect(reason([...shb(le), ...idb(le, 1, 0), ...e])).toBe(
      "block of type 6 in pcapng dump file is too short",
    );
    expect(reason([...shb(le), ...idb(le, 1, 0, opt(le, 9, [9, 9]))])).toBe(
      "Interface Description Block has if_tsresol option with length 2 != 1",
    );
  });
});

describe("pcapng robustness (fast-check)", () => {
  const valid = Uint8Array.from([
    ...shb(true),
    ...idb(true, 1, 0, opt(true, 9, [9])),
    ...epb(true, 0, 1, 2, [1, 2, 3, 4, 5]),
    ...spb(true, 3, [6, 7, 8, 0]),
    ...shb(false),
    ...idb(false, 1, 0),
    ...epb(false, 0, 1, 2, [9]),
  ]);
  it("random byte changes: records or CaptureError, never anything else", () => {
    checkRandomByteChanges(valid);
  });
  it("arbitrary bytes after an SHB either parse or throw CaptureError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const b = Uint8Array.from([...shb(true), ...idb(true, 1, 0), ...tail]);
        expectRecordsOrCaptureError(b);
      }),
      { numRuns: 1000 },
    );
  });
  it("every truncation: whole records before the cut, then one CaptureError unless the cut is at a block end", () => {
    const got = [];
    for (let n = 0; n <= valid.length; n++) {
      let count = 0;
      let err: unknown;
      try {
        for (const _ of readCaptureBytes(valid.subarray(0, n), "t")) count++;
      } catch (e) {
        err = e;
      }
      if (err !== undefined) expect(err).toBeInstanceOf(CaptureError);
      got.push([count, err === undefined]);
    }
    // Block ends (hand-computed from the sizes above): SHB 28, IDB 32, EPB 40, SPB 20, SHB 28, IDB 20, EPB 36.
    const blockEnds = [28, 60, 100, 120, 148, 168, 204];
    for (let n = 60; n <= valid.length; n++) {
      const whole = n >= 204 ? 3 : n >= 120 ? 2 : n >= 100 ? 1 : 0;
      expect(got[n][0]).toBe(whole);
      expect(got[n][1]).toBe(blockEnds.includes(n));
    }
  });
});
