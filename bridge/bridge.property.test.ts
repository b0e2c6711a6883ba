import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import type { PortVlans } from "../vlan/membership.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { Bridge, type BridgePortStats } from "./bridge.js";
import { frame, mac } from "./testing.js";

const VIDS = [1, 2, 3, 4];

const portArb = fc.record({
  isolated: fc.boolean(),
  hairpin: fc.boolean(),
  learning: fc.boolean(),
  flood: fc.boolean(),
  mcastFlood: fc.boolean(),
  bcastFlood: fc.boolean(),
  pvid: fc.constantFrom(0, ...VIDS),
  members: fc.subarray(VIDS),
  untagged: fc.subarray(VIDS),
});

const frameArb = fc.record({
  port: fc.nat(),
  src: fc.constantFrom(mac(1), mac(2), mac(3), mac(4), mac(5), 0x0100_5e00_0001, 0),
  dst: fc.constantFrom(
    mac(1),
    mac(2),
    mac(3),
    mac(4),
    mac(5),
    MAC_BROADCAST,
    0x3333_0000_0001,
    0x0180_c200_0000,
    0x0180_c200_000e,
  ),
  vid: fc.constantFrom(-1, 0, 1, 2, 3, 4, 7),
  pcp: fc.integer({ min: 0, max: 7 }),
  short: fc.constantFrom(false, false, false, false, true),
});

type PortCfg = typeof portArb extends fc.Arbitrary<infer T> ? T : never;

function vlansOf(c: PortCfg): PortVlans {
  const vids = new Set(c.members);
  if (c.pvid) vids.add(c.pvid);
  return { pvid: c.pvid, vlans: [...vids].map((vid) => ({ vid, untagged: c.untagged.includes(vid) })) };
}

function sum(st: BridgePortStats): number {
  let n = st.forwarded + st.flooded;
  for (const v of st.drops.values()) n += v;
  return n;
}

describe("Bridge properties (fast-check): random frames into random bridge/VLAN configurations", () => {
  it("no frame leaves outside its VLAN, isolated never reaches isolated, never back out without hairpin, counters add up", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(portArb, { minLength: 2, maxLength: 5 }),
        fc.array(frameArb, { minLength: 1, maxLength: 60 }),
        (filtering, cfgs, frames) => {
          const sim = new Simulator();
          const br = new Bridge(sim, "br0", { vlanFiltering: filtering, stormGuard: false });
          const ports: Port[] = [];
          const egress: { port: number; frame: Uint8Array }[] = [];
          cfgs.forEach((c, i) => {
            const p = br.addPort(`p${i}`, { ...c, vlans: vlansOf(c) });
            const peer = new Port(sim, `h${i}`);
            connect(sim, p, peer);
            p.observe((f, dir) => dir === "out" && egress.push({ port: i, frame: f }));
            ports.push(p);
          });
          const sent = cfgs.map(() => 0);
          for (const fr of frames) {
            const ing = fr.port % cfgs.length;
            let f = frame(
              fr.dst,
              fr.src,
              fr.vid >= 0 ? { tags: [{ tpid: 0x8100, pcp: fr.pcp, dei: false, vid: fr.vid }] } : {},
            );
            if (fr.short) f = f.subarray(0, 10);
            const before = { ...br.portStats(ports[ing]) };
            egress.length = 0;
            br.forwardFrame(f, ports[ing]);
            sent[ing]++;
            const after = br.portStats(ports[ing]);
            const c = cfgs[ing];
            // Outcome accounting: forwarded → exactly one copy; a drop → none.
            if (after.forwarded > before.forwarded) expect(egress).toHaveLength(1);
            if (
              sum(after) - after.forwarded - after.flooded >
              sum(before) - before.forwarded - before.flooded
            ) {
              expect(egress).toHaveLength(0);
            }
            // The frame's VLAN as Linux classifies it (outer 0x8100 tag, VID 0 → PVID).
            const vid = fr.vid > 0 ? fr.vid : c.pvid;
            for (const e of egress) {
              const out = cfgs[e.port];
              if (e.port === ing) expect(c.hairpin).toBe(true);
              if (c.isolated) expect(out.isolated).toBe(false);
              if (filtering) {
                expect(vid).not.toBe(0);
                const v = vlansOf(out).vlans.find((m) => m.vid === vid);
                expect(v).toBeDefined();
                const outerTpid = (e.frame[12] << 8) | e.frame[13];
                const outerVid = ((e.frame[14] & 0xf) << 8) | e.frame[15];
                if (v?.untagged) expect(e.frame.byteLength).toBe(f.byteLength - (fr.vid >= 0 ? 4 : 0));
                else {
                  expect([outerTpid, outerVid, e.frame[14] >>> 5]).toEqual([
                    0x8100,
                    vid,
                    fr.vid >= 0 ? fr.pcp : 0,
                  ]);
                }
              } else {
                expect(e.frame).toBe(f);
              }
            }
          }
          cfgs.forEach((_c, i) => {
            const st = br.portStats(ports[i]);
            expect(st.rx).toBe(sent[i]);
            expect(sum(st)).toBe(st.rx);
          });
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});
