import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatRate,
  parseDuration,
  parseProbability,
  parseRate,
  parseSize,
  UnitError,
} from "./units.js";

describe("durations (to integer ns)", () => {
  it("parses every unit", () => {
    expect(parseDuration("10ns")).toBe(10);
    expect(parseDuration("250us")).toBe(250_000);
    expect(parseDuration("250µs")).toBe(250_000);
    expect(parseDuration("5ms")).toBe(5_000_000);
    expect(parseDuration("1.5s")).toBe(1_500_000_000);
    expect(parseDuration("2m")).toBe(120e9);
    expect(parseDuration("1h")).toBe(3600e9);
    expect(parseDuration("1d")).toBe(86400e9);
    expect(parseDuration(" 30 s ")).toBe(30e9);
    expect(parseDuration(".5ms")).toBe(500_000);
  });

  it("takes 0 without a unit, nothing else", () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration("0")).toBe(0);
    expect(() => parseDuration(5)).toThrow(/with a unit.*got 5 \(no unit\)/);
    expect(() => parseDuration("5")).toThrow(/no unit/);
  });

  it("refuses unknown units and junk, naming them", () => {
    expect(() => parseDuration("5 parsecs")).toThrow(UnitError);
    expect(() => parseDuration("5sec")).toThrow(/unknown duration unit "sec"/);
    expect(() => parseDuration("-5s")).toThrow(UnitError);
    expect(() => parseDuration(true)).toThrow(/got true/);
    expect(() => parseDuration("s")).toThrow(UnitError);
  });

  it("round-trips through formatDuration for whole units", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.constantFrom("us", "ms", "s", "m", "h"), (n, u) => {
        const t = parseDuration(`${n}${u}`);
        expect(parseDuration(formatDuration(t))).toBe(t);
      }),
    );
  });
});

describe("rates (tc(8) units)", () => {
  it("bit units are SI, bps units are bytes per second", () => {
    expect(parseRate("64kbit")).toBe(64_000);
    expect(parseRate("100mbit")).toBe(100e6);
    expect(parseRate("1gbit")).toBe(1e9);
    expect(parseRate("1Gbit")).toBe(1e9);
    expect(parseRate("300bit")).toBe(300);
    expect(parseRate("1mibit")).toBe(1024 * 1024);
    expect(parseRate("10mbps")).toBe(80e6); // tc: bps = bytes per second
    expect(parseRate("1kbps")).toBe(8000);
  });

  it("refuses a bare number and unknown units", () => {
    expect(() => parseRate(100)).toThrow(/no unit/);
    expect(() => parseRate("100")).toThrow(/no unit/);
    expect(() => parseRate("100mb")).toThrow(/unknown rate unit "mb"/);
    expect(() => parseRate("0mbit")).toThrow(/above 0/);
  });

  it("formats like tc", () => {
    expect(formatRate(100e6)).toBe("100mbit");
    expect(formatRate(64_000)).toBe("64kbit");
    expect(formatRate(1.5e9)).toBe("1.5gbit");
  });
});

describe("sizes and probabilities", () => {
  it("sizes: bytes, binary and SI multiples", () => {
    expect(parseSize(1500)).toBe(1500);
    expect(parseSize("1500")).toBe(1500);
    expect(parseSize("1500B")).toBe(1500);
    expect(parseSize("64KiB")).toBe(65536);
    expect(parseSize("1MB")).toBe(1e6);
    expect(() => parseSize("1.5")).toThrow(/whole bytes/);
    expect(() => parseSize("3 furlongs")).toThrow(UnitError);
  });

  it("loss: percent or probability, within 0..1", () => {
    expect(parseProbability("1%")).toBe(0.01);
    expect(parseProbability("0.5 %")).toBe(0.005);
    expect(parseProbability(0.01)).toBe(0.01);
    expect(parseProbability("0.25")).toBe(0.25);
    expect(() => parseProbability("200%")).toThrow(/between 0 and 100%/);
    expect(() => parseProbability(1.5)).toThrow(UnitError);
    expect(() => parseProbability("lots")).toThrow(UnitError);
  });
});
