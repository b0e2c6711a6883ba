/**
 * Classic pcap reader: hand-built headers (bytes laid out per the pcap-savefile(5) man page) and
 * fast-check robustness. Expected messages are libpcap 1.10.3's (checked against /usr/bin/tcpdump in
 * reader.test.ts and listed in ../shared/corpus/libpcap/INDEX.tsv).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRandomByteChanges, expectRecordsOrCaptureError } from "../test/reader-helpers.js";
import { CaptureError } from "./errors.js";
import { type PcapReader, PcapRecordView } from "./pcap.js";
import { readCaptureBytes } from "./reader.js";

/** A file header + records, built by hand. */
function pcap(
  opts: { le?: boolean; magic?: number; major?: number; minor?: number; snaplen?: number; link?: number },
  recs: [number, number, number, number, number[]][],
): Uint8Array {
  const le = opts.le ?? true;
  const b = new Uint8Array(24 + recs.reduce((n, r) => n + 16 + r[4].length, 0));
  const dv = new DataView(b.buffer);
  dv.setUint32(0, opts.magic ?? 0xa1b2c3d4, le);
  dv.setUint16(4, opts.major ?? 2, le);
  dv.setUint16(6, opts.minor ?? 4, le);
  dv.setUint32(16, opts.snaplen ?? 65535, le);
  dv.setUint32(20, opts.link ?? 1, le);
  let o = 24;
  for (const [sec, frac, caplen, len, data] of recs) {
    dv.setUint32(o, sec, le);
    dv.setUint32(o + 4, frac, le);
    dv.setUint32(o + 8, caplen, le);
    dv.setUint32(o + 12, len, le);
    b.set(data, o + 16);
    o += 16 + data.length;
  }
  return b;
}

function all(bytes: Uint8Array) {
  const r = readCaptureBytes(bytes, "t");
  const out = [];
  for (const x of r) out.push({ ...x, data: Array.from(x.data) });
  return { header: r.header, out };
}

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CaptureError) return e.reason;
    throw e;
  }
  return "(no error)";
}

describe("pcap file header", () => {
  it("reads both byte orders and both resolutions", () => {
    for (const le of [true, false]) {
      for (const [magic, digits] of [
        [0xa1b2c3d4, 6],
        [0xa1b23c4d, 9],
      ]) {
        const { header, out } = all(pcap({ le, magic }, [[1, 999999999, 2, 60, [0xaa, 0xbb]]]));
        expect(header.byteOrder).toBe(le ? "LE" : "BE");
        expect(out).toEqual([
          {
            tsSec: 1,
            tsFrac: 999999999,
            fracDigits: digits,
            linkType: 1,
            iface: 0,
            origLen: 60,
            data: [0xaa, 0xbb],
          },
        ]);
      }
    }
  });
  it("rejects versions like libpcap 1.10.3", () => {
    expect(reason(() => all(pcap({ major: 1, minor: 4 }, [])))).toBe("archaic pcap savefile format");
    expect(reason(() => all(pcap({ major: 2, minor: 5 }, [])))).toBe("unsupported pcap savefile version 2.5");
    expect(reason(() => all(pcap({ major: 3, minor: 0 }, [])))).toBe("unsupported pcap savefile version 3.0");
  });
  it("link type = low 16 bits; FCS bits kept in linkTypeField; reserved bits rejected", () => {
    const { header } = all(pcap({ link: 0x30000001 }, []));
    expect([header.linkType, header.linkTypeField]).toEqual([1, 0x30000001]);
    expect(reason(() => all(pcap({ link: 0x00300000 }, [])))).toBe(
      "savefile linktype reserved field not zero (0x00300000)",
    );
  });
  it("snaplen 0 means 262144 (libpcap pcap_adjust_snapshot)", () => {
    expect(all(pcap({ snaplen: 0 }, [])).header.snaplen).toBe(262144);
  });
  it("short and unknown files", () => {
    expect(reason(() => readCaptureBytes(new Uint8Array(2), "t"))).toBe(
      "truncated dump file; tried to read 4 file header bytes, only got 2",
    );
    expect(reason(() => readCaptureBytes(pcap({}, []).subarray(0, 20), "t"))).toBe(
      "truncated dump file; tried to read 24 file header bytes, only got 16",
    );
    expect(reason(() => readCaptureBytes(new TextEncoder().encode("hello world"), "t"))).toBe(
      "unknown file format",
    );
  });
});

describe("pcap records", () => {
  it("caplen > snaplen (<= 262144): whole record consumed, data cut to snaplen, next record intact", () => {
    const { out } = all(
      pcap({ snaplen: 3 }, [
        [1, 2, 5, 5, [1, 2, 3, 4, 5]],
        [3, 4, 1, 1, [9]],
      ]),
    );
    expect(out.map((r) => r.data)).toEqual([[1, 2, 3], [9]]);
  });
  it("caplen > 262144 is fatal after the records before it", () => {
    const b = pcap({ snaplen: 100 }, [
      [1, 2, 1, 1, [7]],
      [1, 2, 300000, 300000, []],
    ]);
    const r = readCaptureBytes(b, "t");
    expect(r.next()?.data).toEqual(Uint8Array.of(7));
    expect(reason(() => r.next())).toBe("invalid packet capture length 300000, bigger than snaplen of 100");
    expect(r.next()).toBeNull(); // one error, then the reader is finished
  });
  it("the error names file and offset", () => {
    const b = pcap({}, [[1, 2, 10, 10, [1, 2]]]);
    try {
      for (const _ of readCaptureBytes(b, "x.pcap"));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureError);
      expect((e as CaptureError).offset).toBe(24);
      expect((e as CaptureError).message).toBe(
        "x.pcap: truncated dump file; tried to read 10 captured bytes, only got 2 (at byte offset 24)",
      );
    }
  });
  it("timestamps are raw: negative seconds (bpf_int32) and fractions >= 10^6 kept", () => {
    const { out } = all(pcap({}, [[0xe9ff7058, 1048579, 0, 0, []]]));
    expect([out[0].tsSec, out[0].tsFrac]).toEqual([-369135528, 1048579]);
  });
});

describe("pcap robustness (fast-check)", () => {
  const valid = pcap({}, [
    [1, 2, 4, 4, [1, 2, 3, 4]],
    [5, 6, 3, 9, [5, 6, 7]],
  ]);
  it("arbitrary bytes after a pcap magic either parse or throw CaptureError", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (le, tail) => {
        const b = new Uint8Array(4 + tail.length);
        new DataView(b.buffer).setUint32(0, 0xa1b2c3d4, le);
        b.set(tail, 4);
        expectRecordsOrCaptureError(b);
      }),
      { numRuns: 1000 },
    );
  });
  it("random byte changes in a valid file: records or CaptureError, never anything else", () => {
    checkRandomByteChanges(valid);
  });
  it("every truncation inside a record is rejected after the whole records before it", () => {
    for (let n = 24; n < valid.length; n++) {
      const r = readCaptureBytes(valid.subarray(0, n), "t");
      const got: number[] = [];
      let err: unknown;
      try {
        for (const x of r) got.push(x.origLen);
      } catch (e) {
        err = e;
      }
      const whole = n >= 44 ? (n >= 63 ? 2 : 1) : 0;
      expect(got.length).toBe(whole);
      expect(err === undefined).toBe(n === 24 || n === 44 || n === 63);
    }
  });
});

describe("PcapReader.nextShared (one reused record)", () => {
  /** Everything `next` or `nextShared` yields, copied out as it comes, and the error message at the end. */
  function drain(bytes: Uint8Array, shared: boolean) {
    const r = readCaptureBytes(bytes, "t");
    const out: unknown[] = [];
    const objects = new Set<unknown>();
    try {
      for (;;) {
        const x = shared ? (r as PcapReader).nextShared() : r.next();
        if (x === null) break;
        objects.add(x);
        const view =
          x instanceof PcapRecordView
            ? Array.from(x.frame.subarray(x.frameStart, x.frameStart + x.caplen))
            : null;
        out.push({
          tsSec: x.tsSec,
          tsFrac: x.tsFrac,
          fracDigits: x.fracDigits,
          linkType: x.linkType,
          iface: x.iface,
          origLen: x.origLen,
          data: Array.from(x.data),
          view: view ?? Array.from(x.data),
        });
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      out.push(e.message);
    }
    return { out, objects: objects.size };
  }

  it("yields the same records and errors as next(), in one object, with frame/frameStart/caplen = data", () => {
    // Hand-built files as above: the records cut to snaplen, then random byte changes of them.
    const base = pcap({ snaplen: 3 }, [
      [1, 2, 5, 5, [1, 2, 3, 4, 5]],
      [3, 4, 1, 1, [9]],
      [0xe9ff7058, 1048579, 2, 7, [8, 7]],
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 4 }),
        fc.nat(base.length - 24),
        (edits, cut) => {
          const b = base.slice(0, base.length - cut);
          for (const [i, v] of edits) if (i >= 24 && i < b.length) b[i] = v;
          const plain = drain(b, false);
          const shared = drain(b, true);
          expect(shared.out).toEqual(plain.out);
          expect(shared.objects).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });
});
