import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { connect, type LinkImpairments } from "./link.js";
import { Port } from "./port.js";

// A direction without random impairments takes a shorter path (no draws, cached serialisation time).
// Reference for what it must equal: the full netem-order path (queue → serialisation → delay, FIFO
// clamp) with every random impairment present but never firing (probability 0, jitter 0).

const NEUTRAL: LinkImpairments = {
  loss: 0,
  duplicate: 0,
  corrupt: 0,
  reorder: { probability: 0 },
  jitter: { distribution: "uniform", max: 0 },
};

interface Trace {
  arrivals: [number, number][];
  stats: unknown;
  counters: unknown;
}

function runTrace(line: LinkImpairments, sends: { at: number; len: number }[]): Trace {
  const sim = new Simulator({ seed: 5 });
  const a = new Port(sim, "a");
  const b = new Port(sim, "b", "ethernet", { mtu: 9000 });
  a.mtu = 9000;
  const link = connect(sim, a, b, line);
  const arrivals: [number, number][] = [];
  b.onReceive((f) => arrivals.push([f[0] | (f[1] << 8), sim.now]));
  sends.forEach((x, i) => {
    const f = new Uint8Array(x.len);
    f[0] = i & 0xff;
    f[1] = i >> 8;
    sim.at(x.at, () => a.send(f));
  });
  sim.run();
  const { dropReasons, ...rest } = link.ab.stats;
  return {
    arrivals,
    stats: { ...rest, inFlight: link.ab.stats.inFlight, dropReasons: [...dropReasons] },
    counters: b.counters.snapshot(),
  };
}

describe("link fast path (no random impairments)", () => {
  it("gives the same arrivals, drops and statistics as the full path with neutral impairments", () => {
    fc.assert(
      fc.property(
        fc.record({
          rate: fc.option(fc.integer({ min: 1_000_000, max: 10_000_000_000 }), { nil: undefined }),
          delay: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: undefined }),
          overhead: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
          queuePackets: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
          queueBytes: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
        }),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 100_000 }), len: fc.integer({ min: 14, max: 1514 }) }),
          {
            maxLength: 60,
          },
        ),
        (line, sends) => {
          const opts = Object.fromEntries(Object.entries(line).filter(([, v]) => v !== undefined));
          const plain = runTrace(opts, sends);
          const full = runTrace({ ...opts, ...NEUTRAL }, sends);
          expect(plain).toEqual(full);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a frame length seen before reuses its serialisation time; another length gets its own", () => {
    // 1 Gbit/s: 100 bytes = 800 ns, 125 bytes = 1000 ns, back to back from t = 0.
    const t = runTrace({ rate: 1e9 }, [
      { at: 0, len: 100 },
      { at: 0, len: 125 },
      { at: 0, len: 100 },
    ]);
    expect(t.arrivals).toEqual([
      [0, 800],
      [1, 1800],
      [2, 2600],
    ]);
  });
});
