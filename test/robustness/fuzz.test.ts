/**
 * Every fuzz target of scripts/fuzz/targets.ts with a few hundred cases (the 10^6-case job is
 * `npm run fuzz`). A failure message carries the seed and path; `npm run fuzz -- --only T --seed S
 * --path P` replays it.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzTarget } from "../../scripts/fuzz/run.js";
import { deviceWorld, frameArb, TARGETS } from "../../scripts/fuzz/targets.js";
import { s } from "../../sim/time.js";

const RUNS = Number(process.env.VNET_FUZZ_RUNS ?? 300);

describe("fuzz targets (arbitrary and truncated input)", () => {
  for (const t of TARGETS) {
    it(`${t.name}: never throws outside its error class, never hangs`, () => {
      const fail = fuzzTarget(t, RUNS, 0x5eed + t.name.length, null);
      expect(fail, fail ?? "").toBeNull();
    });
  }
});

describe("the device fuzz reaches the code behind the first checks", () => {
  it("structured frames get to the DHCP and DNS servers (parsed or counted malformed) and to the NAT", () => {
    const w = deviceWorld(7);
    const frames = fc.sample(frameArb, { numRuns: 5000, seed: 11 });
    for (const [i, f] of frames.entries()) w.inject[i % w.inject.length].deliver(f);
    w.sim.run({ until: w.sim.now + s(2), maxEvents: 5_000_000 });
    const lan = w.net.dhcpServers.find((d) => d.network === "lan");
    expect(lan).toBeDefined();
    const d = lan!.server.stats;
    // Both accepted messages and counted malformed ones: the fuzz gets past the parser and into it.
    expect(d.discovers + d.requests + d.informs + d.releases + d.declines, JSON.stringify(d)).toBeGreaterThan(
      0,
    );
    expect(d.malformed, JSON.stringify(d)).toBeGreaterThan(0);
    const host = w.net.dnsServers.find((x) => x.node === "host");
    const q = host!.server.stats;
    expect(q.queries, JSON.stringify(q)).toBeGreaterThan(0);
    expect(q.malformed, JSON.stringify(q)).toBeGreaterThan(0);
  });
});
