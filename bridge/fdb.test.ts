/**
 * The forwarding database's keys: (VLAN, MAC) pairs must stay distinct for every VID 0..4094 and every
 * 48-bit MAC. (A single-number key `vid * 2^48 + mac` rounds from VID 32 up — 32 * 2^48 = 2^53 — so
 * 02:00:00:00:00:02 and :03 were one entry in VLAN 200; the Linux bridge of test/vm/vlan.test.ts keeps
 * them apart, br_fdb.c hashes the (addr, vid) pair.)
 */
import { describe, expect, it } from "vitest";
import { ms, s } from "../sim/time.js";
import type { Mac } from "../wire/addr.js";
import { Fdb } from "./fdb.js";

const mac = (n: number) => (0x020000000000 + n) as Mac;

describe("Fdb keys", () => {
  it("keeps MACs that differ only in their low bits apart in high VLANs", () => {
    const fdb = new Fdb({ ageingTime: s(300), maxLearned: Infinity, sweepInterval: s(4) });
    for (const vid of [1, 31, 32, 200, 4094]) {
      for (let n = 0; n < 8; n++) expect(fdb.learn(vid, mac(n), n, 0, Infinity)).toBe("learned");
      for (let n = 0; n < 8; n++) expect(fdb.lookup(vid, mac(n), ms(1))?.port).toBe(n);
      expect(fdb.lookup(vid, mac(8), ms(1))).toBeUndefined();
    }
    // The same MAC in two VLANs: two entries; the highest MAC in the highest VLAN is exact too.
    expect(fdb.learn(4094, 0xffffffffffff as Mac, 9, 0, Infinity)).toBe("learned");
    expect(fdb.lookup(4094, 0xfffffffffffe, ms(1))).toBeUndefined();
    expect(fdb.size).toBe(41);
    expect(fdb.lookup(200, mac(3), ms(1))?.vid).toBe(200);
  });

  it("lists entries in insertion order across VLANs, and delete/flush/ageing remove exactly one pair", () => {
    const fdb = new Fdb({ ageingTime: s(10), maxLearned: Infinity, sweepInterval: s(4) });
    fdb.learn(200, mac(1), 0, 0, Infinity);
    fdb.learn(10, mac(1), 1, 0, Infinity);
    fdb.addStatic(200, mac(2), 2, 0);
    fdb.learn(200, mac(3), 1, s(5), Infinity);
    expect(fdb.entries(s(6)).map((e) => `${e.vid}/${e.mac - 0x020000000000}@${e.port}`)).toEqual([
      "200/1@0",
      "10/1@1",
      "200/2@2",
      "200/3@1",
    ]);
    expect(fdb.delete(200, mac(1))).toBe(true);
    expect(fdb.lookup(10, mac(1), s(6))?.port).toBe(1);
    fdb.flushPort(1);
    expect(fdb.entries(s(6)).map((e) => e.vid)).toEqual([200]);
    // Ageing: the static entry stays.
    expect(fdb.entries(s(100)).map((e) => e.isStatic)).toEqual([true]);
    expect(fdb.size).toBe(1);
  });
});
