import { describe, expect, it } from "vitest";
import { parseIpv4Address } from "../wire/addr.js";
import { checksumOk } from "../wire/checksum.js";
import { checkOptions, forwardOptions, OPTIONS_OK, OPTIONS_SOURCE_ROUTE } from "./options.js";
import { fillIpv4Checksum } from "./packet.js";

/** A 20-byte header + `opts` (IHL adjusted, checksum filled), at offset `at` of a buffer. */
function header(opts: readonly number[], at = 0): Uint8Array {
  const b = new Uint8Array(at + 20 + opts.length);
  b[at] = 0x40 | ((20 + opts.length) / 4);
  b[at + 8] = 63;
  b[at + 9] = 17;
  b.set([10, 0, 2, 15, 198, 51, 100, 10], at + 12);
  b.set(opts, at + 20);
  fillIpv4Checksum(b, at);
  return b;
}

const OUT = parseIpv4Address("198.51.100.2");

describe("forwardOptions (Linux ip_forward_options: Record Route)", () => {
  it("writes the outgoing address into the next free slot, advances the pointer, fixes the checksum", () => {
    const b = header([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0], 14);
    expect(forwardOptions(b, 14, OUT)).toBe(true);
    expect(Array.from(b.subarray(34, 46))).toEqual([7, 11, 8, 198, 51, 100, 2, 0, 0, 0, 0, 0]);
    expect(checksumOk(b.subarray(14, 46))).toBe(true);
    expect(forwardOptions(b, 14, parseIpv4Address("10.0.2.2"))).toBe(true);
    expect(Array.from(b.subarray(34, 46))).toEqual([7, 11, 12, 198, 51, 100, 2, 10, 0, 2, 2, 0]);
  });

  it("leaves a full Record Route, NOP/EOL padding and unknown options as they are", () => {
    for (const opts of [
      [7, 7, 8, 10, 0, 2, 15, 0],
      [1, 1, 1, 0],
      [0x94, 4, 0, 0], // Router Alert
      [7, 2, 0, 0], // too short to hold a pointer: malformed, left alone
      [7, 40, 4, 0], // longer than the header: malformed
    ]) {
      const b = header(opts);
      const before = b.slice();
      expect(forwardOptions(b, 0, OUT)).toBe(false);
      expect(b).toEqual(before);
    }
  });

  it("finds Record Route after other options", () => {
    const b = header([1, 0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0]);
    expect(forwardOptions(b, 0, OUT)).toBe(true);
    expect(Array.from(b.subarray(25, 32))).toEqual([7, 7, 8, 198, 51, 100, 2]);
    expect(checksumOk(b.subarray(0, 32))).toBe(true);
  });
});

describe("checkOptions (Linux ip_options_compile on input)", () => {
  it("accepts well-formed options, with or without a free Record Route slot", () => {
    for (const opts of [
      [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [7, 7, 8, 10, 0, 2, 15, 0],
      [1, 1, 1, 0],
      [0x94, 4, 0, 0],
      [0x44, 8, 5, 0, 0, 0, 0, 0], // Timestamp: passed through, not validated
      [0, 7, 2, 0], // EOL first: the rest is padding
    ]) {
      expect(checkOptions(header(opts), 0), JSON.stringify(opts)).toBe(OPTIONS_OK);
    }
  });

  it("reports a source route, to be dropped silently", () => {
    expect(checkOptions(header([131, 7, 4, 198, 51, 100, 10, 0]), 0)).toBe(OPTIONS_SOURCE_ROUTE);
    expect(checkOptions(header([137, 7, 4, 198, 51, 100, 10, 0]), 0)).toBe(OPTIONS_SOURCE_ROUTE);
  });

  it("points at the offending byte of a malformed option (the parameter problem pointer)", () => {
    const cases: [number[], number][] = [
      [[7, 7, 2, 0, 0, 0, 0, 0], 22], // RR pointer < 4
      [[7, 2, 0, 0], 21], // RR too short for a pointer
      [[7, 9, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0], 22], // RR pointer leaves no room for an address
      [[7, 40, 4, 0], 20], // longer than the header
      [[1, 1, 1, 7], 23], // an option with no room for its length
      [[7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0, 0], 27], // a second RR
      [[0x94, 3, 0, 0], 21], // Router Alert shorter than 4
      [[131, 7, 2, 0, 0, 0, 0, 0], 22], // LSRR pointer < 4
    ];
    for (const [opts, ptr] of cases) expect(checkOptions(header(opts), 0), JSON.stringify(opts)).toBe(ptr);
  });
});
