import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  datagramProblem,
  encodeStreamFrame,
  encodeStreamFrames,
  FramingError,
  maxFrameLenFor,
  STREAM_HEADER_LEN,
  StreamBatch,
  StreamDecoder,
} from "./framing.js";

/** A 42-byte ARP request as a guest sends it (no padding to 60: REAL-VMS.md, QEMU stream wire). */
const ARP = Uint8Array.from(
  Buffer.from("ffffffffffff525400123401080600010800060400015254001234010a00020f0000000000000a000202", "hex"),
);

function decodeAll(chunks: readonly Uint8Array[], max?: number) {
  const frames: Uint8Array[] = [];
  const d = new StreamDecoder((f) => frames.push(f.slice()), max ? { maxFrameLen: max } : {});
  let error: FramingError | null = null;
  for (const c of chunks) {
    error = d.push(c);
    if (error) break;
  }
  const end = error ?? d.end();
  return { frames, error: end, decoder: d };
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const frameArb = fc.uint8Array({ minLength: 1, maxLength: 1522 });

describe("stream framing (QEMU -netdev stream/socket: 4-byte big-endian length + frame)", () => {
  it("encodes a 42-byte ARP frame as 00 00 00 2a + the frame", () => {
    const wire = encodeStreamFrame(ARP);
    expect(Buffer.from(wire.subarray(0, 4)).toString("hex")).toBe("0000002a");
    expect(wire.byteLength).toBe(46);
    expect(wire.subarray(4)).toEqual(ARP);
  });

  it("decodes frames inside one chunk as views of it (zero copy), in order", () => {
    const wire = encodeStreamFrames([ARP, ARP.subarray(0, 20)]);
    const got: Uint8Array[] = [];
    const d = new StreamDecoder((f) => got.push(f));
    expect(d.push(wire)).toBeNull();
    expect(got.length).toBe(2);
    expect(got[0].buffer).toBe(wire.buffer);
    expect(got[0].byteOffset).toBe(4);
    expect(got[1]).toEqual(ARP.subarray(0, 20));
    expect(d.frames).toBe(2);
    expect(d.end()).toBeNull();
  });

  it("reassembles a frame cut inside its length field and inside its data", () => {
    const wire = encodeStreamFrames([ARP, ARP]);
    const r = decodeAll([
      wire.subarray(0, 2),
      wire.subarray(2, 10),
      wire.subarray(10, 47),
      wire.subarray(47),
    ]);
    expect(r.error).toBeNull();
    expect(r.frames).toEqual([ARP, ARP]);
  });

  it("property: any frames cut at any points come back whole, in order", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const wire = encodeStreamFrames(frames);
          const r = decodeAll(split(wire, cuts));
          expect(r.error).toBeNull();
          expect(r.frames).toEqual(frames);
          expect(r.decoder.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: a stream cut inside a frame ends with a 'truncated' error naming the offset", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cutSeed, cuts) => {
          const wire = encodeStreamFrames(frames);
          const bounds = new Set<number>();
          let o = 0;
          for (const f of frames) {
            bounds.add(o);
            o += STREAM_HEADER_LEN + f.byteLength;
          }
          const cut = 1 + (cutSeed % (wire.byteLength - 1));
          fc.pre(!bounds.has(cut));
          const r = decodeAll(split(wire.subarray(0, cut), cuts));
          expect(r.error?.reason).toBe("truncated");
          expect(r.error?.offset).toBe(cut);
          expect(r.frames.length).toBeLessThan(frames.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses length 0 with the offset, and stays finished", () => {
    const wire = new Uint8Array([...encodeStreamFrame(ARP), 0, 0, 0, 0, ...encodeStreamFrame(ARP)]);
    const frames: Uint8Array[] = [];
    const d = new StreamDecoder((f) => frames.push(f));
    const e = d.push(wire);
    expect(e).toBeInstanceOf(FramingError);
    expect(e?.reason).toBe("zero-length");
    expect(e?.offset).toBe(46);
    expect(e?.message).toBe("frame length 0 at stream byte 46 (a frame has at least one byte)");
    expect(frames.length).toBe(1); // the frame before the garbage was delivered
    expect(d.push(encodeStreamFrame(ARP))).toBe(e);
    expect(frames.length).toBe(1);
    expect(d.end()).toBe(e);
  });

  it("refuses a length over MTU + headers with both numbers, also when the length straddles chunks", () => {
    const max = maxFrameLenFor(1500);
    expect(max).toBe(1522);
    const bad = new Uint8Array([0x00, 0x00, 0x05, 0xf3, 1, 2, 3]); // 1523
    for (const chunks of [[bad], [bad.subarray(0, 1), bad.subarray(1, 3), bad.subarray(3)]]) {
      const r = decodeAll(chunks);
      expect(r.error?.reason).toBe("too-long");
      expect(r.error?.length).toBe(1523);
      expect(r.error?.max).toBe(1522);
      expect(r.error?.offset).toBe(0);
      expect(r.error?.message).toBe(
        "frame length 1523 at stream byte 0 exceeds the maximum 1522 (MTU + Ethernet header + VLAN tags)",
      );
    }
    // A hostile 4 GiB length allocates nothing: it is refused before any buffer is made.
    expect(decodeAll([new Uint8Array([0xff, 0xff, 0xff, 0xff])]).error?.length).toBe(0xffffffff);
  });

  it("a decoder is reusable after reset (a new connection on the same attach point)", () => {
    const frames: Uint8Array[] = [];
    const d = new StreamDecoder((f) => frames.push(f));
    expect(d.push(new Uint8Array([0, 0, 0, 0]))?.reason).toBe("zero-length");
    d.reset();
    expect(d.error).toBeNull();
    expect(d.push(encodeStreamFrame(ARP))).toBeNull();
    expect(frames).toEqual([ARP]);
  });

  it("property: garbage gives frames then at most one FramingError, the same for any split, never a throw", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (garbage, cuts) => {
          const whole = decodeAll([garbage], 64);
          const cut = decodeAll(split(garbage, cuts), 64);
          expect(cut.frames).toEqual(whole.frames);
          expect(cut.error?.reason).toBe(whole.error?.reason);
          expect(cut.error?.offset).toBe(whole.error?.offset);
          if (whole.error) expect(whole.error).toBeInstanceOf(FramingError);
          // Every byte is accounted for: frames + their headers, or the error's offset is inside.
          const used = whole.frames.reduce((a, f) => a + STREAM_HEADER_LEN + f.byteLength, 0);
          if (whole.error === null) expect(used).toBe(garbage.byteLength);
          else expect(whole.error.offset).toBeGreaterThanOrEqual(used);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never writes into a frame it handed out: later chunks leave delivered frames unchanged", () => {
    const wire = encodeStreamFrames([ARP, ARP]);
    const got: Uint8Array[] = [];
    const d = new StreamDecoder((f) => got.push(f));
    d.push(wire.subarray(0, 30)); // frame 1 straddles: gathered into its own buffer
    d.push(wire.subarray(30));
    const copies = got.map((f) => f.slice());
    d.push(encodeStreamFrame(new Uint8Array(42).fill(0xa5)));
    expect(got.slice(0, 2)).toEqual(copies);
  });
});

describe("StreamBatch (one write per batch)", () => {
  it("property: batches taken in any pattern decode to the frames added, and stay unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(frameArb, fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 64, max: 4096 }),
        (items, slab) => {
          const b = new StreamBatch(slab);
          const taken: Uint8Array[] = [];
          const snapshots: Uint8Array[] = [];
          for (const [f, takeNow] of items) {
            b.add(f);
            if (takeNow) {
              const t = b.take();
              if (t) {
                taken.push(t);
                snapshots.push(t.slice());
              }
            }
          }
          const last = b.take();
          if (last) {
            taken.push(last);
            snapshots.push(last.slice());
          }
          expect(b.take()).toBeNull();
          expect(taken).toEqual(snapshots);
          const r = decodeAll(taken);
          expect(r.error).toBeNull();
          expect(r.frames).toEqual(items.map(([f]) => f));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("datagram framing (QEMU -netdev dgram: one frame per datagram)", () => {
  it("accepts a frame, refuses empty and over-long datagrams", () => {
    expect(datagramProblem(ARP, 1522)).toBeNull();
    expect(datagramProblem(new Uint8Array(0), 1522)).toBe("empty");
    expect(datagramProblem(new Uint8Array(1523), 1522)).toBe("too-long");
    expect(datagramProblem(new Uint8Array(1522), 1522)).toBeNull();
  });
});
