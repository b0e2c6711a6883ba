import type { CaptureRecord } from "./record.js";

/** An iterator over a reader's records, `next()` returning null at the end (the pcap and pcapng readers). */
export function recordIterator(next: () => CaptureRecord | null): Iterator<CaptureRecord> {
  return {
    next: (): IteratorResult<CaptureRecord> => {
      const r = next();
      return r === null ? { done: true, value: undefined } : { done: false, value: r };
    },
  };
}
