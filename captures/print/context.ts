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

/** Per-conversation TCP sequence bases (tcpdump's tcp_seq_hash), kept across packets of one file. */
export interface TcpSeqBase {
  seq: number;
  ack: number;
}

export class PrintContext {
  #s = "";
  /**
   * The innermost protocol being printed (tcpdump's `ndo_protocol`): set it on entry to a printer
   * (`p.proto = "udp"`); when a `Truncated` reaches the top, ` [|<proto>]` is printed.
   */
  proto = "";
  /** Length of the link-level header (tcpdump's `ndo_ll_hdr_len`): -x/-X/-A dumps start after it. */
  llHdrLen = 0;
  /** TCP relative-sequence state, keyed by conversation; lives as long as the context (one file). */
  readonly tcpSeq = new Map<string, TcpSeqBase>();
  constructor(readonly opts: PrintOptions) {}
  out(s: string): void {
    this.#s += s;
  }
  take(): string {
    const s = this.#s;
    this.#s = "";
    return s;
  }
  /** tcpdump's `nd_print_trunc`: prints ` [|<proto>]` (current `proto`) and lets the caller go on or return. */
  trunc(): void {
    this.#s += ` [|${this.proto}]`;
  }
  /** tcpdump's `nd_print_invalid`: prints ` (invalid)`. */
  invalid(): void {
    this.#s += " (invalid)";
  }
  /** Whether unknown payloads are hex-dumped (tcpdump's `ND_DEFAULTPRINT` unless -x/-X/-A given). */
  get suppressDefault(): boolean {
    return this.opts.hex !== 0 || this.opts.hexAscii || this.opts.ascii;
  }
}

/**
 * Runs `fn` as printer `proto` and, if it runs out of captured bytes, prints ` [|proto]` there and
 * returns normally (tcpdump's local `goto trunc; ... nd_print_trunc()` pattern). Without `guard`, a
 * `Truncated` propagates to the packet's top level, which prints ` [|<p.proto>]` and ends the line
 * (tcpdump's `nd_trunc_longjmp`).
 */
export function guard(p: PrintContext, proto: string, fn: () => void): void {
  p.proto = proto;
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    p.proto = proto;
    p.trunc();
  }
}

/**
 * Thrown by `tcheck`: tcpdump's ND_TCHECK_* in printers that have their own `trunc:` label. The
 * printer that called `tcheck` catches it itself (see `local`), prints ` [|proto]` and returns to its
 * caller, which goes on; a plain `Truncated` (tcpdump's GET_* macros) ends the whole packet instead.
 */
export class TruncatedHere extends Error {
  override readonly name = "TruncatedHere";
}

/** ND_TCHECK_LEN: throws TruncatedHere unless `b` has `n` bytes from `off`. */
export function tcheck(b: Uint8Array, off: number, n: number): void {
  if (off + n > b.byteLength) throw new TruncatedHere("truncated");
}

/** Runs printer body `fn`; a `TruncatedHere` from it prints ` [|proto]` and returns normally. */
export function local(p: PrintContext, proto: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TruncatedHere)) throw e;
    p.proto = proto;
    p.trunc();
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
