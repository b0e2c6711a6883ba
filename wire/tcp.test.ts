import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, haveShared } from "../test/shared.js";
import { expectEveryTruncationRejected, hex, parsesOrWireError, v4 } from "../test/wire-helpers.js";
import type { Ipv4 } from "./addr.js";
import { WireError } from "./errors.js";
import { type PseudoHeader, pseudoV4, pseudoV6 } from "./l4-checksum.js";
import {
  emitTcp,
  parseTcp,
  parseTcpOptions,
  TCP_HEADER_LEN,
  TcpFlag,
  type TcpOption,
  TcpPacket,
  type TcpRepr,
  tcpBufferLen,
  tcpOptionsLen,
} from "./tcp.js";

function emitted(r: TcpRepr, ip: PseudoHeader): Uint8Array {
  const b = new Uint8Array(tcpBufferLen(r)).fill(0xa5);
  emitTcp(r, TcpPacket.unchecked(b), ip);
  return b;
}

// tcpdump corpus dns_tcp.pcap (`tcpdump -xx`), Ethernet + IPv4 + TCP, read at test time (corpusFrame).
// #1: 192.168.1.11.33779 > 209.87.249.18.53: Flags [S], cksum 0x0c41 (correct), seq 603899916, win 64240,
//     options [mss 1460,sackOK,TS val 2044906138 ecr 0,nop,wscale 7], length 0
const DNS_TCP_1 = corpusFrame("tcpdump/dns_tcp.pcap", 1);
// #2: 209.87.249.18.53 > 192.168.1.11.33779: Flags [S.], cksum 0xdded (correct), seq 2043824403,
//     ack 603899917, win 64240, options [mss 1460], length 0   (the frame ends in 2 bytes of Ethernet padding)
const DNS_TCP_2 = corpusFrame("tcpdump/dns_tcp.pcap", 2);
// #4: Flags [P.], cksum 0x7796 (correct), seq 1:59 (raw 603899917), ack 1 (raw 2043824404), win 64240, length 58
const DNS_TCP_4 = corpusFrame("tcpdump/dns_tcp.pcap", 4);
// tcpdump corpus tfo-5c1fa7f9ae91.pcap.
// #1: 192.168.0.100.13047 > 3.3.3.3.13054: Flags [S], cksum 0xb966 (correct), seq 218476388, win 1400,
//     options [exp-tfo cookiereq], length 0
const TFO_1 = corpusFrame("tcpdump/tfo-5c1fa7f9ae91.pcap", 1);
// #3: 3.3.3.3.13054 > 9.9.9.9.13047: Flags [S.], cksum 0x10b2 (correct), seq 4035392501, ack 218476389,
//     win 1400, options [exp-tfo cookie 090909090000,nop,nop], length 0
const TFO_3 = corpusFrame("tcpdump/tfo-5c1fa7f9ae91.pcap", 3);
// #4: Flags [S.], cksum 0x49d3 (correct), options [mss 1500,exp-tfo cookie 090909090000,nop,nop]
const TFO_4 = corpusFrame("tcpdump/tfo-5c1fa7f9ae91.pcap", 4);
// Built by hand (Python) as raw IPv4, checked with tcpdump 4.99.3 -vv -S:
//   192.0.2.1.40000 > 198.51.100.2.80: Flags [P.EW], cksum 0x52fe (correct), seq 16909060:16909064,
//   ack 168496141, win 65535, options [tfo  cookie 0102030405060708,nop,nop,sack 2 {1000:2000}{3000:4000},eol],
//   length 4
// and tshark -V: "Flags: 0x1d8 (PSH, ACK, ECE, CWR, AE)", "Kind: TCP Fast Open Cookie (34)", two EOLs.
const BUILT = hex(`
  4500004c1234000040067c41c0000201c63364029c400050010203040a0b0c0dd1d8ffff52fe0000220a010203040506070801010512
  000003e8000007d000000bb800000fa0000064617461`);
// tcpdump corpus tcp_header_heapoverflow.pcap: the IP header claims 12336 bytes, 12 TCP bytes are
// captured; tcpdump -v prints "[|tcp]".
const HEAPOVERFLOW = corpusFrame("tcpdump/tcp_header_heapoverflow.pcap", 1);

describe.skipIf(!haveShared)("TCP over corpus captures", () => {
  it("dns_tcp.pcap #1: SYN with mss, sackOK, TS, nop, wscale", () => {
    const { seg, ip } = v4(DNS_TCP_1);
    const p = TcpPacket.checked(seg);
    expect(p.checksum).toBe(0x0c41);
    expect(p.verifyChecksum(ip)).toBe(true);
    const r = parseTcp(p, ip);
    expect(r).toMatchObject({
      srcPort: 33779,
      dstPort: 53,
      seq: 603899916,
      ack: 0,
      window: 64240,
      urgentPointer: 0,
    });
    expect(r.flags).toBe(TcpFlag.SYN);
    expect(r.options).toEqual([
      { kind: "mss", mss: 1460 },
      { kind: "sack-permitted" },
      { kind: "timestamps", tsVal: 2044906138, tsEcr: 0 },
      { kind: "nop" },
      { kind: "window-scale", shift: 7 },
    ]);
    expect(r.payload.byteLength).toBe(0);
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("dns_tcp.pcap #2: SYN-ACK with mss only; Ethernet padding is not part of the segment", () => {
    const { seg, ip } = v4(DNS_TCP_2);
    expect(seg.byteLength).toBe(24);
    const r = parseTcp(TcpPacket.checked(seg), ip);
    expect(r).toMatchObject({ srcPort: 53, dstPort: 33779, seq: 2043824403, ack: 603899917, window: 64240 });
    expect(r.flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(r.options).toEqual([{ kind: "mss", mss: 1460 }]);
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("dns_tcp.pcap #4: PSH-ACK carrying 58 bytes", () => {
    const { seg, ip } = v4(DNS_TCP_4);
    const p = TcpPacket.checked(seg);
    const r = parseTcp(p, ip);
    expect(r).toMatchObject({ seq: 603899917, ack: 2043824404, window: 64240 });
    expect(r.flags).toBe(TcpFlag.PSH | TcpFlag.ACK);
    expect(r.options).toEqual([]);
    expect(r.payload.byteLength).toBe(58);
    expect(r.payload.buffer).toBe(DNS_TCP_4.buffer); // a view
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("tfo-5c1fa7f9ae91.pcap #1, #3, #4: experimental TFO (kind 254, magic 0xF989)", () => {
    const a = v4(TFO_1);
    const r1 = parseTcp(TcpPacket.checked(a.seg), a.ip);
    expect(r1).toMatchObject({ seq: 218476388, window: 1400, flags: TcpFlag.SYN });
    expect(r1.options).toEqual([{ kind: "fast-open", experimental: true, cookie: new Uint8Array(0) }]);
    expect(emitted(r1, a.ip)).toEqual(a.seg);

    const b = v4(TFO_3);
    const r3 = parseTcp(TcpPacket.checked(b.seg), b.ip);
    expect(r3).toMatchObject({ seq: 4035392501, ack: 218476389, flags: TcpFlag.SYN | TcpFlag.ACK });
    expect(r3.options).toEqual([
      { kind: "fast-open", experimental: true, cookie: hex("090909090000") },
      { kind: "nop" },
      { kind: "nop" },
    ]);
    expect(emitted(r3, b.ip)).toEqual(b.seg);

    const c = v4(TFO_4);
    const r4 = parseTcp(TcpPacket.checked(c.seg), c.ip);
    expect(r4.options).toEqual([
      { kind: "mss", mss: 1500 },
      { kind: "fast-open", experimental: true, cookie: hex("090909090000") },
      { kind: "nop" },
      { kind: "nop" },
    ]);
    expect(emitted(r4, c.ip)).toEqual(c.seg);
  });

  it("every truncation of the corpus segments is rejected", () => {
    for (const [frame, at] of [
      [DNS_TCP_1, 14],
      [DNS_TCP_4, 14],
      [TFO_4, 14],
      [BUILT, 0],
    ] as const) {
      const { seg, ip } = v4(frame, at);
      expectEveryTruncationRejected(seg, (b) => parseTcp(TcpPacket.checked(b), ip));
    }
  });

  it("tcp_header_heapoverflow.pcap: a 12-byte TCP header is truncated", () => {
    expect(() => TcpPacket.checked(HEAPOVERFLOW.subarray(34))).toThrow(
      expect.objectContaining({ layer: "tcp", reason: "truncated" }),
    );
  });

  it("rejects bad data offsets, bad option lengths and bad checksums", () => {
    const { seg, ip } = v4(DNS_TCP_1);
    const low = seg.slice();
    low[12] = 0x40 | (low[12] & 0x0f);
    expect(() => TcpPacket.checked(low)).toThrow(
      expect.objectContaining({ reason: "bad-length", offset: 12 }),
    );
    const high = seg.slice();
    high[12] = 0xf0 | (high[12] & 0x0f);
    expect(() => TcpPacket.checked(high)).toThrow(expect.objectContaining({ reason: "truncated" }));
    const zeroLen = seg.slice();
    zeroLen[21] = 0; // mss option length 0
    expect(() => TcpPacket.checked(zeroLen).options).toThrow(
      expect.objectContaining({ reason: "malformed", offset: 21 }),
    );
    const longLen = seg.slice();
    longLen[21] = 41;
    expect(() => TcpPacket.checked(longLen).options).toThrow(
      expect.objectContaining({ reason: "bad-length" }),
    );
    expect(() => parseTcpOptions(hex("0204"))).toThrow(expect.objectContaining({ reason: "bad-length" }));
    expect(() => parseTcpOptions(hex("0101 02"))).toThrow(
      expect.objectContaining({ reason: "bad-length", offset: 2 }),
    );
    const bad = seg.slice();
    bad[4] ^= 0x10;
    expect(() => parseTcp(TcpPacket.checked(bad), ip)).toThrow(
      expect.objectContaining({ reason: "bad-checksum" }),
    );
    expect(parseTcp(TcpPacket.checked(bad), null).seq).not.toBe(603899916);
  });
});

describe("TCP hand-built segments and options", () => {
  it("built segment: TFO kind 34, SACK blocks, two EOLs, ECE/CWR/AE flags", () => {
    const { seg, ip } = v4(BUILT, 0);
    const r = parseTcp(TcpPacket.checked(seg), ip);
    expect(r).toMatchObject({ srcPort: 40000, dstPort: 80, seq: 16909060, ack: 168496141, window: 65535 });
    expect(r.flags).toBe(0x1d8);
    expect(r.flags).toBe(TcpFlag.AE | TcpFlag.CWR | TcpFlag.ECE | TcpFlag.ACK | TcpFlag.PSH);
    expect(r.options).toEqual([
      { kind: "fast-open", experimental: false, cookie: hex("0102030405060708") },
      { kind: "nop" },
      { kind: "nop" },
      {
        kind: "sack",
        blocks: [
          [1000, 2000],
          [3000, 4000],
        ],
      },
      { kind: "eol", rest: new Uint8Array(1) },
    ]);
    expect(new TextDecoder().decode(r.payload)).toBe("data");
    expect(emitted(r, ip)).toEqual(seg);
  });

  it("keeps known kinds with unexpected lengths as unknown, byte for byte", () => {
    const opts = hex("020305 0302 070309 01 00 fe04 1234 2202");
    const parsed = parseTcpOptions(opts);
    expect(parsed).toEqual([
      { kind: "unknown", optionKind: 2, data: hex("05") },
      { kind: "unknown", optionKind: 3, data: new Uint8Array(0) },
      { kind: "unknown", optionKind: 7, data: hex("09") },
      { kind: "nop" },
      { kind: "eol", rest: hex("fe04 1234 2202") },
    ]);
    expect(tcpOptionsLen(parsed)).toBe(opts.length);
  });

  it("refuses to emit more than 40 bytes of options", () => {
    const r: TcpRepr = {
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      ack: 0,
      flags: 0,
      window: 0,
      urgentPointer: 0,
      options: [{ kind: "unknown", optionKind: 99, data: new Uint8Array(40) }],
      payload: new Uint8Array(0),
    };
    expect(() => tcpBufferLen(r) && emitted(r, pseudoV4(0 as Ipv4, 0 as Ipv4))).toThrow(
      expect.objectContaining({ reason: "bad-length" }),
    );
  });
});

const KNOWN = new Set([0, 1, 2, 3, 4, 5, 8, 34, 254]);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const arbOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: "nop" }),
  fc.integer({ min: 0, max: 0xffff }).map((mss): TcpOption => ({ kind: "mss", mss })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: "window-scale", shift })),
  fc.constant<TcpOption>({ kind: "sack-permitted" }),
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 })
    .map((blocks): TcpOption => ({ kind: "sack", blocks })),
  fc.tuple(u32, u32).map(([tsVal, tsEcr]): TcpOption => ({ kind: "timestamps", tsVal, tsEcr })),
  fc
    .tuple(fc.boolean(), fc.uint8Array({ maxLength: 16 }))
    .map(([experimental, cookie]): TcpOption => ({ kind: "fast-open", experimental, cookie })),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }).filter((k) => !KNOWN.has(k)),
      fc.uint8Array({ maxLength: 12 }),
    )
    .map(([optionKind, data]): TcpOption => ({ kind: "unknown", optionKind, data })),
);
/** Options that fit in 40 bytes, padded to a multiple of 4 with a final EOL (as emit would). */
const arbOptions = fc
  .tuple(fc.array(arbOption, { maxLength: 8 }), fc.uint8Array({ minLength: 3, maxLength: 3 }))
  .map(([opts, junk]) => {
    const out = [...opts];
    const n = tcpOptionsLen(out);
    if (n % 4 !== 0) out.push({ kind: "eol", rest: junk.subarray(0, 3 - (n % 4)) });
    return out;
  })
  .filter((o) => tcpOptionsLen(o) <= 40);
const arbRepr: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: fc.integer({ min: 0, max: 0xffff }),
  dstPort: fc.integer({ min: 0, max: 0xffff }),
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: fc.integer({ min: 0, max: 0xffff }),
  urgentPointer: fc.integer({ min: 0, max: 0xffff }),
  options: arbOptions,
  payload: fc.uint8Array({ maxLength: 32 }),
});
const arbIp = fc.oneof(
  fc.tuple(u32, u32).map(([s, d]) => pseudoV4(s as Ipv4, d as Ipv4)),
  fc
    .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
    .map(([s, d]) => pseudoV6(s, d)),
);

/** Option areas made of raw chunks (NOP, any kind ≥ 2 with any data, EOL + junk), a multiple of 4 long. */
const arbOptionBytes = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constant(Uint8Array.of(1)),
        fc
          .tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 10 }))
          .map(([k, d]) => Uint8Array.of(k, d.length + 2, ...d)),
      ),
      { maxLength: 8 },
    ),
    fc.uint8Array({ minLength: 40, maxLength: 40 }),
  )
  .map(([chunks, junk]) => {
    let b = Uint8Array.from(chunks.flatMap((c) => [...c]));
    if (b.length % 4 !== 0) b = Uint8Array.of(...b, 0, ...junk.subarray(0, 3 - (b.length % 4)));
    return b;
  })
  .filter((b) => b.length <= 40);

describe("TCP properties", () => {
  it("parse(emit(r)) == r", () => {
    fc.assert(
      fc.property(arbRepr, arbIp, (r, ip) => {
        expect(parseTcp(TcpPacket.checked(emitted(r, ip)), ip)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("emit(parse(b)) == b for any option layout (NOP positions, junk after EOL, unknown kinds)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        arbOptionBytes,
        fc.uint8Array({ maxLength: 8 }),
        arbIp,
        (h, o, d, ip) => {
          const b = Uint8Array.of(...h, ...o, ...d);
          b[12] = (((TCP_HEADER_LEN + o.length) / 4) << 4) | (b[12] & 0x0f);
          const p = TcpPacket.checked(b);
          p.fillChecksum(ip);
          expect(emitted(parseTcp(p, ip), ip)).toEqual(b);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("arbitrary bytes either parse or throw WireError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), arbIp, fc.boolean(), (b, ip, fix) => {
        parsesOrWireError(() => {
          const p = TcpPacket.checked(b);
          if (fix) p.fillChecksum(ip);
          parseTcp(p, ip);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("every truncation inside the header is rejected", () => {
    fc.assert(
      fc.property(arbRepr, arbIp, fc.nat(), (r, ip, k) => {
        const b = emitted(r, ip);
        const n = k % TcpPacket.checked(b).headerLen;
        expect(() => TcpPacket.checked(b.subarray(0, n))).toThrow(WireError);
      }),
      { numRuns: 300 },
    );
  });

  it("flipping any bit breaks the checksum", () => {
    fc.assert(
      fc.property(arbRepr, arbIp, fc.nat(), (r, ip, k) => {
        const b = emitted(r, ip);
        const bit = k % (b.length * 8);
        b[bit >>> 3] ^= 0x80 >>> (bit & 7);
        expect(TcpPacket.unchecked(b).verifyChecksum(ip)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
