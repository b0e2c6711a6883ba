import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, haveShared } from "../test/shared.js";
import { formatMac, type Mac } from "./addr.js";
import { WireError } from "./errors.js";
import {
  ETHERNET_HEADER_LEN,
  EthernetFrame,
  EtherType,
  emitEthernet,
  ethernetBufferLen,
  parseEthernet,
} from "./ethernet.js";

// Corpus libpcap/gateway_or_not.pcap, packet 1 (`tcpdump -xx`). `tcpdump -e` prints:
// "08:00:27:e5:28:d1 > aa:00:04:00:14:0e, ethertype IPv4 (0x0800), length 98".
const GW1 = corpusFrame("libpcap/gateway_or_not.pcap", 1);

describe.skipIf(!haveShared)("EthernetFrame (fixture: gateway_or_not.pcap #1)", () => {
  it("decodes what tcpdump -e prints", () => {
    expect(GW1.byteLength).toBe(98);
    const f = EthernetFrame.checked(GW1);
    expect(formatMac(f.src)).toBe("08:00:27:e5:28:d1");
    expect(formatMac(f.dst)).toBe("aa:00:04:00:14:0e");
    expect(f.etherType).toBe(EtherType.IPv4);
    expect(f.payload.byteLength).toBe(98 - 14);
    expect(f.payload[0]).toBe(0x45);
  });

  it("re-emits the header byte for byte into a 0xa5-filled buffer", () => {
    const r = parseEthernet(EthernetFrame.checked(GW1));
    const out = new Uint8Array(ethernetBufferLen(r, GW1.byteLength - 14)).fill(0xa5);
    emitEthernet(r, EthernetFrame.unchecked(out));
    out.set(GW1.subarray(14), 14);
    expect(out).toEqual(GW1);
  });

  it("payload is a zero-copy view, also over a sub-array with a byteOffset", () => {
    const big = new Uint8Array(GW1.byteLength + 7);
    big.set(GW1, 7);
    const sub = big.subarray(7);
    const f = EthernetFrame.checked(sub);
    expect(f.etherType).toBe(0x0800);
    expect(formatMac(f.src)).toBe("08:00:27:e5:28:d1");
    expect(f.payload.buffer).toBe(big.buffer);
    expect(f.payload.byteOffset).toBe(7 + 14);
  });

  it("parsing does not mutate the input", () => {
    const copy = GW1.slice();
    parseEthernet(EthernetFrame.checked(GW1));
    expect(GW1).toEqual(copy);
  });

  it("every truncation of the header is rejected with WireError truncated", () => {
    for (let n = 0; n < ETHERNET_HEADER_LEN; n++) {
      expect(() => EthernetFrame.checked(GW1.subarray(0, n))).toThrowError(WireError);
      try {
        EthernetFrame.checked(GW1.subarray(0, n));
      } catch (e) {
        expect((e as WireError).reason).toBe("truncated");
        expect((e as WireError).layer).toBe("ethernet");
      }
    }
    expect(EthernetFrame.checked(GW1.subarray(0, 14)).payload.byteLength).toBe(0);
  });
});

const macArb = fc.integer({ min: 0, max: 0xffff_ffff_ffff }).map((n) => n as Mac);

describe("Ethernet properties", () => {
  it("parse(emit(r)) == r", () => {
    fc.assert(
      fc.property(macArb, macArb, fc.integer({ min: 0, max: 0xffff }), (dst, src, etherType) => {
        const r = { dst, src, etherType };
        const b = new Uint8Array(ethernetBufferLen(r, 0)).fill(0xa5);
        emitEthernet(r, EthernetFrame.unchecked(b));
        expect(parseEthernet(EthernetFrame.checked(b))).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary bytes parse or throw WireError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          const r = parseEthernet(EthernetFrame.checked(b));
          expect(b.byteLength).toBeGreaterThanOrEqual(14);
          expect(r.etherType).toBe((b[12] << 8) | b[13]);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
