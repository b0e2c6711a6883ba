import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, corpusFrames, corpusText, haveShared } from "../test/shared.js";
import { WireError } from "./errors.js";
import { EthernetFrame, EtherType } from "./ethernet.js";
import {
  emitVlan,
  isVlanTpid,
  MAX_VLAN_TAGS,
  parseVlan,
  popTag,
  pushTag,
  VLAN_HEADER_LEN,
  VlanTag,
  VlanTpid,
  vlanBufferLen,
  walkVlanTags,
} from "./vlan.js";

// Corpus fixtures, read at test time (corpusFrame; empty when ../shared is absent).
// tcpdump/802.1ad_QinQ.pcap #1. 802.1ad_QinQ.out: "ethertype 802.1Q-QinQ (0x88a8), length 64: vlan 200,
// p 0, ethertype 802.1Q (0x8100), vlan 2001, p 0, ethertype ARP (0x0806), Request who-has 172.21.79.100".
const QINQ1 = corpusFrame("tcpdump/802.1ad_QinQ.pcap", 1);
// The same ARP request untagged: QINQ1 with bytes 12..19 (both tags) removed, i.e. the frame a
// two-level pop must give (cut by hand here, not by vlan.ts; empty when the corpus is absent).
function untag(f: Uint8Array): Uint8Array {
  if (f.byteLength === 0) return f;
  const u = new Uint8Array(f.byteLength - 8);
  u.set(f.subarray(0, 12));
  u.set(f.subarray(20), 12);
  return u;
}
const QINQ1_UNTAGGED = untag(QINQ1);
// tcpdump/OLSRv1_HNA_sgw_1.pcap #1; `tcpdump -e`: "ethertype 802.1Q (0x8100), length 118: vlan 2580, p 0,
// ethertype IPv4 (0x0800)".
const OLSR = corpusFrame("tcpdump/OLSRv1_HNA_sgw_1.pcap", 1);
// tcpdump/arp-too-long-tha.pcap #1, first 32 bytes; `tcpdump -e -v`: "ethertype 802.1Q-QinQ (0x88a8),
// length 262144: vlan 48, p 1, DEI, ethertype ARP (0x0806)".
const ARPTHA = corpusFrame("tcpdump/arp-too-long-tha.pcap", 1, 0, 32);

describe.skipIf(!haveShared)("VlanTag view and repr (corpus fixtures)", () => {
  it("single 802.1Q tag: OLSRv1_HNA_sgw_1 #1", () => {
    const f = EthernetFrame.checked(OLSR);
    expect(f.etherType).toBe(VlanTpid.Dot1Q);
    const t = VlanTag.checked(f.payload);
    expect(parseVlan(t)).toEqual({ pcp: 0, dei: false, vid: 2580, etherType: EtherType.IPv4 });
    expect(t.payload[0]).toBe(0x45);
    expect(t.payload.byteLength).toBe(118 - 18);
  });

  it("802.1ad tag with PCP 1 and DEI: arp-too-long-tha #1", () => {
    const t = VlanTag.checked(EthernetFrame.checked(ARPTHA).payload);
    expect(parseVlan(t)).toEqual({ pcp: 1, dei: true, vid: 48, etherType: EtherType.ARP });
  });

  it("re-emits each tag byte for byte into a 0xa5-filled buffer", () => {
    for (const [frame, off] of [
      [OLSR, 14],
      [ARPTHA, 14],
      [QINQ1, 14],
      [QINQ1, 18],
    ] as const) {
      const r = parseVlan(VlanTag.checked(frame.subarray(off)));
      const b = new Uint8Array(vlanBufferLen(r, 0)).fill(0xa5);
      emitVlan(r, VlanTag.unchecked(b));
      expect(b).toEqual(frame.subarray(off, off + VLAN_HEADER_LEN));
    }
  });

  it("rejects a truncated tag", () => {
    for (let n = 0; n < VLAN_HEADER_LEN; n++) {
      expect(() => VlanTag.checked(OLSR.subarray(14, 14 + n))).toThrowError(WireError);
    }
  });
});

describe("VlanTag emit", () => {
  it("emit rejects out-of-range fields with WireError", () => {
    const b = new Uint8Array(4);
    expect(() =>
      emitVlan({ pcp: 8, dei: false, vid: 1, etherType: 0x800 }, VlanTag.unchecked(b)),
    ).toThrowError(WireError);
    expect(() =>
      emitVlan({ pcp: 0, dei: false, vid: 4096, etherType: 0x800 }, VlanTag.unchecked(b)),
    ).toThrowError(WireError);
  });
});

describe.skipIf(!haveShared)("walkVlanTags", () => {
  it("walks the 802.1ad + 802.1Q stack of 802.1ad_QinQ #1", () => {
    const s = walkVlanTags(QINQ1);
    expect(s.tags).toEqual([
      { tpid: 0x88a8, pcp: 0, dei: false, vid: 200, offset: 12 },
      { tpid: 0x8100, pcp: 0, dei: false, vid: 2001, offset: 16 },
    ]);
    expect(s.etherType).toBe(EtherType.ARP);
    expect(s.payloadOffset).toBe(22);
  });

  it("an untagged frame has no tags", () => {
    expect(walkVlanTags(QINQ1_UNTAGGED)).toEqual({ tags: [], etherType: EtherType.ARP, payloadOffset: 14 });
  });

  it("rejects truncated stacks and too many tags", () => {
    // Every cut before the inner EtherType ends (offset 22) loses part of the header or of a tag.
    for (let n = 0; n < 22; n++) expect(() => walkVlanTags(QINQ1.subarray(0, n))).toThrowError(WireError);
    expect(walkVlanTags(QINQ1.subarray(0, 22)).payloadOffset).toBe(22);
    let f = QINQ1_UNTAGGED;
    for (let i = 0; i < MAX_VLAN_TAGS; i++) f = pushTag(f, { tpid: 0x8100, pcp: 0, dei: false, vid: i });
    expect(walkVlanTags(f).tags.length).toBe(MAX_VLAN_TAGS);
    const tooMany = pushTag(f, { tpid: 0x8100, pcp: 0, dei: false, vid: 9 });
    try {
      walkVlanTags(tooMany);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
      expect((e as WireError).reason).toBe("unsupported");
    }
    expect(walkVlanTags(tooMany, 16).tags.length).toBe(MAX_VLAN_TAGS + 1);
  });
});

describe("walkVlanTags", () => {
  it("arbitrary bytes walk or throw WireError", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(0x81, 0x00, 0x88, 0xa8), fc.integer({ min: 0, max: 255 })), {
          maxLength: 60,
        }),
        (arr) => {
          const b = Uint8Array.from(arr);
          try {
            const s = walkVlanTags(b);
            expect(s.payloadOffset).toBeLessThanOrEqual(b.byteLength);
            expect(isVlanTpid(s.etherType)).toBe(false);
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe.skipIf(!haveShared)("pushTag / popTag", () => {
  it("pops both tags of 802.1ad_QinQ #1 into the untagged frame and pushes them back", () => {
    const input = QINQ1.slice();
    const p1 = popTag(QINQ1);
    expect(p1.tag).toEqual({ tpid: 0x88a8, pcp: 0, dei: false, vid: 200 });
    const p2 = popTag(p1.frame);
    expect(p2.tag).toEqual({ tpid: 0x8100, pcp: 0, dei: false, vid: 2001 });
    expect(p2.frame).toEqual(QINQ1_UNTAGGED);
    expect(pushTag(pushTag(p2.frame, p2.tag), p1.tag)).toEqual(QINQ1);
    expect(QINQ1).toEqual(input); // never mutated
  });

  it("keeps PCP and DEI (arp-too-long-tha #1: p 1, DEI)", () => {
    const { tag, frame } = popTag(ARPTHA);
    expect(tag).toEqual({ tpid: 0x88a8, pcp: 1, dei: true, vid: 48 });
    expect(pushTag(frame, tag)).toEqual(ARPTHA);
  });

  it("popping an untagged frame is a WireError", () => {
    expect(() => popTag(QINQ1_UNTAGGED)).toThrowError(WireError);
    expect(() => popTag(QINQ1.subarray(0, 16))).toThrowError(WireError);
    expect(() => pushTag(QINQ1.subarray(0, 13), { tpid: 0x8100, pcp: 0, dei: false, vid: 1 })).toThrowError(
      WireError,
    );
  });
});

describe("pushTag / popTag", () => {
  it("property: pop(push(f, t)) == (f, t), new buffers, input untouched", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 14, maxLength: 80 }),
        fc.constantFrom(0x8100, 0x88a8),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 4095 }),
        (frame, tpid, pcp, dei, vid) => {
          const copy = frame.slice();
          const tag = { tpid, pcp, dei, vid };
          const pushed = pushTag(frame, tag);
          expect(pushed.buffer).not.toBe(frame.buffer);
          expect(pushed.byteLength).toBe(frame.byteLength + 4);
          const s = walkVlanTags(pushed, 64);
          expect(s.tags[0]).toEqual({ ...tag, offset: 12 });
          const popped = popTag(pushed);
          expect(popped.tag).toEqual(tag);
          expect(popped.frame).toEqual(frame);
          expect(frame).toEqual(copy);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe.skipIf(!haveShared)("corpus: QinQpacket.pcap (249 frames, 802.1ad vlan 200)", () => {
  it("every frame's tag and inner EtherType match QinQpacket.out", () => {
    const frames = corpusFrames("tcpdump/QinQpacket.pcap");
    const lines = corpusText("tcpdump/QinQpacket.out").trim().split("\n");
    expect(frames.length).toBe(249);
    expect(lines.length).toBe(249);
    frames.forEach((f, i) => {
      const m = /vlan (\d+), p (\d+), ethertype [^(]*\(0x([0-9a-f]{4})\)/.exec(lines[i]);
      expect(m).not.toBeNull();
      const s = walkVlanTags(f);
      expect(s.tags.length).toBe(1);
      expect(s.tags[0].tpid).toBe(0x88a8);
      expect(s.tags[0].vid).toBe(Number(m![1]));
      expect(s.tags[0].pcp).toBe(Number(m![2]));
      expect(s.etherType).toBe(Number.parseInt(m![3], 16));
      const popped = popTag(f);
      expect(pushTag(popped.frame, popped.tag)).toEqual(f);
    });
  });
});
