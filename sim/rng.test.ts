import { describe, expect, it } from "vitest";
import { Rng } from "./rng.js";

// Properties follow the usual checks for a simulation PRNG (cf. ns-3's RngStream substreams): streams
// are reproducible from (seed, name), independent across names, and the derived distributions have
// the right moments. All numbers come from fixed seeds, so every bound below is deterministic.

function take(r: Rng, n: number): number[] {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(r.u32());
  return xs;
}

describe("Rng streams", () => {
  it("are reproducible: the same (seed, name) gives the same sequence", () => {
    expect(take(Rng.derive(1, "link:a:loss"), 100)).toEqual(take(Rng.derive(1, "link:a:loss"), 100));
  });

  it("differ by seed and by name, and drawing from one never shifts another", () => {
    const a = take(Rng.derive(1, "x"), 20);
    expect(take(Rng.derive(2, "x"), 20)).not.toEqual(a);
    expect(take(Rng.derive(1, "y"), 20)).not.toEqual(a);
    // Interleaving draws of a second stream does not change the first's.
    const r1 = Rng.derive(1, "x");
    const r2 = Rng.derive(1, "y");
    const inter: number[] = [];
    for (let i = 0; i < 20; i++) {
      inter.push(r1.u32());
      r2.u32();
      r2.float();
    }
    expect(inter).toEqual(a);
  });

  it("streams for similar names are uncorrelated (sign agreement near 1/2)", () => {
    const r1 = Rng.derive(5, "nic0");
    const r2 = Rng.derive(5, "nic1");
    let same = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) if (r1.u32() >>> 31 === r2.u32() >>> 31) same++;
    expect(Math.abs(same / n - 0.5)).toBeLessThan(0.02);
  });

  it("u32 covers 32 bits; float is in [0, 1)", () => {
    const r = Rng.derive(3, "range");
    let orAll = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r.u32();
      expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
      orAll |= x;
      const f = r.float();
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    expect(orAll >>> 0).toBe(0xffffffff);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(min).toBeLessThan(0.001);
    expect(max).toBeGreaterThan(0.999);
  });
});

describe("Rng.int", () => {
  it("stays in [lo, hi] inclusive and hits both ends", () => {
    const r = Rng.derive(9, "int");
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.int(-3, 3);
      expect(x).toBeGreaterThanOrEqual(-3);
      expect(x).toBeLessThanOrEqual(3);
      seen.add(x);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(r.int(5, 5)).toBe(5);
  });

  it("is unbiased where modulo would not be: span 3·2^30 (chi-square over 3 bins)", () => {
    // With plain `u32 % span`, values below 2^30 would come up twice as often as the others.
    const r = Rng.derive(11, "bias");
    const span = 3 * 2 ** 30;
    const bins = [0, 0, 0];
    const n = 30000;
    for (let i = 0; i < n; i++) bins[Math.floor(r.int(0, span - 1) / 2 ** 30)]++;
    const e = n / 3;
    const chi2 = bins.reduce((acc, b) => acc + (b - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(13.8); // p = 0.001 for 2 degrees of freedom
  });

  it("is uniform over a small range (chi-square over 10 bins)", () => {
    const r = Rng.derive(12, "uniform");
    const bins = new Array<number>(10).fill(0);
    const n = 50000;
    for (let i = 0; i < n; i++) bins[r.int(0, 9)]++;
    const e = n / 10;
    const chi2 = bins.reduce((acc, b) => acc + (b - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
  });

  it("rejects empty or too-large ranges", () => {
    const r = Rng.derive(1, "bad");
    expect(() => r.int(3, 2)).toThrow(RangeError);
    expect(() => r.int(0, 2 ** 32)).toThrow(RangeError);
    expect(() => r.int(0, Number.NaN)).toThrow(RangeError);
    expect(r.int(0, 2 ** 32 - 1)).toBeGreaterThanOrEqual(0);
  });
});

describe("Rng distributions", () => {
  const moments = (xs: number[]): { mean: number; sd: number } => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
    return { mean, sd: Math.sqrt(v) };
  };

  it("normal(mean, sd) has that mean and sd, and about 68% within one sd", () => {
    const r = Rng.derive(21, "normal");
    const xs: number[] = [];
    for (let i = 0; i < 40000; i++) xs.push(r.normal(10, 2));
    const m = moments(xs);
    expect(Math.abs(m.mean - 10)).toBeLessThan(0.05);
    expect(Math.abs(m.sd - 2)).toBeLessThan(0.05);
    const within = xs.filter((x) => Math.abs(x - 10) < 2).length / xs.length;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.01);
  });

  it("exponential(mean) has that mean, sd = mean, and is never negative", () => {
    const r = Rng.derive(22, "exp");
    const xs: number[] = [];
    for (let i = 0; i < 40000; i++) xs.push(r.exponential(5));
    const m = moments(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.abs(m.mean - 5)).toBeLessThan(0.1);
    expect(Math.abs(m.sd - 5)).toBeLessThan(0.15);
  });

  it("chance(p) hits about p, and is exact at 0 and 1", () => {
    const r = Rng.derive(23, "chance");
    let hits = 0;
    for (let i = 0; i < 20000; i++) if (r.chance(0.3)) hits++;
    expect(Math.abs(hits / 20000 - 0.3)).toBeLessThan(0.015);
    for (let i = 0; i < 100; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(1)).toBe(true);
    }
  });

  it("bytes fills the whole buffer, any length", () => {
    const r = Rng.derive(24, "bytes");
    const b = r.bytes(new Uint8Array(7));
    expect(b.length).toBe(7);
    expect(Rng.derive(24, "bytes").bytes(new Uint8Array(7))).toEqual(b);
    const big = r.bytes(new Uint8Array(4096));
    expect(new Set(big).size).toBeGreaterThan(250);
  });
});
