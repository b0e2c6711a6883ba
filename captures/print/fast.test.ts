import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, haveShared } from "../../test/shared.js";
import { formatIpv6Bytes } from "../../wire/addr.js";
import type { CaptureRecord } from "../record.js";
import { TcpSeqTable } from "./context.js";
import { putIp6, putUint, putUintZero } from "./fast.js";
import { FAST_LINE_MAX, formatTimestamp, type InspectOptions, TcpdumpPrinter } from "./index.js";
import { HTTP_CMDS, httpShown } from "./tcp.js";

// The fast path (fast.ts) must print byte for byte what the general printers print. The general
// printers are checked against tcpdump by the corpus conformance test and their own fixtures; here
// the fast path is checked against them on generated packets: mostly well-formed Ethernet + IPv4/IPv6
// + TCP/UDP/ICMP and ARP frames from a few hosts (so TCP conversations repeat and the relative
// sequence table is exercised), then damaged (bytes overwritten, capture cut short, on-wire length
// changed) so that every "take the general path" check gets crossed.

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

describe("byte writers", () => {
  it("putUint writes what String(v) does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat()), (v) => {
        const buf = new Uint8Array(32);
        const end = putUint(buf, 3, v);
        expect(ascii(buf.subarray(3, end))).toBe(String(v));
      }),
      { numRuns: 1000 },
    );
  });

  it("putIp6 writes what formatIpv6Bytes does (runs of zeros, embedded IPv4)", () => {
    const group = fc.oneof(
      fc.constant(0),
      fc.constant(0),
      fc.constant(0xffff),
      fc.integer({ min: 0, max: 0xffff }),
    );
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const a = new Uint8Array(16);
        groups.forEach((g, i) => {
          a[2 * i] = g >> 8;
          a[2 * i + 1] = g & 0xff;
        });
        const buf = new Uint8Array(64);
        const end = putIp6(buf, 0, a, 0);
        expect(ascii(buf.subarray(0, end))).toBe(formatIpv6Bytes(a, 0));
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- frame builders (plain byte layouts from RFC 791 / 8200 / 9293 / 768 / 792 / 826) ----

const HOSTS4 = [
  [10, 0, 0, 1],
  [10, 0, 1, 2],
  [192, 168, 100, 250],
];
const HOSTS6 = [
  [0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2],
  [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9],
];
const PORTS = [80, 443, 22, 53, 8080, 40000, 40001, 5353, 67, 4789];

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

const tcpOption = fc.oneof(
  fc.constant([1]),
  fc.constant([1, 1]),
  fc.constant([0]),
  fc.integer({ min: 0, max: 0xffff }).map((v) => [2, 4, ...be16(v)]),
  fc.integer({ min: 0, max: 14 }).map((v) => [3, 3, v]),
  fc.constant([4, 2]),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => [8, 10, ...be32(a), ...be32(b)]),
  fc
    .array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 })
    .map((blocks) => [5, 2 + 8 * blocks.length, ...blocks.flatMap(([s, e]) => [...be32(s), ...be32(e)])]),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => [...b]),
);

const payload = fc.oneof(
  fc.constant([] as number[]),
  fc.uint8Array({ maxLength: 40 }).map((b) => [...b]),
  fc
    .constantFrom("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "SSH-2.0-x\r\n", "hello world")
    .map((s) => [...s].map((c) => c.charCodeAt(0))),
);

const tcpSegment = fc
  .record({
    sport: fc.constantFrom(...PORTS),
    dport: fc.constantFrom(...PORTS),
    seq: fc.constantFrom(1000, 2000, 0xfffffff0, 7),
    ack: fc.constantFrom(5000, 1, 0x80000000),
    flags: fc.oneof(
      fc.constantFrom(0x10, 0x18, 0x02, 0x12, 0x11, 0x04, 0x30),
      fc.integer({ min: 0, max: 255 }),
    ),
    win: fc.integer({ min: 0, max: 0xffff }),
    urg: fc.integer({ min: 0, max: 0xffff }),
    options: fc.array(tcpOption, { maxLength: 4 }),
    data: payload,
  })
  .map((t) => {
    let opts = t.options.flat();
    while (opts.length % 4 !== 0) opts.push(1);
    if (opts.length > 40) opts = opts.slice(0, 40);
    const off = 5 + opts.length / 4;
    return [
      ...be16(t.sport),
      ...be16(t.dport),
      ...be32(t.seq),
      ...be32(t.ack),
      off << 4,
      t.flags,
      ...be16(t.win),
      0,
      0,
      ...be16(t.urg),
      ...opts,
      ...t.data,
    ];
  });

const udpDatagram = fc
  .record({ sport: fc.constantFrom(...PORTS), dport: fc.constantFrom(...PORTS), data: payload })
  .map((u) => [...be16(u.sport), ...be16(u.dport), ...be16(8 + u.data.length), 0, 0, ...u.data]);

const icmpMessage = fc
  .record({
    type: fc.oneof(fc.constantFrom(0, 8), fc.integer({ min: 0, max: 255 })),
    code: fc.integer({ min: 0, max: 3 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    seq: fc.integer({ min: 0, max: 0xffff }),
    data: payload,
  })
  .map((m) => [m.type, m.code, 0, 0, ...be16(m.id), ...be16(m.seq), ...m.data]);

/** [IP protocol number, segment bytes] */
type Transport = [number, number[]];
const transport: fc.Arbitrary<Transport> = fc.oneof(
  tcpSegment.map((b): Transport => [6, b]),
  udpDatagram.map((b): Transport => [17, b]),
  icmpMessage.map((b): Transport => [1, b]),
);

const ipv4 = fc
  .record({
    src: fc.constantFrom(...HOSTS4),
    dst: fc.constantFrom(...HOSTS4),
    frag: fc.constantFrom(0, 0x4000, 0x2000, 0x0001, 0x4000),
    options: fc.constantFrom([] as number[], [1, 1, 1, 0], [148, 4, 0, 0]),
    t: transport,
  })
  .map((p) => {
    const [proto, seg] = p.t;
    const hlen = 20 + p.options.length;
    return [
      0x40 | (hlen / 4),
      0,
      ...be16(hlen + seg.length),
      0x12,
      0x34,
      ...be16(p.frag),
      64,
      proto,
      0,
      0,
      ...p.src,
      ...p.dst,
      ...p.options,
      ...seg,
    ];
  });

const ipv6 = fc
  .record({ src: fc.constantFrom(...HOSTS6), dst: fc.constantFrom(...HOSTS6), t: transport })
  .map((p) => {
    const [proto, seg] = p.t;
    return [0x60, 0, 0, 0, ...be16(seg.length), proto === 1 ? 58 : proto, 64, ...p.src, ...p.dst, ...seg];
  });

const arp = fc
  .record({
    op: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 10 })),
    sha: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    tha: fc.oneof(fc.constant(new Uint8Array(6)), fc.uint8Array({ minLength: 6, maxLength: 6 })),
    spa: fc.constantFrom(...HOSTS4),
    tpa: fc.constantFrom(...HOSTS4),
  })
  .map((a) => [0, 1, 8, 0, 6, 4, ...be16(a.op), ...a.sha, ...a.spa, ...a.tha, ...a.tpa]);

const frame = fc
  .oneof(
    { weight: 4, arbitrary: ipv4.map((b) => [0x08, 0x00, ...b]) },
    { weight: 2, arbitrary: ipv6.map((b) => [0x86, 0xdd, ...b]) },
    { weight: 1, arbitrary: arp.map((b) => [0x08, 0x06, ...b]) },
  )
  .map((rest) =>
    Uint8Array.from([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, ...rest]),
  );

/** A frame, then (sometimes) damaged: bytes overwritten, capture cut, on-wire length changed. */
const record = fc
  .record({
    frame,
    pokes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
    damage: fc.integer({ min: 0, max: 2 }).map((d) => d === 0),
    cut: fc.nat(),
    extra: fc.oneof(fc.constant(0), fc.integer({ min: -8, max: 40 })),
    sec: fc.constantFrom(0, 59, 86399, 1591780863, 0x7fffffff, -1),
    usec: fc.oneof(fc.integer({ min: 0, max: 999999 }), fc.constant(1048579)),
  })
  .map((r): CaptureRecord => {
    let data = r.frame;
    let origLen = data.byteLength;
    if (r.damage) {
      for (const [at, v] of r.pokes) data[at % data.byteLength] = v;
      if (r.cut % 3 === 0) data = data.subarray(0, r.cut % (data.byteLength + 1));
      origLen = Math.max(0, origLen + r.extra);
    }
    return { tsSec: r.sec, tsFrac: r.usec, fracDigits: 6, linkType: 1, iface: 0, origLen, data };
  });

const optionSets: Partial<InspectOptions>[] = [
  {},
  { number: true },
  { time: "none" },
  { time: "datetime", nano: true },
  { verbose: 1 },
  { linkHeader: true },
];

describe("fast path", () => {
  it("prints exactly what the general printers print, record after record (formatInto and formatFrameInto)", () => {
    let fast = 0;
    let eligible = 0;
    for (const opts of optionSets) {
      fc.assert(
        fc.property(fc.array(record, { minLength: 1, maxLength: 25 }), (recs) => {
          const general = new TcpdumpPrinter(opts);
          const quick = new TcpdumpPrinter(opts);
          const buf = new Uint8Array(FAST_LINE_MAX + 8);
          recs.forEach((rec, i) => {
            const want = general.formatGeneral(rec, i + 1);
            // Every other record through formatFrameInto, its bytes at an offset inside a larger array.
            let end: number;
            if (i % 2 === 0) end = quick.formatInto(rec, i + 1, buf, 5);
            else {
              const frame = new Uint8Array(rec.data.byteLength + 10).fill(0xee);
              frame.set(rec.data, 7);
              end = quick.formatFrameInto(rec, frame, 7, rec.data.byteLength, i + 1, buf, 5);
            }
            if (!opts.verbose && !opts.linkHeader) eligible++;
            if (end >= 0) {
              fast++;
              expect(ascii(buf.subarray(5, end))).toBe(want);
            } else expect(quick.formatGeneral(rec, i + 1)).toBe(want);
          });
        }),
        { numRuns: 250 },
      );
    }
    // The generator must actually reach the fast path often (else this test proves little).
    expect(fast).toBeGreaterThan(eligible / 5);
  });
});

describe("fast path room", () => {
  it("stores at most 3 bytes past the end of a line (so FAST_LINE_MAX - 3 bounds every line)", () => {
    // Two printers fed the same records keep the same TCP state: the first finds a line's length L,
    // the second writes the same line into a buffer of exactly L + 3 bytes (a DataView store past
    // its end throws).
    let lines = 0;
    for (const opts of [{}, { number: true, time: "datetime" as const, nano: true }]) {
      fc.assert(
        fc.property(fc.array(record, { minLength: 1, maxLength: 10 }), (recs) => {
          const a = new TcpdumpPrinter(opts);
          const b = new TcpdumpPrinter(opts);
          const big = new Uint8Array(FAST_LINE_MAX);
          recs.forEach((rec, i) => {
            const n = 2 ** 32 + i; // wider than any 32-bit count `-#` prints
            const end = a.formatInto(rec, n, big, 0);
            if (end < 0) return;
            expect(end).toBeLessThanOrEqual(FAST_LINE_MAX - 3);
            const tight = new Uint8Array(end + 3);
            expect(b.formatInto(rec, n, tight, 0)).toBe(end);
            expect(ascii(tight.subarray(0, end))).toBe(ascii(big.subarray(0, end)));
            lines++;
          });
        }),
        { numRuns: 300 },
      );
    }
    expect(lines).toBeGreaterThan(500);
  });
});

// Record 1 of the corpus capture tcpdump/dns_tcp.pcap (a TCP SYN with options), read at test time
// (empty when ../shared is absent).
const DNS_TCP_SYN = corpusFrame("tcpdump/dns_tcp.pcap", 1);

describe.skipIf(!haveShared)("fast path", () => {
  it("format() and formatInto() agree, and formatInto is off for options it does not cover", () => {
    const rec: CaptureRecord = {
      tsSec: 1591780863,
      tsFrac: 720289,
      fracDigits: 6,
      linkType: 1,
      iface: 0,
      origLen: 74,
      // Record 1 of the corpus capture tcpdump/dns_tcp.pcap (a TCP SYN with options).
      data: DNS_TCP_SYN,
    };
    const buf = new Uint8Array(FAST_LINE_MAX);
    const p = new TcpdumpPrinter({ number: true });
    const end = p.formatInto(rec, 1, buf, 0);
    // `TZ=GMT0 tcpdump -# -n -r` on that record (tcpdump 4.99.3), as in index.test.ts.
    expect(ascii(buf.subarray(0, end))).toBe(
      "    1  09:21:03.720289 IP 192.168.1.11.33779 > 209.87.249.18.53: Flags [S], seq 603899916, win 64240, options [mss 1460,sackOK,TS val 2044906138 ecr 0,nop,wscale 7], length 0\n",
    );
    expect(new TcpdumpPrinter({ number: true }).format(rec, 1)).toBe(ascii(buf.subarray(0, end)));
    for (const o of [
      { verbose: 1 },
      { linkHeader: true },
      { quick: true },
      { hex: 1 as const },
      { ascii: true },
    ]) {
      expect(new TcpdumpPrinter(o).formatInto(rec, 1, buf, 0)).toBe(-1);
    }
  });
});

describe("TcpSeqTable", () => {
  const v4Header = (src: number, dst: number): Uint8Array => {
    const h = new Uint8Array(20);
    h[0] = 0x45;
    h.set(be32(src), 12);
    h.set(be32(dst), 16);
    return h;
  };

  it("keeps every IPv4 conversation apart (thousands of them, so hash chains occur) and finds both directions", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(
            fc.nat(),
            fc.nat(),
            fc.integer({ min: 0, max: 0xffff }),
            fc.integer({ min: 0, max: 0xffff }),
          ),
          { minLength: 3000, maxLength: 3000, selector: (t) => t.join() },
        ),
        (convs) => {
          const table = new TcpSeqTable();
          convs.forEach(([s, d, sp, dp], i) => {
            table.set(v4Header(s, d), false, sp, dp, { seq: i, ack: -i });
          });
          convs.forEach(([s, d, sp, dp], i) => {
            expect(table.get(v4Header(s, d), false, sp, dp)).toMatchObject({ seq: i, ack: -i });
            // The reply direction keyed with rev = true is the same conversation.
            expect(table.get(v4Header(d, s), true, dp, sp)).toMatchObject({ seq: i, ack: -i });
          });
          // A SYN re-sets an existing entry in place.
          const [s, d, sp, dp] = convs[0];
          table.set(v4Header(s, d), false, sp, dp, { seq: 7, ack: 8 });
          expect(table.get(v4Header(s, d), false, sp, dp)).toMatchObject({ seq: 7, ack: 8 });
        },
      ),
      { numRuns: 3 },
    );
  });

  it("keeps IPv6 conversations apart from each other and from IPv4", () => {
    const v6Header = (last: number): Uint8Array => {
      const h = new Uint8Array(40);
      h[0] = 0x60;
      h[23] = last;
      h[39] = 1;
      return h;
    };
    const table = new TcpSeqTable();
    table.set(v6Header(1), false, 1, 2, { seq: 1, ack: 1 });
    table.set(v6Header(2), false, 1, 2, { seq: 2, ack: 2 });
    expect(table.get(v6Header(1), false, 1, 2)).toEqual({ seq: 1, ack: 1 });
    expect(table.get(v6Header(2), false, 1, 2)).toEqual({ seq: 2, ack: 2 });
    expect(table.get(v6Header(2), false, 2, 1)).toBeUndefined();
    expect(table.get(v4Header(1, 1), false, 1, 2)).toBeUndefined();
  });
});

describe("timestamps kept per second", () => {
  it("print as formatTimestamp does, on both paths, for any sequence of times", () => {
    // A well-formed ARP request (bytes built by hand after RFC 826), so both paths print the record.
    const arpFrame = Uint8Array.from([
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x06],
      ...[0, 1, 8, 0, 6, 4, 0, 1, 0, 1, 2, 3, 4, 5, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2],
    ]);
    const time = fc.record({
      sec: fc.oneof(
        fc.constantFrom(0, 1, 86399, 86400, -1, 0x7fffffff),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      ),
      frac: fc.oneof(fc.integer({ min: 0, max: 999999999 }), fc.constant(0xffffffff)),
      fracDigits: fc.constantFrom(6, 9),
    });
    const styles = fc.record({
      time: fc.constantFrom("time" as const, "datetime" as const),
      nano: fc.boolean(),
    });
    fc.assert(
      fc.property(styles, fc.array(time, { minLength: 1, maxLength: 8 }), (o, times) => {
        const fast = new TcpdumpPrinter({ ...o, number: false });
        const general = new TcpdumpPrinter({ ...o, number: false, verbose: 1 });
        const buf = new Uint8Array(FAST_LINE_MAX);
        for (const t of times) {
          const rec: CaptureRecord = {
            tsSec: t.sec,
            tsFrac: t.frac,
            fracDigits: t.fracDigits,
            linkType: 1,
            iface: 0,
            origLen: arpFrame.byteLength,
            data: arpFrame,
          };
          const want = `${formatTimestamp(t.sec, t.frac, t.fracDigits, o.time, o.nano)} `;
          expect(general.formatGeneral(rec, 1).startsWith(want)).toBe(true);
          const end = fast.formatInto(rec, 1, buf, 0);
          if (end >= 0) expect(ascii(buf.subarray(0, end)).startsWith(want)).toBe(true);
          else expect((t.sec & 0x80000000) !== 0).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("httpShown (txtproto_print's decision, without building token strings)", () => {
  // The string-building form this replaced (tcpdump's fetch_token + the two checks of
  // txtproto_print), kept here as the reference for the byte-level rewrite.
  // The command table is tcpdump's (print-http.c), shared with the code: the logic is what is checked.
  const CMDS = new Set(HTTP_CMDS);
  const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
  function fetchToken(b: Uint8Array, idx: number, len: number): [string, number] | null {
    let tok = "";
    for (; idx < len; idx++) {
      if (idx >= b.byteLength) return null;
      const c = b[idx];
      if (c >= 0x80) return null;
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
      if (!isPrint(c)) return null;
      if (tok.length + 2 > 128) return null;
      tok += String.fromCharCode(c);
    }
    if (tok === "") return null;
    for (; idx < len; idx++) {
      if (idx >= b.byteLength) break;
      const c = b[idx];
      if (c === 0x0d || c === 0x0a || !isPrint(c) || (c !== 0x20 && c !== 0x09)) break;
    }
    return [tok, idx];
  }
  function reference(b: Uint8Array, len: number): boolean {
    let show = false;
    let t = fetchToken(b, 0, len);
    if (t !== null) {
      if (CMDS.has(t[0].toUpperCase())) show = true;
      t = fetchToken(b, t[1], len);
      if (t !== null && /^[0-9]{3}$/.test(t[0])) show = true;
    }
    return show;
  }
  const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

  it("shows request and response lines, not other payloads", () => {
    expect(httpShown(text("GET / HTTP/1.1\r\n"), 16)).toBe(true);
    expect(httpShown(text("get\t/x"), 6)).toBe(true);
    expect(httpShown(text("HTTP/1.1 200 OK\r\n"), 17)).toBe(true);
    expect(httpShown(text("HTTP/1.1 20x OK"), 15)).toBe(false);
    expect(httpShown(text("GETS / HTTP/1.1"), 15)).toBe(false);
    expect(httpShown(Uint8Array.from([0x2f, 0x4e, 0x6d, 0x8c]), 4)).toBe(false);
    // The token must be captured: a cut payload ends it as "no token".
    expect(httpShown(text("GE"), 10)).toBe(false);
  });

  it("decides as the string-building form does, for any bytes and length", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "GET",
        "post",
        "HTTP/1.1",
        "200",
        "20",
        "2000",
        " ",
        "\t",
        "\r\n",
        "\n",
        "x",
        "BASELINE-CONTROL",
      ),
      fc.uint8Array({ maxLength: 3 }).map((b) => String.fromCharCode(...b)),
      fc.constant("a".repeat(130)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.integer({ min: -5, max: 5 }), (pieces, d) => {
        const b = text(pieces.join(""));
        const len = Math.max(0, b.byteLength + d);
        const want = reference(b, len);
        expect(httpShown(b, len)).toBe(want);
        // The same payload inside a larger array (the fast path passes the frame and offsets).
        const framed = new Uint8Array(b.byteLength + 9).fill(0x47);
        framed.set(b, 5);
        expect(httpShown(framed, len, 5, 5 + b.byteLength)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("putUint digit groups", () => {
  it("divides by 10^4 and 10^8 exactly with a multiplication, at every boundary below 2^32", () => {
    // fast.ts writes 4 digits per store and splits a number with (v * 0.0001) >>> 0 and
    // (v * 1e-8) >>> 0; both are monotonic in v, so agreeing with the division on both sides of every
    // multiple proves them equal everywhere below 2^32.
    let checked = 0;
    for (const [d, m] of [
      [10000, 0.0001],
      [100000000, 1e-8],
    ]) {
      for (let k = 0; k * d <= 0xffffffff + 1; k++) {
        for (const v of [k * d - 1, k * d]) {
          if (v < 0 || v > 0xffffffff) continue;
          checked++;
          if ((v * m) >>> 0 !== Math.floor(v / d)) expect.fail(`floor(${v} / ${d})`);
        }
      }
      expect((0xffffffff * m) >>> 0).toBe(Math.floor(0xffffffff / d));
    }
    expect(checked).toBeGreaterThan(850000);
  });

  it("is exact around every multiple of 10^4 and 10^8, and to 2^53", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 429496 }).map((k) => k * 10000),
          fc.integer({ min: 0, max: 42 }).map((k) => k * 100000000),
        ),
        fc.constantFrom(-1, 0, 1, 9999),
        (base, d) => {
          const v = Math.min(0xffffffff, Math.max(0, base + d));
          const buf = new Uint8Array(16);
          expect(ascii(buf.subarray(0, putUint(buf, 0, v)))).toBe(String(v));
        },
      ),
      { numRuns: 3000 },
    );
    for (const v of [4294967296, 2 ** 53 - 1]) {
      const buf = new Uint8Array(24);
      expect(ascii(buf.subarray(0, putUint(buf, 0, v)))).toBe(String(v));
    }
  });

  it("putUintZero pads to the width like %06u / %09u, and prints a wider value whole", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 9, 3),
        fc.oneof(fc.integer({ min: 0, max: 999999999 }), fc.nat(9999), fc.constant(0xffffffff)),
        (width, v) => {
          const buf = new Uint8Array(24);
          expect(ascii(buf.subarray(2, putUintZero(buf, 2, v, width)))).toBe(String(v).padStart(width, "0"));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("putUint digit pairs", () => {
  it("is exact around every multiple of 100 (where a quotient by multiplication could slip)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 42949672 }), fc.constantFrom(-1, 0, 1, 99), (k, d) => {
        const v = Math.min(0xffffffff, Math.max(0, k * 100 + d));
        const buf = new Uint8Array(16);
        expect(ascii(buf.subarray(0, putUint(buf, 0, v)))).toBe(String(v));
      }),
      { numRuns: 2000 },
    );
    for (const v of [
      0, 9, 10, 99, 100, 101, 999999, 1000000, 2147483647, 2147483648, 4294967200, 4294967295,
    ]) {
      const buf = new Uint8Array(16);
      expect(ascii(buf.subarray(0, putUint(buf, 0, v)))).toBe(String(v));
    }
  });
});
