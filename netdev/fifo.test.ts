import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

describe("Fifo (internal queue of the links)", () => {
  it("behaves as an array's push/shift for any sequence of operations (model check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1)), { maxLength: 400 }),
        (ops) => {
          const q = new Fifo<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op < 0) expect(q.shift()).toBe(model.shift());
            else {
              q.push(op);
              model.push(op);
            }
            expect(q.length).toBe(model.length);
            expect(q.peek()).toBe(model[0]);
          }
        },
      ),
    );
  });

  it("grows past its first capacity while wrapped around, keeping order", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 6; i++) q.push(i);
    for (let i = 0; i < 5; i++) expect(q.shift()).toBe(i);
    for (let i = 6; i < 40; i++) q.push(i);
    const out: number[] = [];
    while (q.length > 0) out.push(q.shift() as number);
    expect(out).toEqual(Array.from({ length: 35 }, (_, k) => k + 5));
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
  });
});
