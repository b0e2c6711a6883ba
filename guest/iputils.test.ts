import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatFloatG, formatReplyTime, icmpErrorText, llsqrt, msFixed3, RttStats } from "./iputils.js";

// Reference: iputils ping/ping_common.c (gather_statistics), ping/ping_output.c (ping_print_finish,
// ping_print_statistics, llsqrt) and ping/ping.c (pr_icmph). Expected strings are what glibc's printf
// gives for the same C expressions.

describe("loss percentage (printf %g of a float)", () => {
  it("prints whole numbers without decimals and fractions with 6 significant digits", () => {
    expect(formatFloatG(0)).toBe("0");
    expect(formatFloatG(25)).toBe("25");
    expect(formatFloatG(100)).toBe("100");
    expect(formatFloatG((1 * 100.0) / 3)).toBe("33.3333");
    expect(formatFloatG((2 * 100.0) / 3)).toBe("66.6667");
    expect(formatFloatG((1 * 100.0) / 7)).toBe("14.2857");
    expect(formatFloatG((1 * 100.0) / 8)).toBe("12.5");
    expect(formatFloatG((1 * 100.0) / 1000)).toBe("0.1");
  });

  it("switches to exponent form below 1e-4, like %g", () => {
    expect(formatFloatG(100 / 2_000_000)).toBe("5e-05");
    expect(formatFloatG(1234567)).toBe("1.23457e+06");
  });
});

describe("rtt statistics", () => {
  it("min/avg/max/mdev with iputils' integer arithmetic", () => {
    const st = new RttStats();
    for (const t of [45, 60, 75, 60]) st.add(t);
    // tsum 240, tsum2 14850: avg 60, var trunc((14850 - 240*240/4) / 4) = 112, llsqrt(112) = 10
    expect(st.summary(4)).toEqual({ min: 45, avg: 60, max: 75, mdev: 10 });
  });

  it("a single sample has mdev 0", () => {
    const st = new RttStats();
    st.add(1234);
    expect(st.summary(1)).toEqual({ min: 1234, avg: 1234, max: 1234, mdev: 0 });
  });

  it("no samples: no statistics", () => {
    expect(new RttStats().summary(0)).toBeNull();
  });

  it("llsqrt is iputils' Newton iteration: the integer square root or one above it", () => {
    // iputils returns the last iterate, not the smaller one: llsqrt(24) = 5 (floor would be 4).
    expect(llsqrt(24)).toBe(5);
    expect(llsqrt(112)).toBe(10);
    expect(llsqrt(0)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (a) => {
        const r = llsqrt(a);
        const f = Math.floor(Math.sqrt(a));
        expect(r === f || r === f + 1).toBe(true);
      }),
    );
  });
});

describe("time formatting", () => {
  it("%ld.%03ld of microseconds", () => {
    expect(msFixed3(45)).toBe("0.045");
    expect(msFixed3(1000)).toBe("1.000");
    expect(msFixed3(123456)).toBe("123.456");
  });

  it("reply times pick their precision by magnitude", () => {
    expect(formatReplyTime(45)).toBe("0.045");
    expect(formatReplyTime(1234)).toBe("1.23");
    expect(formatReplyTime(1235)).toBe("1.24");
    expect(formatReplyTime(12345)).toBe("12.3");
    expect(formatReplyTime(99949)).toBe("99.9");
    expect(formatReplyTime(99950)).toBe("100");
    expect(formatReplyTime(250400)).toBe("250");
  });
});

describe("ICMP error texts (pr_icmph)", () => {
  it("names destination unreachable codes and time exceeded", () => {
    expect(icmpErrorText(3, 1)).toBe("Destination Host Unreachable");
    expect(icmpErrorText(3, 0)).toBe("Destination Net Unreachable");
    expect(icmpErrorText(3, 3)).toBe("Destination Port Unreachable");
    expect(icmpErrorText(3, 4, 1280)).toBe("Frag needed and DF set (mtu = 1280)");
    expect(icmpErrorText(11, 0)).toBe("Time to live exceeded");
    expect(icmpErrorText(3, 99)).toBe("Dest Unreachable, Bad Code: 99");
  });
});
