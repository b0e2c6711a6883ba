/**
 * The shared contract of the tcpdump-style printers. Each protocol printer is a function
 * `printX(p: PrintContext, b: Uint8Array, length: number, …)`, where `b` is the *captured* bytes of
 * that protocol's header and payload (a view; it may be shorter than the on-wire `length` when the
 * capture was cut) and `length` is the length the enclosing header claims. A printer appends text
 * with `p.out(...)`. When it needs a byte beyond `b`, it throws `Truncated` (via the bounds-checked
 * getters below or `p.need`); the nearest protocol boundary that catches it prints ` [|proto]`, as
 * tcpdump's `nd_trunc_longjmp` does.
 */
export interface PrintOptions {
  /** -v count (0..3). */
  readonly verbose: number;
  /** -e: print the link-level header. */
  readonly linkHeader: boolean;
  /** -q: quick (less protocol information). */
  readonly quick: boolean;
  /** -x (1) / -xx (2): hex; -X / -XX: hex and ASCII; -A: ASCII. */
  readonly hex: 0 | 1 | 2;
  readonly hexAscii: boolean;
  readonly ascii: boolean;
  /** -n is always on (vnet never resolves names). */
}

export class Truncated extends Error {
  override readonly name = "Truncated";
  constructor(readonly at: number) {
    super("truncated");
  }
}

export class PrintContext {
  #parts: string[] = [];
  constructor(readonly opts: PrintOptions) {}
  out(s: string): void {
    this.#parts.push(s);
  }
  take(): string {
    const s = this.#parts.join("");
    this.#parts = [];
    return s;
  }
}

/** Throws Truncated unless `b` has `n` bytes from `off`. */
export function need(b: Uint8Array, off: number, n: number): void {
  if (off + n > b.byteLength) throw new Truncated(off);
}
export function u8(b: Uint8Array, off: number): number {
  if (off >= b.byteLength) throw new Truncated(off);
  return b[off];
}
export function u16(b: Uint8Array, off: number): number {
  if (off + 2 > b.byteLength) throw new Truncated(off);
  return (b[off] << 8) | b[off + 1];
}
export function u32(b: Uint8Array, off: number): number {
  if (off + 4 > b.byteLength) throw new Truncated(off);
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}
