/**
 * Hostile load at bounded sizes (the 10^6 figures: `npm run fuzz -- --hostile`): a MAC flood stays
 * within the bridge's learning limit (Linux bridge `max_learned`, excess counted), new flows stay within
 * the NAT's table limit (nf_conntrack_max, drops counted "table-full"), and a broadcast storm in a loop
 * without STP is reported by the storm guard and the run ends.
 */
import { describe, expect, it } from "vitest";
import { broadcastStorm, macFlood, natFlood } from "../../scripts/fuzz/hostile.js";

describe("hostile load", () => {
  it("MAC flood: 20000 random sources into a bridge limited to 512: 512 learned, the rest counted, all forwarded", () => {
    const r = macFlood(20_000, 512);
    expect(r.learned).toBe(512);
    // Sources can repeat (random); every frame whose source was not learned is counted.
    expect(r.notLearned).toBeGreaterThanOrEqual(20_000 - 512 - 50);
    expect(r.notLearned).toBeLessThanOrEqual(20_000 - 512);
  });

  it("NAT flood: 20000 new UDP flows into a table of 1000: never more than 1000 entries, each excess flow counted", () => {
    const r = natFlood(20_000, 1000);
    expect(r.entries).toBe(1000);
    // Linux early_drop: a new flow evicts an unassured (never answered) entry; none is assured here,
    // so every flow passes and the 19000 evictions are counted.
    expect(r.earlyDrop + r.tableFull).toBe(19_000);
    expect(r.passed).toBe(20_000 - r.tableFull);
  });

  it("broadcast storm in a two-bridge loop without STP: reported, and the run ends", () => {
    const r = broadcastStorm(2000);
    expect(r.reports.length).toBeGreaterThan(0);
    expect(r.reports[0]).toMatch(/^broadcast storm on bridge [ab]: \d+ frames in/);
    expect(r.stoppedBy).not.toBe("maxEvents");
  });
});
