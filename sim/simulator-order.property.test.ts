import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator, type Timer } from "./simulator.js";

// The queue keeps events scheduled a fixed delay ahead in per-delay FIFO lanes beside a heap (see
// simulator.ts). Whatever the mix, events must run in exactly (time, scheduling order) — ns-3's
// (timestamp, uid) — as a single sorted queue would run them. This checks it against a reference that
// sorts every pending event.

type Op =
  | { kind: "call"; delay: number }
  | { kind: "at"; delay: number }
  | { kind: "timer"; delay: number }
  | { kind: "cancel"; pick: number };

const delayArb = fc.oneof(
  fc.constantFrom(0, 1848, 1_000_000, 5, 7), // a few delays repeated often (lanes)
  fc.integer({ min: 0, max: 3000 }), // and many distinct ones (the heap, lane reuse)
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("call" as const), delay: delayArb }),
  fc.record({ kind: fc.constant("at" as const), delay: delayArb }),
  fc.record({ kind: fc.constant("timer" as const), delay: delayArb }),
  fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }),
);

describe("Simulator event order with lanes", () => {
  it("runs events in (time, seq) order, cancelled ones never, for any mix of delays", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 1, maxLength: 60 }),
        fc.array(opArb, { minLength: 1, maxLength: 12 }),
        (perEvent, initial) => {
          const sim = new Simulator();
          // Reference: every scheduled event with its (time, seq); run order must match sorting.
          const ran: number[] = [];
          const scheduled: { time: number; seq: number; id: number; cancelled: boolean }[] = [];
          const timers = new Map<number, Timer>();
          let seq = 0;
          let next = 0;
          const fire = (id: number): void => {
            ran.push(id);
            const ops = perEvent[id % perEvent.length];
            apply(ops);
          };
          const apply = (ops: readonly Op[]): void => {
            for (const op of ops) {
              if (next > 400) return; // bounded
              if (op.kind === "cancel") {
                const live = scheduled.filter((e) => !e.cancelled && timers.has(e.id) && !ran.includes(e.id));
                if (live.length === 0) continue;
                const e = live[op.pick % live.length];
                timers.get(e.id)?.cancel();
                e.cancelled = true;
                continue;
              }
              const id = next++;
              const time = sim.now + op.delay;
              scheduled.push({ time, seq: seq++, id, cancelled: false });
              if (op.kind === "call") sim.scheduleCall(op.delay, fire, id);
              else if (op.kind === "at") sim.atCall(time, fire, id);
              else
                timers.set(
                  id,
                  sim.schedule(op.delay, () => fire(id)),
                );
            }
          };
          apply(initial);
          sim.run();
          const expected = scheduled
            .filter((e) => !e.cancelled)
            .sort((a, b) => a.time - b.time || a.seq - b.seq)
            .map((e) => e.id);
          expect(ran).toEqual(expected);
          expect(sim.pending).toBe(0);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it("run({ until }) and step() see the same next event as run()", () => {
    const sim = new Simulator();
    const got: string[] = [];
    const log = (x: string): void => {
      got.push(`${sim.now}:${x}`);
    };
    // Two lanes (delays 10 and 3) and the heap, interleaved in time.
    sim.scheduleCall(10, log, "a10");
    sim.scheduleCall(3, log, "b3");
    sim.atCall(7, log, "c7");
    sim.scheduleCall(10, log, "d10");
    const t = sim.schedule(3, () => log("e3"));
    expect(sim.nextEventTime).toBe(3);
    expect(sim.step()).toBe(true);
    t.cancel();
    expect(sim.run({ until: 8 })).toEqual({ events: 1, stoppedBy: "until", now: 8 });
    expect(sim.nextEventTime).toBe(10);
    sim.run();
    expect(got).toEqual(["3:b3", "7:c7", "10:a10", "10:d10"]);
  });
});
