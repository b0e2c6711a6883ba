import { describe, expect, it } from "vitest";
import { Simulator, SimulatorError } from "./simulator.js";
import { formatTime, ms, ns, s, us } from "./time.js";

// Reference: ns-3's default scheduler orders events by (timestamp, uid), so events at the same instant
// run in the order they were scheduled; the tests below pin that contract for vnet's engine.

describe("Simulator ordering", () => {
  it("runs events by time, and ties in scheduling order (ns-3: (timestamp, uid))", () => {
    const sim = new Simulator();
    const got: string[] = [];
    sim.schedule(30, () => got.push("c30"));
    sim.schedule(10, () => got.push("a10"));
    sim.schedule(20, () => got.push("b20"));
    sim.schedule(10, () => got.push("a10-second"));
    sim.at(10, () => got.push("a10-third"));
    sim.schedule(0, () => got.push("z0"));
    const r = sim.run();
    expect(got).toEqual(["z0", "a10", "a10-second", "a10-third", "b20", "c30"]);
    expect(r).toEqual({ events: 6, stoppedBy: "empty", now: 30 });
    expect(sim.now).toBe(30);
    expect(sim.executed).toBe(6);
  });

  it("an event scheduled with delay 0 from inside an event runs after the ones already due now", () => {
    const sim = new Simulator();
    const got: string[] = [];
    sim.schedule(5, () => {
      got.push("first");
      sim.schedule(0, () => got.push("nested"));
    });
    sim.schedule(5, () => got.push("second"));
    sim.run();
    expect(got).toEqual(["first", "second", "nested"]);
  });

  it("keeps (time, seq) order for many random events (checked against a stable sort)", () => {
    const sim = new Simulator({ seed: 7 });
    const rng = sim.rng("test");
    const expected: { t: number; i: number }[] = [];
    const got: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(0, 200); // many ties
      expected.push({ t, i });
      sim.schedule(t, () => got.push(i));
    }
    sim.run();
    expected.sort((a, b) => a.t - b.t || a.i - b.i);
    expect(got).toEqual(expected.map((e) => e.i));
  });

  it("the clock during an event is the event's time", () => {
    const sim = new Simulator();
    const seen: number[] = [];
    for (const d of [ms(2), us(3), ns(1), s(1)]) sim.schedule(d, () => seen.push(sim.now));
    sim.run();
    expect(seen).toEqual([1, 3000, 2_000_000, 1_000_000_000]);
  });
});

describe("Simulator cancel", () => {
  it("nextEventTime skips cancelled events and is null when nothing is pending", () => {
    const sim = new Simulator();
    expect(sim.nextEventTime).toBeNull();
    const t1 = sim.schedule(5, () => {});
    sim.scheduleCall(9, () => {}, 0);
    expect(sim.nextEventTime).toBe(5);
    t1.cancel();
    expect(sim.nextEventTime).toBe(9);
    sim.run();
    expect(sim.nextEventTime).toBeNull();
    expect(sim.now).toBe(9);
  });

  it("a cancelled timer never runs and is not counted", () => {
    const sim = new Simulator();
    const got: number[] = [];
    const t1 = sim.schedule(1, () => got.push(1));
    const t2 = sim.schedule(2, () => got.push(2));
    sim.schedule(3, () => got.push(3));
    expect(t2.pending).toBe(true);
    sim.cancel(t2);
    t1.cancel();
    expect(t2.pending).toBe(false);
    const r = sim.run();
    expect(got).toEqual([3]);
    expect(r.events).toBe(1);
    expect(sim.now).toBe(3);
  });

  it("an event can cancel a later one at the same instant", () => {
    const sim = new Simulator();
    const got: string[] = [];
    let victim: ReturnType<Simulator["schedule"]> | null = null;
    sim.schedule(4, () => {
      got.push("killer");
      victim?.cancel();
    });
    victim = sim.schedule(4, () => got.push("victim"));
    sim.schedule(4, () => got.push("bystander"));
    sim.run();
    expect(got).toEqual(["killer", "bystander"]);
    expect(victim.pending).toBe(false);
  });

  it("cancelling after the event ran is harmless; pending is false once run", () => {
    const sim = new Simulator();
    let n = 0;
    const t = sim.schedule(1, () => n++);
    sim.run();
    expect(t.pending).toBe(false);
    t.cancel();
    expect(n).toBe(1);
  });
});

describe("Simulator run options", () => {
  it("until: runs events at or before `until`, then advances the clock to it", () => {
    const sim = new Simulator();
    const got: number[] = [];
    for (const t of [10, 20, 30, 40]) sim.schedule(t, () => got.push(t));
    const r = sim.run({ until: 30 });
    expect(got).toEqual([10, 20, 30]);
    expect(r).toEqual({ events: 3, stoppedBy: "until", now: 30 });
    const r2 = sim.run({ until: 35 });
    expect(r2).toEqual({ events: 0, stoppedBy: "until", now: 35 });
    const r3 = sim.run({ until: 100 });
    expect(got).toEqual([10, 20, 30, 40]);
    expect(r3).toEqual({ events: 1, stoppedBy: "until", now: 100 });
    expect(sim.run()).toEqual({ events: 0, stoppedBy: "empty", now: 100 });
  });

  it("until in the past never moves the clock backwards", () => {
    const sim = new Simulator();
    sim.schedule(50, () => {});
    sim.schedule(80, () => {});
    sim.run({ until: 60 });
    expect(sim.now).toBe(60);
    const r = sim.run({ until: 10 });
    expect(r.events).toBe(0);
    expect(sim.now).toBe(60);
  });

  it("maxEvents: stops after that many events and resumes where it left off", () => {
    const sim = new Simulator();
    let n = 0;
    const tick = (): void => {
      n++;
      sim.schedule(1, tick);
    };
    sim.schedule(0, tick);
    const r = sim.run({ maxEvents: 100 });
    expect(r).toEqual({ events: 100, stoppedBy: "maxEvents", now: 99 });
    expect(n).toBe(100);
    sim.run({ maxEvents: 5 });
    expect(n).toBe(105);
    expect(sim.now).toBe(104);
  });

  it("stop(): run returns after the current event; a later run continues", () => {
    const sim = new Simulator();
    const got: number[] = [];
    for (let i = 1; i <= 5; i++)
      sim.schedule(i, () => {
        got.push(i);
        if (i === 2) sim.stop();
      });
    expect(sim.run()).toEqual({ events: 2, stoppedBy: "stop", now: 2 });
    expect(got).toEqual([1, 2]);
    expect(sim.run()).toEqual({ events: 3, stoppedBy: "empty", now: 5 });
  });

  it("step(): one event at a time, false when empty; cancelled entries are skipped", () => {
    const sim = new Simulator();
    const got: number[] = [];
    sim.schedule(2, () => got.push(2));
    sim.schedule(1, () => got.push(1)).cancel();
    sim.schedule(3, () => got.push(3));
    expect(sim.step()).toBe(true);
    expect(got).toEqual([2]);
    expect(sim.now).toBe(2);
    expect(sim.step()).toBe(true);
    expect(sim.step()).toBe(false);
    expect(got).toEqual([2, 3]);
    expect(sim.pending).toBe(0);
  });
});

describe("Simulator input checks", () => {
  it("at() in the past is rejected with a SimulatorError naming the time", () => {
    const sim = new Simulator();
    sim.schedule(100, () => {});
    sim.run();
    expect(() => sim.at(99, () => {})).toThrow(SimulatorError);
    expect(() => sim.at(99, () => {})).toThrow(/0\.000000100/);
    expect(() => sim.at(100, () => {})).not.toThrow();
  });

  it("negative, fractional and NaN delays are rejected", () => {
    const sim = new Simulator();
    expect(() => sim.schedule(-1, () => {})).toThrow(SimulatorError);
    expect(() => sim.schedule(1.5, () => {})).toThrow(SimulatorError);
    expect(() => sim.schedule(Number.NaN, () => {})).toThrow(SimulatorError);
    expect(() => sim.at(2.5, () => {})).toThrow(SimulatorError);
    expect(sim.pending).toBe(0);
  });
});

describe("Simulator rng and seed", () => {
  it("rng(name) is the same stream object on every call, and seeds default to 1", () => {
    const sim = new Simulator();
    expect(sim.seed).toBe(1);
    expect(sim.rng("a")).toBe(sim.rng("a"));
    expect(sim.rng("a")).not.toBe(sim.rng("b"));
  });

  it("the same seed and schedule give the same trace; another seed a different one", () => {
    const trace = (seed: number): string => {
      const sim = new Simulator({ seed });
      const out: string[] = [];
      const r = sim.rng("jitter");
      for (let i = 0; i < 50; i++) sim.schedule(r.int(0, 1000), () => out.push(`${i}@${sim.now}`));
      sim.run();
      return out.join(",");
    };
    expect(trace(42)).toBe(trace(42));
    expect(trace(42)).not.toBe(trace(43));
  });
});

describe("time helpers", () => {
  it("convert units to integer ns and format as seconds with 9 decimals", () => {
    expect(ns(1.4)).toBe(1);
    expect(us(1.5)).toBe(1500);
    expect(ms(0.0015)).toBe(1500);
    expect(s(2)).toBe(2_000_000_000);
    expect(formatTime(12_000_000_345)).toBe("12.000000345");
    expect(formatTime(0)).toBe("0.000000000");
  });
});
