/** The flow table and the checksum rewrites, on their own. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.js";
import { type Ipv4, internetChecksum, l4ChecksumV4 } from "../wire/index.js";
import { Nat } from "./nat.js";
import { rewriteEndpoint } from "./rewrite.js";
import { ConnTable, CtStatus } from "./table.js";
import { iface, seen, tcp, udp } from "./testing.js";

describe("ConnTable", () => {
  it("finds both tuples of an entry, grows past its first allocation and keeps every entry findable", () => {
    const t = new ConnTable(5000);
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const e = t.alloc(17, i, 99, (i << 16) | 7, 17, 99, 1000 + i, (7 << 16) | i, 0);
      t.expires[e] = 10;
    }
    expect(t.capacity).toBeGreaterThanOrEqual(n);
    for (let i = 0; i < n; i++) {
      const o = t.lookup(17, i, 99, (i << 16) | 7, 0);
      const r = t.lookup(17, 99, 1000 + i, (7 << 16) | i, 0);
      expect(o & 1).toBe(0);
      expect(r).toBe(o + 1);
    }
    expect(t.lookup(6, 1, 99, (1 << 16) | 7, 0)).toBe(-1);
  });

  it("reaps an expired entry on lookup, and frees slots for reuse with a new generation", () => {
    const t = new ConnTable(2);
    const e = t.alloc(17, 1, 2, 3, 17, 2, 1, 4, 0);
    t.expires[e] = 5;
    const gen = t.gen[e];
    expect(t.lookup(17, 1, 2, 3, 4)).toBe(2 * e);
    expect(t.lookup(17, 1, 2, 3, 5)).toBe(-1);
    expect(t.count).toBe(0);
    expect(t.gen[e]).toBe(gen + 1);
    expect(t.status[e] & CtStatus.LIVE).toBe(0);
  });

  it("refuses allocation at the limit and early-drops only unassured entries", () => {
    const t = new ConnTable(2);
    const a = t.alloc(17, 1, 2, 3, 17, 2, 1, 4, 0);
    const b = t.alloc(17, 5, 6, 7, 17, 6, 5, 8, 0);
    t.expires[a] = 100;
    t.expires[b] = 100;
    t.status[a] |= CtStatus.ASSURED;
    expect(t.alloc(17, 9, 9, 9, 17, 9, 9, 9, 0)).toBe(-1);
    expect(t.earlyDrop(0, 0, (x) => !(t.status[x] & CtStatus.ASSURED))).toBe(true);
    expect(t.isLive(a)).toBe(true);
    expect(t.isLive(b)).toBe(false);
    expect(t.earlyDrop(0, 0, (x) => !(t.status[x] & CtStatus.ASSURED))).toBe(false);
  });
});

describe("incremental checksum rewrites (RFC 1624)", () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });

  it("give the same checksums as computing them afresh (UDP, TCP, IPv4 header)", () => {
    fc.assert(
      fc.property(
        u32,
        u32,
        u16,
        u16,
        fc.boolean(),
        u32,
        u16,
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        (src, dst, sp, dp, isSrc, na, np, payload, isTcp) => {
          const spec = { src: src as Ipv4, dst: dst as Ipv4, sport: sp, dport: dp, payload };
          const p = isTcp ? tcp({ ...spec, flags: 0x10 }) : udp(spec);
          rewriteEndpoint(p, 0, 20, p.length - 20, isSrc, na, np);
          seen(p); // verifies the IPv4, TCP and UDP checksums
          const hdr = p.slice(0, 20);
          hdr[10] = 0;
          hdr[11] = 0;
          expect((p[10] << 8) | p[11]).toBe(internetChecksum(hdr));
          const s2 = ((p[12] << 24) | (p[13] << 16) | (p[14] << 8) | p[15]) >>> 0;
          const d2 = ((p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19]) >>> 0;
          expect(l4ChecksumV4(s2 as Ipv4, d2 as Ipv4, isTcp ? 6 : 17, p.subarray(20))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("table growth under a NAT", () => {
  it("keeps translating 5000 flows both ways across table growth", () => {
    const nat = new Nat(new Simulator(), "g", { maxEntries: 10000 });
    nat.masquerade({ outIf: "wan" });
    const LAN = iface("lan", "10.0.2.2");
    const WAN = iface("wan", "203.0.113.2");
    const ext: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const o = nat.translateForward(
        udp({ src: `10.0.${2 + (i >> 8)}.${i & 255}`, dst: "198.51.100.10", sport: 40000, dport: 7 }),
        LAN,
        WAN,
      )!;
      ext.push(seen(o).sport!);
    }
    expect(new Set(ext).size).toBe(5000);
    for (let i = 0; i < 5000; i += 97) {
      const r = nat.translateForward(
        udp({ src: "198.51.100.10", dst: "203.0.113.2", sport: 7, dport: ext[i] }),
        WAN,
        LAN,
      )!;
      expect(seen(r)).toMatchObject({ dst: `10.0.${2 + (i >> 8)}.${i & 255}`, dport: 40000 });
    }
    expect(nat.count()).toBe(5000);
    // 8192 slots for 5000 flows: about 180 bytes of typed arrays per tracked flow.
    expect(nat.tableBytes() / nat.count()).toBeLessThan(200);
  });
});
