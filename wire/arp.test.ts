import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, corpusRecords, haveShared } from "../test/shared.js";
import { formatIpv4, formatIpv4Bytes, formatMac, formatMacBytes, type Ipv4, type Mac } from "./addr.js";
import {
  ARP_ETH_IPV4_LEN,
  ArpHardware,
  ArpOperation,
  ArpPacket,
  arpBufferLen,
  emitArp,
  parseArp,
} from "./arp.js";
import { WireError } from "./errors.js";
import { EthernetFrame, EtherType } from "./ethernet.js";
import { walkVlanTags } from "./vlan.js";

// libpcap/gateway_or_not.pcap #9: "ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.20.30.40
// tell 10.20.30.41, length 28" (gateway_or_not.tcpdump-4.99.3-v.out).
const REQ = corpusFrame("libpcap/gateway_or_not.pcap", 9);
// libpcap/gateway_or_not.pcap #11: "Reply 10.20.30.40 is-at aa:00:04:00:14:0e, length 28".
const REPLY = corpusFrame("libpcap/gateway_or_not.pcap", 11);
// tcpdump/arp-too-long-tha.pcap #1, all 64 captured bytes (on-wire length 262144) (the ARP body needs 8 + 2*(14+4) = 44
// bytes from offset 18). arp-too-long-tha.out: "ARP, Unknown Hardware (12336) (len 14), IPv4 (len 4),
// Request who-has 48.48.48.48 (30:30:30:30:30:30:30:30:30:30:30:30:30:30) tell 48.48.48.48".
const THA = corpusFrame("tcpdump/arp-too-long-tha.pcap", 1);

describe.skipIf(!haveShared)("ARP fixtures", () => {
  it("request: gateway_or_not #9", () => {
    const f = EthernetFrame.checked(REQ);
    expect(f.etherType).toBe(EtherType.ARP);
    const p = ArpPacket.checked(f.payload);
    expect(p.hardwareType).toBe(ArpHardware.Ethernet);
    expect(p.protocolType).toBe(EtherType.IPv4);
    expect([p.hardwareLen, p.protocolLen]).toEqual([6, 4]);
    expect(p.packetLen).toBe(28);
    const r = parseArp(p);
    expect(r.operation).toBe(ArpOperation.Request);
    expect(formatIpv4(r.tpa)).toBe("10.20.30.40");
    expect(formatIpv4(r.spa)).toBe("10.20.30.41");
    expect(formatMac(r.sha)).toBe("08:00:27:e5:28:d1");
    expect(r.tha).toBe(0);
  });

  it("reply: gateway_or_not #11", () => {
    const r = parseArp(ArpPacket.checked(EthernetFrame.checked(REPLY).payload));
    expect(r.operation).toBe(ArpOperation.Reply);
    expect(formatIpv4(r.spa)).toBe("10.20.30.40");
    expect(formatMac(r.sha)).toBe("aa:00:04:00:14:0e");
    expect(formatIpv4(r.tpa)).toBe("10.20.30.41");
    expect(formatMac(r.tha)).toBe("08:00:27:e5:28:d1");
  });

  it("re-emits both byte for byte into a 0xa5-filled buffer", () => {
    for (const frame of [REQ, REPLY]) {
      const body = frame.subarray(14);
      const r = parseArp(ArpPacket.checked(body));
      const b = new Uint8Array(arpBufferLen(r)).fill(0xa5);
      emitArp(r, ArpPacket.unchecked(b));
      expect(b).toEqual(body);
    }
  });

  it("unknown hardware, hlen 14, inside an 802.1ad tag: arp-too-long-tha #1", () => {
    const s = walkVlanTags(THA);
    expect(s.etherType).toBe(EtherType.ARP);
    const p = ArpPacket.checked(THA.subarray(s.payloadOffset));
    expect(p.hardwareType).toBe(12336);
    expect(p.protocolType).toBe(EtherType.IPv4);
    expect(p.hardwareLen).toBe(14);
    expect(p.protocolLen).toBe(4);
    expect(p.operation).toBe(ArpOperation.Request);
    expect(p.isEthernetIpv4Layout).toBe(false);
    expect(p.packetLen).toBe(44);
    expect(THA.byteLength).toBe(64);
    expect(formatIpv4Bytes(p.tpaBytes, 0)).toBe("48.48.48.48");
    expect(formatIpv4Bytes(p.spaBytes, 0)).toBe("48.48.48.48");
    expect(Array.from(p.thaBytes, (x) => x.toString(16)).join(":")).toBe(
      "30:30:30:30:30:30:30:30:30:30:30:30:30:30",
    );
    expect(p.shaBytes.byteLength).toBe(14);
    expect(() => parseArp(p)).toThrowError(WireError);
    // Cut one byte short of the addresses: truncated.
    expect(() => ArpPacket.checked(THA.subarray(s.payloadOffset, s.payloadOffset + 43))).toThrowError(
      WireError,
    );
  });

  it("Ethernet padding after the 28 bytes is ignored (QinQpacket #1: length 46 with padding)", () => {
    // tcpdump/QinQpacket.pcap #1: "vlan 200, p 0, ethertype ARP (0x0806), Request who-has 172.17.0.2 tell
    // 172.17.0.20, length 46".
    const f = corpusFrame("tcpdump/QinQpacket.pcap", 1);
    const s = walkVlanTags(f);
    const r = parseArp(ArpPacket.checked(f.subarray(s.payloadOffset)));
    expect(formatIpv4(r.tpa)).toBe("172.17.0.2");
    expect(formatIpv4(r.spa)).toBe("172.17.0.20");
    expect(formatMac(r.sha)).toBe("00:08:5d:23:0c:3f");
    expect(f.byteLength - s.payloadOffset).toBe(46);
  });

  it("every truncation of a valid packet is rejected", () => {
    const body = REQ.subarray(14);
    for (let n = 0; n < ARP_ETH_IPV4_LEN; n++) {
      expect(() => ArpPacket.checked(body.subarray(0, n))).toThrowError(WireError);
    }
  });

  it("other hardware/protocol types are 'unsupported' for the repr but readable by the view", () => {
    const b = REQ.slice(14);
    b[3] = 0xdd;
    b[2] = 0x86; // protocol 0x86dd
    const p = ArpPacket.checked(b);
    expect(p.protocolType).toBe(0x86dd);
    try {
      parseArp(p);
      expect.unreachable();
    } catch (e) {
      expect((e as WireError).reason).toBe("unsupported");
    }
  });
});

const macArb = fc.integer({ min: 0, max: 0xffff_ffff_ffff }).map((n) => n as Mac);
const ipArb = fc.integer({ min: 0, max: 0xffff_ffff }).map((n) => n as Ipv4);

describe("ARP properties", () => {
  it("parse(emit(r)) == r", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        macArb,
        ipArb,
        macArb,
        ipArb,
        (operation, sha, spa, tha, tpa) => {
          const r = { operation, sha, spa, tha, tpa };
          const b = new Uint8Array(arpBufferLen(r)).fill(0xa5);
          emitArp(r, ArpPacket.unchecked(b));
          expect(parseArp(ArpPacket.checked(b))).toEqual(r);
          expect(formatMacBytes(b, 8)).toBe(formatMac(sha));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("arbitrary bytes parse or throw WireError; the generic accessors stay in bounds", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          const p = ArpPacket.checked(b);
          expect(p.tpaBytes.byteLength).toBe(p.protocolLen);
          expect(p.thaBytes.byteLength).toBe(p.hardwareLen);
          parseArp(p);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe.skipIf(!haveShared)("corpus: arp-too-long-tha.pcap, the record itself", () => {
  it("captured 64 of 262144 bytes: same bytes as the fixture; ARP length 262126 as tcpdump prints", () => {
    const { data: frame, origLen } = corpusRecords("tcpdump/arp-too-long-tha.pcap")[0];
    const cap = frame.byteLength;
    expect([cap, origLen]).toEqual([64, 262144]);
    expect(frame).toEqual(THA);
    const s = walkVlanTags(frame);
    expect(origLen - s.payloadOffset).toBe(262126);
    const p = ArpPacket.checked(frame.subarray(s.payloadOffset));
    expect([p.hardwareType, p.hardwareLen, p.protocolLen, p.operation]).toEqual([12336, 14, 4, 1]);
  });
});
