import { describe, expect, it } from "vitest";
import { Simulator, SimulatorError } from "./simulator.js";
import { s } from "./time.js";

// Reference: ns-3 orders events by (timestamp, uid). `scheduleCall`/`atCall` are fire-and-forget events
// that take their sequence number from the same counter as `schedule`/`at`, so mixing them keeps that order.

describe("Simulator scheduleCall / atCall", () => {
  it("interleave with schedule/at in (time, scheduling order), passing the argument", () => {
    const sim = new Simulator();
    const got: string[] = [];
    const push = (x: string): void => {
      got.push(x);
    };
    sim.scheduleCall(10, push, "call10-a");
    sim.schedule(10, () => got.push("timer10-b"));
    sim.atCall(5, push, "call5");
    sim.at(10, () => got.push("timer10-c"));
    sim.scheduleCall(10, push, "call10-d");
    sim.scheduleCall(0, push, "call0");
    const r = sim.run();
    expect(got).toEqual(["call0", "call5", "call10-a", "timer10-b", "timer10-c", "call10-d"]);
    expect(r).toEqual({ events: 6, stoppedBy: "empty", now: 10 });
    expect(sim.executed).toBe(6);
  });

  it("recycled records keep each event's own time and argument (an event rescheduling itself)", () => {
    const sim = new Simulator();
    const seen: [number, number][] = [];
    const chain = (n: number): void => {
      seen.push([sim.now, n]);
      if (n < 5) sim.scheduleCall(7, chain, n + 1);
      if (n === 2) sim.scheduleCall(0, (x: number) => seen.push([sim.now, x]), 100);
    };
    sim.scheduleCall(1, chain, 0);
    sim.run();
    expect(seen).toEqual([
      [1, 0],
      [8, 1],
      [15, 2],
      [15, 100],
      [22, 3],
      [29, 4],
      [36, 5],
    ]);
    expect(sim.pending).toBe(0);
  });

  it("gives the same order as schedule for many random events (checked against a stable sort)", () => {
    const sim = new Simulator({ seed: 3 });
    const rng = sim.rng("test");
    const expected: { t: number; i: number }[] = [];
    const got: number[] = [];
    const note = (i: number): void => {
      got.push(i);
    };
    for (let i = 0; i < 2000; i++) {
      const t = rng.int(0, 50);
      expected.push({ t, i });
      if (i % 3 === 0) sim.schedule(t, () => got.push(i));
      else if (i % 3 === 1) sim.scheduleCall(t, note, i);
      else sim.atCall(t, note, i);
    }
    sim.run();
    expected.sort((a, b) => a.t - b.t || a.i - b.i);
    expect(got).toEqual(expected.map((e) => e.i));
  });

  it("respects until, maxEvents, stop and step like timers", () => {
    const sim = new Simulator();
    const got: number[] = [];
    const note = (i: number): void => {
      got.push(i);
      if (i === 3) sim.stop();
    };
    for (let i = 1; i <= 6; i++) sim.scheduleCall(i * 10, note, i);
    expect(sim.run({ until: 25 })).toEqual({ events: 2, stoppedBy: "until", now: 25 });
    expect(sim.run()).toEqual({ events: 1, stoppedBy: "stop", now: 30 });
    expect(sim.run({ maxEvents: 1 })).toEqual({ events: 1, stoppedBy: "maxEvents", now: 40 });
    expect(sim.step()).toBe(true);
    expect(sim.now).toBe(50);
    expect(sim.run()).toEqual({ events: 1, stoppedBy: "empty", now: 60 });
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("rejects negative, fractional and NaN delays and times in the past", () => {
    const sim = new Simulator();
    const f = (): void => {};
    expect(() => sim.scheduleCall(-1, f, undefined)).toThrow(SimulatorError);
    expect(() => sim.scheduleCall(1.5, f, undefined)).toThrow(SimulatorError);
    expect(() => sim.scheduleCall(Number.NaN, f, undefined)).toThrow(SimulatorError);
    sim.schedule(10, f);
    sim.run();
    expect(() => sim.atCall(9, f, undefined)).toThrow(/atCall: time 9/);
    expect(() => sim.atCall(10.5, f, undefined)).toThrow(SimulatorError);
    expect(sim.pending).toBe(0);
  });

  it("keeps integer ns and order across 2^31 ns (about 2.15 s), where engines change number layout", () => {
    const sim = new Simulator();
    const got: number[] = [];
    const times = [s(2), 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, s(3), s(1)];
    for (const t of times) sim.atCall(t, (x: number) => got.push(x === sim.now ? x : -1), t);
    const timer = sim.at(2 ** 31, () => got.push(0));
    sim.run();
    expect(got).toEqual([s(1), s(2), 2 ** 31 - 1, 2 ** 31, 0, 2 ** 31 + 1, s(3)]);
    expect(timer.time).toBe(2 ** 31);
    expect(Number.isInteger(sim.now)).toBe(true);
    expect(Object.is(new Simulator().now, 0)).toBe(true);
  });
});
