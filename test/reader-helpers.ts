/**
 * Test helpers shared by the capture-reader tests (pcap, pcapng): a helper module, not a test.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { CaptureError } from "../captures/errors.js";
import { readCaptureBytes } from "../captures/reader.js";

/** Reads every record of `b`: it may stop with a CaptureError, never with anything else. */
export function expectRecordsOrCaptureError(b: Uint8Array): void {
  try {
    for (const _ of readCaptureBytes(b, "t"));
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureError);
  }
}

/** Property: up to 6 random byte changes in a valid file give records or a CaptureError, nothing else. */
export function checkRandomByteChanges(valid: Uint8Array, numRuns = 1000): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (edits) => {
        const b = valid.slice();
        for (const [i, v] of edits) b[i] = v;
        expectRecordsOrCaptureError(b);
      },
    ),
    { numRuns },
  );
}
