/**
 * The one error the codecs throw. `layer` names the protocol ("ethernet", "ipv4", "dns", …),
 * `reason` says what kind of fault, `offset` is the byte offset inside the buffer handed to the
 * codec where the fault was found. The one place that catches it is where a frame enters a device
 * (a counted drop by reason) or a printer (which prints what it could, like tcpdump's `[|proto]`).
 */
export type WireReason = "truncated" | "bad-length" | "bad-checksum" | "unsupported" | "malformed";

export class WireError extends Error {
  override readonly name = "WireError";
  constructor(
    readonly layer: string,
    readonly reason: WireReason,
    readonly offset: number,
    detail?: string,
  ) {
    super(`${layer}: ${reason} at offset ${offset}${detail ? `: ${detail}` : ""}`);
  }
}

/** Throws `truncated` unless `bytes` holds at least `need` bytes. */
export function needBytes(layer: string, bytes: Uint8Array, need: number, what?: string): void {
  if (bytes.byteLength < need) {
    throw new WireError(
      layer,
      "truncated",
      bytes.byteLength,
      `${what ?? "header"} needs ${need} bytes, have ${bytes.byteLength}`,
    );
  }
}

/** A DataView over exactly the bytes of `b` (forgetting byteOffset is the classic sub-view bug). */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
