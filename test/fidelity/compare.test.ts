import { describe, expect, it } from "vitest";
import { comparePort, comparePorts, describeDifference } from "./compare.js";
import { undocumented } from "./result.js";

describe("comparePort", () => {
  it("counts equal items and finds no difference when both sides match", () => {
    const p = comparePort("p1", ["a 0102", "b 0304"], ["a 0102", "b 0304"]);
    expect(p).toEqual({ port: "p1", oracle: 2, vnet: 2, equal: 2, differences: [] });
  });

  it("one missing frame is one difference, not a shifted tail", () => {
    const p = comparePort("p1", ["a", "b", "c", "d"], ["a", "c", "d"]);
    expect(p.equal).toBe(3);
    expect(p.differences).toEqual([{ index: 1, what: "missing in vnet: b" }]);
  });

  it("an extra frame is reported at the oracle position it would take", () => {
    const p = comparePort("p1", ["a", "c"], ["a", "x", "c"]);
    expect(p.differences).toEqual([{ index: 1, what: "extra in vnet: x" }]);
  });

  it("a changed frame between two matches is one 'differs' naming the first differing byte", () => {
    const p = comparePort(
      "wan",
      ["a 00", "IP ttl 64\n4500ff40", "z 11"],
      ["a 00", "IP ttl 63\n4500ff3f", "z 11"],
    );
    expect(p.equal).toBe(2);
    expect(p.differences).toHaveLength(1);
    expect(p.differences[0].index).toBe(1);
    expect(p.differences[0].what).toBe("byte 3: oracle 40, vnet 3f; oracle IP ttl 64 | vnet IP ttl 63");
  });

  it("marks every difference with the scenario's documented id, or the classifier's", () => {
    const all = comparePort("p2", ["a"], ["b"], { known: "bridge-static-sticky" });
    expect(all.differences.map((d) => d.known)).toEqual(["bridge-static-sticky"]);
    const some = comparePort("p2", ["a", "b"], [], {
      classify: (d) => (d.oracle === "a" ? "bridge-static-sticky" : undefined),
    });
    expect(some.differences.map((d) => d.known)).toEqual(["bridge-static-sticky", undefined]);
    expect(undocumented({ group: "g", scenario: "s", oracle: "o", ports: [some] })).toHaveLength(1);
  });

  it("refuses an id known.ts does not list (a typo must not pass as documented)", () => {
    expect(() => comparePort("p", ["a"], ["b"], { known: "no-such-id" })).toThrow(/no-such-id/);
    expect(() => comparePort("p", ["a"], ["b"], { classify: () => "nope" })).toThrow(/nope/);
  });

  it("comparePorts compares the union of port names", () => {
    const ps = comparePorts({ p1: ["a"], p2: [] }, { p1: ["a"], p3: ["c"] });
    expect(ps.map((p) => [p.port, p.oracle, p.vnet, p.differences.length])).toEqual([
      ["p1", 1, 1, 0],
      ["p2", 0, 0, 0],
      ["p3", 0, 1, 1],
    ]);
  });
});

describe("describeDifference", () => {
  it("says which side lacks the frame, or where two frames first differ", () => {
    expect(describeDifference("x", undefined)).toBe("missing in vnet: x");
    expect(describeDifference(undefined, "y")).toBe("extra in vnet: y");
    expect(describeDifference("f 0102", "f 010203")).toBe("length: oracle 2 B, vnet 3 B; oracle f | vnet f");
    expect(describeDifference("text one", "text two")).toBe("oracle text one | vnet text two");
  });
});
