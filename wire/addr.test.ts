import fc from "fast-check";
import { Address4, Address6 } from "ip-address";
import { describe, expect, it } from "vitest";
import {
  formatIpv4,
  formatIpv4Bytes,
  formatIpv6,
  formatIpv6Bytes,
  formatMac,
  formatMacBytes,
  type Ipv4,
  type Ipv6,
  isMulticastMac,
  MAC_BROADCAST,
  type Mac,
  parseIpv4Address,
  parseIpv6Address,
  parseMac,
  readIpv4,
  readIpv6,
  readMac,
  writeIpv4,
  writeIpv6,
  writeMac,
} from "./addr.js";
import { WireError } from "./errors.js";

const groupsToBytes = (g: number[]): Uint8Array => {
  const b = new Uint8Array(16);
  g.forEach((v, i) => {
    b[2 * i] = v >>> 8;
    b[2 * i + 1] = v & 0xff;
  });
  return b;
};

/** Groups biased towards zero runs, so `::` compression is exercised. */
const groupsArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});

/** The forms where inet_ntop prints an embedded IPv4 address (and ip-address's correctForm does not). */
const isEmbeddedV4Form = (g: number[]): boolean =>
  g.slice(0, 5).every((x) => x === 0) && (g[5] === 0 || g[5] === 0xffff);

describe("formatIpv6Bytes", () => {
  it("matches ip-address correctForm() (RFC 5952) outside the embedded-IPv4 forms", () => {
    fc.assert(
      fc.property(groupsArb, (g) => {
        fc.pre(!isEmbeddedV4Form(g));
        const b = groupsToBytes(g);
        const text = g.map((x) => x.toString(16)).join(":");
        expect(formatIpv6Bytes(b, 0)).toBe(new Address6(text).correctForm());
      }),
      { numRuns: 1000 },
    );
  });

  // Expected strings: glibc inet_ntop(3), checked here with python3 socket.inet_ntop (what tcpdump prints).
  it.each([
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::1", "fe80::1"],
    ["::ffff:0:1", "::ffff:0.0.0.1"],
    ["0:0:0:0:0:1:0:0", "::1:0:0"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ])("%s prints as %s", (input, expected) => {
    const a = parseIpv6Address(input);
    expect(formatIpv6(a)).toBe(expected);
    const b = new Uint8Array(20).fill(0xa5);
    writeIpv6(b, 3, a);
    expect(formatIpv6Bytes(b, 3)).toBe(expected);
  });

  it("corpus addresses print as tcpdump printed them (gateway_or_not, ipv6-routing-header .out)", () => {
    // Bytes from the -xx dumps of those packets; text from the .out files.
    expect(
      formatIpv6Bytes(Uint8Array.from([0xfd, 0, 0xe5, 0xf6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf3]), 0),
    ).toBe("fd00:e5f6::f3");
    expect(
      formatIpv6Bytes(
        Uint8Array.from([0x22, 0, 0, 0, 0, 0, 0x02, 0x44, 0x02, 0x12, 0x3f, 0xff, 0xfe, 0xae, 0x22, 0xf7]),
        0,
      ),
    ).toBe("2200::244:212:3fff:feae:22f7");
  });
});

describe("IPv6 values", () => {
  it("read/write round trip and parse(format(a)) == a", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        const a = v as Ipv6;
        const b = new Uint8Array(18);
        writeIpv6(b, 1, a);
        expect(readIpv6(b, 1)).toBe(a);
        expect(parseIpv6Address(formatIpv6(a))).toBe(a);
        expect(new Address6(formatIpv6(a)).bigInt()).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects non-addresses and prefixes with WireError", () => {
    for (const s of ["", "1:2:3", "fe80::1/64", "g::1", "1.2.3.4"]) {
      expect(() => parseIpv6Address(s)).toThrowError(WireError);
    }
  });
});

describe("IPv4 values", () => {
  it("read/write/format/parse agree with ip-address", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        const a = n as Ipv4;
        const b = new Uint8Array(6);
        writeIpv4(b, 2, a);
        expect(readIpv4(b, 2)).toBe(a);
        const s = formatIpv4(a);
        expect(formatIpv4Bytes(b, 2)).toBe(s);
        expect(s).toBe(Address4.fromBigInt(BigInt(n)).correctForm());
        expect(parseIpv4Address(s)).toBe(a);
      }),
      { numRuns: 500 },
    );
  });

  it("fixtures", () => {
    expect(parseIpv4Address("10.20.30.41")).toBe(0x0a141e29);
    expect(formatIpv4(0xffffffff as Ipv4)).toBe("255.255.255.255");
    expect(formatIpv4(0 as Ipv4)).toBe("0.0.0.0");
    for (const s of ["", "1.2.3", "256.1.1.1", "1.2.3.4/24", "::1"]) {
      expect(() => parseIpv4Address(s)).toThrowError(WireError);
    }
  });
});

describe("MAC values", () => {
  it("parse(format(m)) == m, and read/write round trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff_ffff }), (n) => {
        const m = n as Mac;
        const s = formatMac(m);
        expect(s).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(parseMac(s)).toBe(m);
        expect(parseMac(s.toUpperCase().replaceAll(":", "-"))).toBe(m);
        const b = new Uint8Array(8);
        writeMac(b, 1, m);
        expect(readMac(b, 1)).toBe(m);
        expect(formatMacBytes(b, 1)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it("fixtures (tcpdump -e text of gateway_or_not.pcap #1)", () => {
    const b = Uint8Array.from([0xaa, 0x00, 0x04, 0x00, 0x14, 0x0e, 0x08, 0x00, 0x27, 0xe5, 0x28, 0xd1]);
    expect(formatMac(readMac(b, 0))).toBe("aa:00:04:00:14:0e");
    expect(formatMac(readMac(b, 6))).toBe("08:00:27:e5:28:d1");
    expect(parseMac("0:1:2:a:b:c")).toBe(0x0001_020a_0b0c);
    expect(formatMac(MAC_BROADCAST)).toBe("ff:ff:ff:ff:ff:ff");
    expect(isMulticastMac(parseMac("33:33:00:00:00:16"))).toBe(true);
    expect(isMulticastMac(parseMac("01:00:5e:00:00:01"))).toBe(true);
    expect(isMulticastMac(parseMac("aa:00:04:00:14:0e"))).toBe(false);
    expect(isMulticastMac(MAC_BROADCAST)).toBe(true);
    for (const s of ["", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "gg:00:00:00:00:00", "aaa:0:0:0:0:0"]) {
      expect(() => parseMac(s)).toThrowError(WireError);
    }
  });
});
