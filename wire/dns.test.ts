import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkType } from "../captures/record.js";
import { corpusFrame, corpusPath, corpusRecords, haveShared } from "../test/shared.js";
import { expectEveryTruncationRejected, hex, parsesOrWireError } from "../test/wire-helpers.js";
import { formatIpv4, formatIpv6, type Ipv4, type Ipv6, parseIpv4Address } from "./addr.js";
import {
  DNS_MAX_POINTER_JUMPS,
  DnsClass,
  DnsPacket,
  DnsRcode,
  type DnsRData,
  type DnsRecord,
  type DnsRepr,
  DnsType,
  decodeDns,
  decodeNameList,
  dnsBufferLen,
  dnsQuery,
  dnsRecord,
  dnsResponse,
  EdnsOptionCode,
  ednsInfo,
  emitDns,
  encodeDns,
  encodeName,
  encodeNameList,
  frameDnsTcp,
  labelsToName,
  nameToLabels,
  optRecord,
  parseDns,
  readName,
  splitDnsTcp,
} from "./dns.js";
import { WireError } from "./errors.js";

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

// Corpus tcpdump/dns_udp.pcap, packet 1, UDP payload (`tcpdump -xx`, after 14+20+8 bytes).
// tcpdump -vv: "22836+ [1au] A? www.tcpdump.org. ar: . OPT UDPsize=4096 [COOKIE 42f5d00996f90b13] (56)"
const UDP1 = corpusFrame("tcpdump/dns_udp.pcap", 1, 42);

// Corpus tcpdump/dns_udp.pcap, packet 2, UDP payload. tcpdump -vv:
// "22836*- q: A? www.tcpdump.org. 2/2/5 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. A 198.199.88.104
//  ns: tcpdump.org. NS sns.cooperix.net., tcpdump.org. NS nic.sandelman.ca. ar: nic.sandelman.ca. A
//  209.87.249.18, nic.sandelman.ca. AAAA 2607:f0b0:f::babe:f00d, sns.cooperix.net. A 97.107.133.15,
//  sns.cooperix.net. AAAA 2600:3c03::f03c:91ff:fe96:e8ef, . OPT UDPsize=4096 (224)"
const UDP2 = corpusFrame("tcpdump/dns_udp.pcap", 2, 42);

// Corpus tcpdump/dns_tcp.pcap, packet 4, TCP payload (2-byte length prefix 0x0038 = 56, then the message).
// tcpdump -v: "length 58 17177+ [1au] A? www.tcpdump.org. (56)"
const TCP4 = corpusFrame("tcpdump/dns_tcp.pcap", 4, 54);

// Corpus tcpdump/dns_tcp.pcap, packet 6, TCP payload (prefix 0x00e0 = 224).
// tcpdump -v: "length 226 17177*- 2/2/5 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. A 198.199.88.104 (224)"
const TCP6 = corpusFrame("tcpdump/dns_tcp.pcap", 6, 54);

// Built by hand (Python struct, independent of this code) with compression pointers to offset 12, put
// in a pcap and checked with Debian's tcpdump 4.99.3 (`tcpdump -n -vv`) and tshark 4.0.17 (`-V -O dns`).
// tcpdump -vv: "48879* q: ANY? example.org. 6/1/0 www.example.org. CNAME example.org., example.org. MX
//  mail.example.org. 10, example.org. TXT "hello world" "" "a.b\c", _sip._udp.example.org. SRV
//  sip.example.org.:5060 1 5, 66.2.0.10.in-addr.arpa. PTR host.example.org., example.org. HINFO ns:
//  example.org. SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 3600 1209600 300 (258)"
// tshark adds: TTLs 300/3600/60/86400/7200/10/3600, HINFO CPU "x86" OS "linux", flags 0x8580 (RA set).
const MIX = hex(`
  beef85800001000600010000076578616d706c65036f72670000ff000103777777c00c000500010000012c0002c00c
  c00c000f000100000e100009000a046d61696cc00cc00c001000010000003c00130b68656c6c6f20776f726c640005
  612e625c63045f736970045f756470c00c002100010001518000170001000513c403736970076578616d706c65036f
  7267000236360132013002313007696e2d61646472046172706100000c000100001c20000704686f7374c00cc00c00
  0d00010000000a000a03783836056c696e7578c00c0006000100000e100027036e7331c00c0a686f73746d61737465
  72c00c78a3f17500001c2000000e10001275000000012c`);

const A = (r: DnsRecord): string =>
  r.data.kind === "A" ? formatIpv4(r.data.address) : `not A: ${r.data.kind}`;
const AAAA = (r: DnsRecord): string =>
  r.data.kind === "AAAA" ? formatIpv6(r.data.address) : `not AAAA: ${r.data.kind}`;

describe.skipIf(!haveShared)("DNS fixtures from the corpus (dns_udp.pcap, dns_tcp.pcap)", () => {
  it("decodes dns_udp #1 as tcpdump -vv prints it", () => {
    const p = DnsPacket.checked(UDP1);
    expect(p.id).toBe(22836);
    expect(p.qdcount).toBe(1);
    expect(p.arcount).toBe(1);
    const r = parseDns(p);
    expect(r.qr).toBe(false);
    expect(r.opcode).toBe(0);
    expect(r.rd).toBe(true); // "+"
    expect(r.ad).toBe(true); // flags 0x0120: AD set (tcpdump does not print it for queries)
    expect(r.questions).toEqual([{ name: "www.tcpdump.org", type: DnsType.A, class: DnsClass.IN }]);
    expect(r.answers).toEqual([]);
    expect(r.additionals).toHaveLength(1); // [1au]
    const e = ednsInfo(r)!;
    expect(r.additionals[0].name).toBe(".");
    expect(e.udpPayloadSize).toBe(4096);
    expect(e.version).toBe(0);
    expect(e.dnssecOk).toBe(false);
    expect(e.options).toHaveLength(1);
    expect(e.options[0].code).toBe(EdnsOptionCode.Cookie);
    expect(e.options[0].data).toEqual(hex("42f5d00996f90b13"));
  });

  it("decodes dns_udp #2 as tcpdump -vv prints it", () => {
    const r = decodeDns(UDP2);
    expect(r.id).toBe(22836);
    expect([r.qr, r.aa, r.ra, r.rd, r.tc]).toEqual([true, true, false, true, false]); // "*-"
    expect(r.rcode).toBe(DnsRcode.NoError);
    expect(r.questions).toEqual([{ name: "www.tcpdump.org", type: DnsType.A, class: DnsClass.IN }]);
    expect([r.answers.length, r.authorities.length, r.additionals.length]).toEqual([2, 2, 5]);
    expect(r.answers.map((x) => `${x.name}. A ${A(x)}`)).toEqual([
      "www.tcpdump.org. A 192.139.46.66",
      "www.tcpdump.org. A 198.199.88.104",
    ]);
    expect(r.authorities.map((x) => (x.data.kind === "NS" ? `${x.name}. NS ${x.data.name}.` : "?"))).toEqual([
      "tcpdump.org. NS sns.cooperix.net.",
      "tcpdump.org. NS nic.sandelman.ca.",
    ]);
    const ar = r.additionals;
    expect(`${ar[0].name}. A ${A(ar[0])}`).toBe("nic.sandelman.ca. A 209.87.249.18");
    expect(`${ar[1].name}. AAAA ${AAAA(ar[1])}`).toBe("nic.sandelman.ca. AAAA 2607:f0b0:f::babe:f00d");
    expect(`${ar[2].name}. A ${A(ar[2])}`).toBe("sns.cooperix.net. A 97.107.133.15");
    expect(`${ar[3].name}. AAAA ${AAAA(ar[3])}`).toBe(
      "sns.cooperix.net. AAAA 2600:3c03::f03c:91ff:fe96:e8ef",
    );
    expect(ar[4]).toEqual({
      name: ".",
      type: DnsType.OPT,
      class: 4096,
      ttl: 0,
      data: { kind: "OPT", options: [] },
    });
    // TTLs straight from the bytes (60, 86400, 300, 7200).
    expect([r.answers[0].ttl, r.authorities[0].ttl, ar[0].ttl, ar[2].ttl]).toEqual([60, 86400, 300, 7200]);
  });

  it("re-emits both dns_udp messages byte for byte (same compression)", () => {
    for (const m of [UDP1, UDP2]) {
      const r = decodeDns(m);
      expect(dnsBufferLen(r)).toBe(m.byteLength);
      const out = new Uint8Array(m.byteLength).fill(0xa5);
      emitDns(r, DnsPacket.unchecked(out));
      expect(out).toEqual(m);
    }
  });

  it("uncompressed emission decodes to the same repr and is longer", () => {
    const r = decodeDns(UDP2);
    const plain = encodeDns(r, { compress: false });
    expect(plain.byteLength).toBeGreaterThan(UDP2.byteLength);
    expect(decodeDns(plain)).toEqual(r);
  });

  it("builds dns_udp #1 from the builders", () => {
    const cookie = { code: EdnsOptionCode.Cookie, data: hex("42f5d00996f90b13") };
    const q = dnsQuery({
      id: 22836,
      name: "www.tcpdump.org",
      type: DnsType.A,
      additionals: [optRecord({ udpPayloadSize: 4096, options: [cookie] })],
    });
    expect(encodeDns({ ...q, ad: true })).toEqual(UDP1);
  });

  it("builds the answer section of dns_udp #2 with dnsRecord/dnsResponse", () => {
    const q = decodeDns(UDP1);
    const resp = dnsResponse(
      { ...q, additionals: [] },
      {
        aa: true,
        ra: false,
        answers: [
          dnsRecord("www.tcpdump.org", 60, { kind: "A", address: parseIpv4Address("192.139.46.66") }),
          dnsRecord("www.tcpdump.org", 60, { kind: "A", address: parseIpv4Address("198.199.88.104") }),
        ],
      },
    );
    const r2 = decodeDns(UDP2);
    expect(resp.answers).toEqual(r2.answers);
    expect(resp.id).toBe(r2.id);
    expect(resp.qr && resp.aa && !resp.ra && resp.rd).toBe(true);
  });

  it("splits the dns_tcp stream (#4, #6) into messages and re-frames them", () => {
    const s4 = splitDnsTcp(TCP4);
    expect(s4.messages).toHaveLength(1);
    expect(s4.rest.byteLength).toBe(0);
    expect(s4.messages[0].byteLength).toBe(56);
    const q = decodeDns(s4.messages[0]);
    expect(q.id).toBe(17177);
    expect(q.rd).toBe(true);
    expect(q.questions).toEqual([{ name: "www.tcpdump.org", type: DnsType.A, class: DnsClass.IN }]);
    expect(q.additionals).toHaveLength(1); // [1au]
    const r = decodeDns(splitDnsTcp(TCP6).messages[0]);
    expect(r.id).toBe(17177);
    expect([r.aa, r.ra]).toEqual([true, false]); // "*-"
    expect([r.answers.length, r.authorities.length, r.additionals.length]).toEqual([2, 2, 5]); // 2/2/5
    expect(r.answers.map(A)).toEqual(["192.139.46.66", "198.199.88.104"]);
    expect(frameDnsTcp(encodeDns(q))).toEqual(TCP4);
    expect(frameDnsTcp(encodeDns(r))).toEqual(TCP6);
  });

  it("reassembles the TCP stream whatever the segment boundaries", () => {
    const stream = new Uint8Array([...TCP4, ...TCP6]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.byteLength - 1 }), { maxLength: 6 }),
        (cuts) => {
          const bounds = [0, ...cuts.sort((a, b) => a - b), stream.byteLength];
          let pending: Uint8Array = new Uint8Array(0);
          const got: Uint8Array[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) {
            const buf = new Uint8Array([...pending, ...stream.subarray(bounds[i], bounds[i + 1])]);
            const s = splitDnsTcp(buf);
            got.push(...s.messages);
            pending = s.rest;
          }
          expect(pending.byteLength).toBe(0);
          expect(got).toEqual([TCP4.subarray(2), TCP6.subarray(2)]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("DNS fixtures from the corpus (dns_udp.pcap, dns_tcp.pcap)", () => {
  it("refuses to frame a message over 65535 bytes", () => {
    expect(() => frameDnsTcp(new Uint8Array(65536))).toThrow(WireError);
  });
});

describe("DNS record types (hand-built fixture checked with tcpdump and tshark)", () => {
  it("decodes every record as tcpdump -vv / tshark print it", () => {
    const r = decodeDns(MIX);
    expect(r.id).toBe(48879);
    expect([r.qr, r.aa, r.rd, r.ra]).toEqual([true, true, true, true]);
    expect(r.questions).toEqual([{ name: "example.org", type: DnsType.ANY, class: DnsClass.IN }]);
    const [cname, mx, txt, srv, ptr, hinfo] = r.answers;
    expect(cname).toEqual({
      name: "www.example.org",
      type: 5,
      class: 1,
      ttl: 300,
      data: { kind: "CNAME", name: "example.org" },
    });
    expect(mx.data).toEqual({ kind: "MX", preference: 10, exchange: "mail.example.org" });
    expect(mx.ttl).toBe(3600);
    expect(txt.data.kind === "TXT" && txt.data.strings.map(ascii)).toEqual(["hello world", "", "a.b\\c"]);
    expect(srv.name).toBe("_sip._udp.example.org");
    expect(srv.data).toEqual({ kind: "SRV", priority: 1, weight: 5, port: 5060, target: "sip.example.org" });
    expect(ptr.name).toBe("66.2.0.10.in-addr.arpa");
    expect(ptr.data).toEqual({ kind: "PTR", name: "host.example.org" });
    expect(hinfo.type).toBe(13);
    expect(hinfo.data).toEqual({ kind: "raw", bytes: hex("03783836056c696e7578") }); // CPU "x86", OS "linux"
    expect(r.authorities).toHaveLength(1);
    expect(r.authorities[0].data).toEqual({
      kind: "SOA",
      mname: "ns1.example.org",
      rname: "hostmaster.example.org",
      serial: 2024010101,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 300,
    });
  });

  it("re-emits it byte for byte (pointers where the fixture has them, none in SRV)", () => {
    expect(encodeDns(decodeDns(MIX))).toEqual(MIX);
  });

  it("refuses rdata of the wrong size or a kind that does not match the type", () => {
    const r = decodeDns(MIX);
    const bad: DnsRepr = { ...r, answers: [{ ...r.answers[0], type: DnsType.MX }] };
    expect(() => encodeDns(bad)).toThrow(WireError);
    // An A record with rdlength 5.
    const a = encodeDns(
      dnsResponse(dnsQuery({ id: 1, name: "a", type: 1 }), {
        answers: [{ name: "a", type: 99, class: 1, ttl: 0, data: { kind: "raw", bytes: hex("0102030405") } }],
      }),
    );
    const rdTypeAt = a.byteLength - 15; // name "a" is a pointer (2) + type(2) class(2) ttl(4) rdlen(2) + 5
    expect(a[rdTypeAt + 1]).toBe(99);
    a[rdTypeAt + 1] = 1;
    expect(() => decodeDns(a)).toThrow(WireError);
  });
});

describe("DNS names", () => {
  it("formats odd bytes as RFC 1035 escapes and parses them back", () => {
    const labels = [
      Uint8Array.of(0x61, 0x2e, 0x62),
      Uint8Array.of(0x5c, 0x20, 0x00, 0xff),
      Uint8Array.of(0x63),
    ];
    const s = labelsToName(labels);
    expect(s).toBe("a\\.b.\\\\\\032\\000\\255.c");
    expect(nameToLabels(s)).toEqual(labels);
    expect(nameToLabels("www.example.org.")).toEqual(nameToLabels("www.example.org"));
    expect(nameToLabels(".")).toEqual([]);
    expect(labelsToName([])).toBe(".");
    expect(nameToLabels("a\\.")).toEqual([Uint8Array.of(0x61, 0x2e)]);
    expect(nameToLabels("\\Ab")).toEqual([Uint8Array.of(0x41, 0x62)]);
    expect(nameToLabels("é")).toEqual([Uint8Array.of(0xc3, 0xa9)]); // UTF-8
  });

  it("rejects empty labels, long labels, long names and bad escapes", () => {
    for (const bad of ["a..b", ".a", "a\\", "\\256", "x".repeat(64), `${"a".repeat(63)}.`.repeat(4)]) {
      expect(() => nameToLabels(bad), bad).toThrow(WireError);
    }
    expect(nameToLabels(`${"a".repeat(63)}.`.repeat(3) + "a".repeat(61))).toHaveLength(4); // exactly 255
  });

  const msgWithName = (nameBytes: number[]): Uint8Array =>
    hex(`000001000001000000000000${Buffer.from(nameBytes).toString("hex")}00010001`);

  it("rejects a self-pointer", () => {
    const m = msgWithName([0xc0, 0x0c]);
    expect(() => decodeDns(m)).toThrow(/compression pointer to 12 does not point before 12/);
  });

  it("rejects a forward pointer", () => {
    const m = msgWithName([0xc0, 0x10, 0x00, 0x00, 0x00]);
    expect(() => decodeDns(m)).toThrow(WireError);
    expect(() => readName(m, 12)).toThrow(/does not point before/);
  });

  it("rejects a pointer beyond the message", () => {
    expect(() => readName(msgWithName([0xff, 0xff]), 12)).toThrow(WireError);
  });

  it("rejects a two-pointer cycle and a label-then-pointer-back loop", () => {
    // 12: -> 14, 14: -> 12 (the first one already points forward)
    expect(() => decodeDns(msgWithName([0xc0, 0x0e, 0xc0, 0x0c]))).toThrow(WireError);
    // reading at 14: -> 12 (backwards, fine), 12: -> 14 (not before 12): a cycle, refused
    expect(() => readName(msgWithName([0xc0, 0x0e, 0xc0, 0x0c]), 14)).toThrow(/does not point before 12/);
    // 12: "a", 14: -> 12. Each jump looks backwards from where it sits, yet it would loop forever.
    expect(() => decodeDns(msgWithName([0x01, 0x61, 0xc0, 0x0c]))).toThrow(/does not point before 12/);
  });

  it("bounds the number of jumps", () => {
    // A chain of pointers, each pointing to the previous one, ending at a root label at 0.
    const chain = (n: number): Uint8Array => {
      const b = new Uint8Array(2 + 2 * n);
      for (let i = 1; i <= n; i++) {
        b[2 * i] = 0xc0;
        b[2 * i + 1] = 2 * (i - 1);
      }
      return b;
    };
    const ok = chain(DNS_MAX_POINTER_JUMPS);
    expect(readName(ok, ok.byteLength - 2)).toEqual({ name: ".", end: ok.byteLength });
    const tooMany = chain(DNS_MAX_POINTER_JUMPS + 1);
    expect(() => readName(tooMany, tooMany.byteLength - 2)).toThrow(/compression jumps/);
  });

  it("rejects names over 255 bytes, also when assembled through a pointer", () => {
    const l63 = [63, ...new Array(63).fill(0x61)];
    // 12: three 63-byte labels + root (193 bytes); then a name: one 63-byte label + pointer to 12.
    const m = hex(
      `000001000002000000000000${Buffer.from([...l63, ...l63, ...l63, 0, 0, 1, 0, 1, ...l63, 0xc0, 0x0c, 0, 1, 0, 1]).toString("hex")}`,
    );
    expect(readName(m, 12).name).toHaveLength(63 * 3 + 2);
    expect(() => decodeDns(m)).toThrow(/longer than 255/);
  });

  it("rejects the reserved label types 0x40 and 0x80", () => {
    expect(() => decodeDns(msgWithName([0x41, 0x00]))).toThrow(
      expect.objectContaining({ reason: "unsupported" }),
    );
    expect(() => decodeDns(msgWithName([0x81, 0x00]))).toThrow(
      expect.objectContaining({ reason: "unsupported" }),
    );
  });

  it("encodes and decodes a compressed name list (RFC 3397 example, §3)", () => {
    // RFC 3397 §3: "eng.apple.com." and "marketing.apple.com." -> the second is "marketing" + pointer to 4.
    const wire = hex("03 65 6e 67 05 61 70 70 6c 65 03 63 6f 6d 00 09 6d 61 72 6b 65 74 69 6e 67 c0 04");
    expect(encodeNameList(["eng.apple.com", "marketing.apple.com"])).toEqual(wire);
    expect(decodeNameList(wire)).toEqual(["eng.apple.com", "marketing.apple.com"]);
  });
});

describe.skipIf(!haveShared)("DNS names", () => {
  it("encodes a name without compression", () => {
    expect(encodeName("www.tcpdump.org")).toEqual(UDP1.subarray(12, 29)); // the question name in dns_udp #1
    expect(encodeName(".")).toEqual(Uint8Array.of(0));
  });

  it("reads names through pointers (dns_udp #2)", () => {
    // 12: the question name; 33: answer 1 owner c00c; 65: authority 1 owner c010 (-> "tcpdump.org" inside
    // the question); 77: its rdata "sns.cooperix.net" (18 bytes, uncompressed).
    expect(readName(UDP2, 12)).toEqual({ name: "www.tcpdump.org", end: 29 });
    expect(readName(UDP2, 33).name).toBe("www.tcpdump.org"); // c00c
    expect(readName(UDP2, 65)).toEqual({ name: "tcpdump.org", end: 67 });
    expect(readName(UDP2, 77)).toEqual({ name: "sns.cooperix.net", end: 95 });
  });
});

// ------------------------------------------------------------------------------------------
// Properties.

const label = fc.oneof(
  fc
    .constantFrom("a", "b", "www", "example", "org", "_tcp", "xn--bcher-kva")
    .map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ minLength: 1, maxLength: 20 }),
);
const nameArb = fc.array(label, { maxLength: 5 }).map(labelsToName);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const known = new Set<number>(Object.values(DnsType));

const rdataArb: fc.Arbitrary<[number, DnsRData]> = fc.oneof(
  u32.map((a): [number, DnsRData] => [DnsType.A, { kind: "A", address: a as Ipv4 }]),
  fc
    .bigInt({ min: 0n, max: (1n << 128n) - 1n })
    .map((a): [number, DnsRData] => [DnsType.AAAA, { kind: "AAAA", address: a as Ipv6 }]),
  fc
    .tuple(fc.constantFrom("NS", "CNAME", "PTR") as fc.Arbitrary<"NS" | "CNAME" | "PTR">, nameArb)
    .map(([kind, name]): [number, DnsRData] => [DnsType[kind], { kind, name }]),
  fc
    .tuple(u16, nameArb)
    .map(([preference, exchange]): [number, DnsRData] => [DnsType.MX, { kind: "MX", preference, exchange }]),
  fc
    .array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 })
    .map((strings): [number, DnsRData] => [DnsType.TXT, { kind: "TXT", strings }]),
  fc
    .tuple(nameArb, nameArb, u32, u32, u32, u32, u32)
    .map(([mname, rname, serial, refresh, retry, expire, minimum]): [number, DnsRData] => [
      DnsType.SOA,
      { kind: "SOA", mname, rname, serial, refresh, retry, expire, minimum },
    ]),
  fc
    .tuple(u16, u16, u16, nameArb)
    .map(([priority, weight, port, target]): [number, DnsRData] => [
      DnsType.SRV,
      { kind: "SRV", priority, weight, port, target },
    ]),
  fc
    .array(fc.record({ code: u16, data: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 3 })
    .map((options): [number, DnsRData] => [DnsType.OPT, { kind: "OPT", options }]),
  fc
    .tuple(
      u16.filter((t) => !known.has(t)),
      fc.uint8Array({ maxLength: 30 }),
    )
    .map(([t, bytes]): [number, DnsRData] => [t, { kind: "raw", bytes }]),
);
const recordArb: fc.Arbitrary<DnsRecord> = fc
  .tuple(nameArb, rdataArb, u16, u32)
  .map(([name, [type, data], cls, ttl]) => ({ name, type, class: cls, ttl, data }));
const reprArb: fc.Arbitrary<DnsRepr> = fc.record({
  id: u16,
  qr: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  aa: fc.boolean(),
  tc: fc.boolean(),
  rd: fc.boolean(),
  ra: fc.boolean(),
  z: fc.boolean(),
  ad: fc.boolean(),
  cd: fc.boolean(),
  rcode: fc.integer({ min: 0, max: 15 }),
  questions: fc.array(fc.record({ name: nameArb, type: u16, class: u16 }), { maxLength: 3 }),
  answers: fc.array(recordArb, { maxLength: 4 }),
  authorities: fc.array(recordArb, { maxLength: 3 }),
  additionals: fc.array(recordArb, { maxLength: 3 }),
});

describe("DNS properties", () => {
  it("parse(emit(r)) == r, with and without compression", () => {
    fc.assert(
      fc.property(reprArb, fc.boolean(), (r, compress) => {
        const b = encodeDns(r, { compress });
        expect(decodeDns(b)).toEqual(r);
        expect(dnsBufferLen(r, { compress })).toBe(b.byteLength);
      }),
      { numRuns: 500 },
    );
  });

  it("compression never makes a message longer", () => {
    fc.assert(
      fc.property(reprArb, (r) => {
        expect(encodeDns(r).byteLength).toBeLessThanOrEqual(encodeDns(r, { compress: false }).byteLength);
      }),
      { numRuns: 200 },
    );
  });

  it("arbitrary bytes parse or throw WireError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => parsesOrWireError(() => decodeDns(b))),
      { numRuns: 1000 },
    );
  });
});

describe.skipIf(!haveShared)("DNS properties", () => {
  it("every truncation of a valid message is rejected", () => {
    for (const m of [UDP1, UDP2, MIX, TCP6.subarray(2)]) {
      expectEveryTruncationRejected(m, (b) => decodeDns(b));
    }
    fc.assert(
      fc.property(reprArb, fc.nat(), (r, k) => {
        const b = encodeDns(r);
        const n = k % b.byteLength;
        expect(() => decodeDns(b.subarray(0, n))).toThrow(WireError);
      }),
      { numRuns: 500 },
    );
  });

  it("mutated real messages parse or throw WireError (pointers included), and the input is not written", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(UDP1, UDP2, MIX),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (m, edits) => {
          const b = m.slice();
          for (const [i, v] of edits) b[i % b.byteLength] = v;
          const copy = b.slice();
          parsesOrWireError(() => encodeDns(decodeDns(b)));
          expect(b).toEqual(copy);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("the same decoder keeps working after a failure", () => {
    expect(() => decodeDns(UDP2.subarray(0, 100))).toThrow(WireError);
    expect(decodeDns(UDP2).answers).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------
// Every DNS message in the corpus captures (read from the pcap files themselves).

/** Transport payloads of Ethernet/IPv4 UDP or TCP packets with port 53, from a corpus capture. */
function port53Payloads(file: string): { udp: Uint8Array[]; tcp: Uint8Array[] } {
  const udp: Uint8Array[] = [];
  const tcp: Uint8Array[] = [];
  for (const { linkType, data: fr } of corpusRecords(file)) {
    expect(linkType).toBe(LinkType.ETHERNET);
    if (((fr[12] << 8) | fr[13]) !== 0x0800) continue;
    const ihl = (fr[14] & 15) * 4;
    const ipEnd = 14 + ((fr[16] << 8) | fr[17]);
    const l4 = 14 + ihl;
    const sport = (fr[l4] << 8) | fr[l4 + 1];
    const dport = (fr[l4 + 2] << 8) | fr[l4 + 3];
    if (sport !== 53 && dport !== 53) continue;
    if (fr[23] === 17) udp.push(fr.subarray(l4 + 8, ipEnd));
    if (fr[23] === 6) {
      const pl = fr.subarray(l4 + (fr[l4 + 12] >> 4) * 4, ipEnd);
      if (pl.byteLength > 0) tcp.push(pl);
    }
  }
  return { udp, tcp };
}

describe.skipIf(!haveShared)("DNS corpus captures", () => {
  it("the pasted fixtures are the capture's bytes", () => {
    expect(port53Payloads("tcpdump/dns_udp.pcap").udp).toEqual([UDP1, UDP2]);
    expect(port53Payloads("tcpdump/dns_tcp.pcap").tcp).toEqual([TCP4, TCP6]);
  });

  it("every DNS message in the tcpdump corpus files named dns*.pcap decodes and re-emits byte for byte", () => {
    let n = 0;
    for (const name of readdirSync(corpusPath("tcpdump"))) {
      if (!/^dns.*\.pcap$/.test(name)) continue;
      const { udp, tcp } = port53Payloads(`tcpdump/${name}`);
      const msgs = [...udp, ...tcp.flatMap((s) => splitDnsTcp(s).messages)];
      for (const m of msgs) {
        expect(encodeDns(decodeDns(m))).toEqual(m);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(4);
  });
});
