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

/**
 * The TCP relative-sequence table (tcpdump's tcp_seq_hash4 / tcp_seq_hash6), keyed by conversation:
 * (address, port) of one side, then of the other, in the order tcpdump's `rev` test picks.
 *
 * This lookup runs for every ACK segment, so IPv4 keys are not strings and entries are not objects:
 * the two addresses and the two ports (as 32-bit integers) are hashed into a bucket, and entry `i`
 * lives in typed arrays (its key words and the next entry of its bucket side by side in `#keys`, its
 * bases in `#bases`), told apart within a bucket by comparing all three key words, as tcpdump's own
 * hash table does. An index into typed arrays beats both a Map and a chain of objects (no boxed
 * numbers, one cache line per probe). IPv6 conversations use a Map keyed by a string of 16-bit code
 * units made from the address bytes (still no text formatting).
 */
export class TcpSeqTable {
  /** IPv4 bucket heads (entry index, -1 for none), allocated on first use; the length is a power of 2. */
  #heads: Int32Array | null = null;
  /** Per IPv4 entry i: [4i] first key word, [4i+1] second, [4i+2] ports, [4i+3] next entry of the bucket (-1 ends). */
  #keys = new Int32Array(0);
  /** Per IPv4 entry i: [2i] seq base, [2i+1] ack base. */
  #bases = new Float64Array(0);
  #count = 0;
  readonly #v6 = new Map<string, TcpSeqBase>();

  /**
   * The entry for the segment whose IP header is `iph` (at offset `ip`): `rev` false keys it (src,
   * sport, dst, dport), true (dst, dport, src, sport), as tcpdump does so both directions share one entry.
   */
  get(iph: Uint8Array, rev: boolean, sport: number, dport: number, ip = 0): TcpSeqBase | undefined {
    if (iph[ip] >> 4 === 6) return this.#v6.get(v6Key(iph, ip, rev, sport, dport));
    const i = this.find4(iph, ip, rev, sport, dport);
    return i < 0 ? undefined : { seq: this.#bases[2 * i], ack: this.#bases[2 * i + 1] };
  }

  /** Stores `e`'s bases for the conversation `get` looks up with the same arguments. */
  set(iph: Uint8Array, rev: boolean, sport: number, dport: number, e: TcpSeqBase, ip = 0): void {
    if (iph[ip] >> 4 === 6) {
      this.#v6.set(v6Key(iph, ip, rev, sport, dport), { seq: e.seq, ack: e.ack });
      return;
    }
    this.store4(iph, ip, rev, sport, dport, e.seq, e.ack);
  }

  /** `get` for an IPv4 header at `iph[ip]`: the entry's index (for `seqAt`/`ackAt`), or -1. */
  find4(iph: Uint8Array, ip: number, rev: boolean, sport: number, dport: number): number {
    const heads = this.#heads;
    if (heads === null) return -1;
    const src = (iph[ip + 12] << 24) | (iph[ip + 13] << 16) | (iph[ip + 14] << 8) | iph[ip + 15];
    const dst = (iph[ip + 16] << 24) | (iph[ip + 17] << 16) | (iph[ip + 18] << 8) | iph[ip + 19];
    const a = rev ? dst : src;
    const b = rev ? src : dst;
    const ports = rev ? (dport << 16) | sport : (sport << 16) | dport;
    const keys = this.#keys;
    for (let i = heads[v4Hash(a, b, ports) & (heads.length - 1)]; i >= 0; i = keys[4 * i + 3]) {
      const k = 4 * i;
      if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === ports) return i;
    }
    return -1;
  }

  /** The seq base of IPv4 entry `i` (from `find4`). */
  seqAt(i: number): number {
    return this.#bases[2 * i];
  }

  /** The ack base of IPv4 entry `i` (from `find4`). */
  ackAt(i: number): number {
    return this.#bases[2 * i + 1];
  }

  /** `set` for an IPv4 header at `iph[ip]`, the bases given as numbers. */
  store4(
    iph: Uint8Array,
    ip: number,
    rev: boolean,
    sport: number,
    dport: number,
    seq: number,
    ack: number,
  ): void {
    let i = this.find4(iph, ip, rev, sport, dport);
    if (i < 0) {
      const src = (iph[ip + 12] << 24) | (iph[ip + 13] << 16) | (iph[ip + 14] << 8) | iph[ip + 15];
      const dst = (iph[ip + 16] << 24) | (iph[ip + 17] << 16) | (iph[ip + 18] << 8) | iph[ip + 19];
      i = this.#add(rev ? dst : src, rev ? src : dst, rev ? (dport << 16) | sport : (sport << 16) | dport);
    }
    this.#bases[2 * i] = seq;
    this.#bases[2 * i + 1] = ack;
  }

  /** A new IPv4 entry for the key words (not already present); grows the arrays and the buckets as needed. */
  #add(a: number, b: number, ports: number): number {
    const i = this.#count;
    if (4 * i === this.#keys.length) {
      const cap = Math.max(1024, 2 * i);
      const keys = new Int32Array(4 * cap);
      keys.set(this.#keys);
      this.#keys = keys;
      const bases = new Float64Array(2 * cap);
      bases.set(this.#bases);
      this.#bases = bases;
    }
    this.#count = i + 1;
    // At most two entries per bucket on average: double the buckets and re-chain when there are more.
    if (this.#heads === null || this.#count > 2 * this.#heads.length) this.#rehash(this.#heads?.length ?? 0);
    const heads = this.#heads as Int32Array;
    const keys = this.#keys;
    const h = v4Hash(a, b, ports) & (heads.length - 1);
    keys[4 * i] = a;
    keys[4 * i + 1] = b;
    keys[4 * i + 2] = ports;
    keys[4 * i + 3] = heads[h];
    heads[h] = i;
    return i;
  }

  #rehash(old: number): void {
    const heads = new Int32Array(old === 0 ? V4_BUCKETS : 2 * old).fill(-1);
    const keys = this.#keys;
    // Entries already in the table (all but the one being added, which #add chains itself).
    for (let i = 0; i < this.#count - 1; i++) {
      const k = 4 * i;
      const h = v4Hash(keys[k], keys[k + 1], keys[k + 2]) & (heads.length - 1);
      keys[k + 3] = heads[h];
      heads[h] = i;
    }
    this.#heads = heads;
  }
}

/** Initial number of IPv4 buckets (a power of 2). */
const V4_BUCKETS = 4096;

/** Mixes the three key words into a 32-bit hash (multiplicative hashing; collisions are chained). */
function v4Hash(a: number, b: number, ports: number): number {
  let h = Math.imul(a, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca77);
  h = Math.imul(h ^ ports, 0xc2b2ae3d);
  return h ^ (h >>> 15);
}

/** IPv6 key: 8 + 8 address groups and 2 ports as UTF-16 code units (exact; 36 bytes of key). */
function v6Key(iph: Uint8Array, ip: number, rev: boolean, sport: number, dport: number): string {
  const a = ip + (rev ? 24 : 8);
  const b = ip + (rev ? 8 : 24);
  let k = "";
  for (let i = 0; i < 16; i += 2) k += String.fromCharCode((iph[a + i] << 8) | iph[a + i + 1]);
  for (let i = 0; i < 16; i += 2) k += String.fromCharCode((iph[b + i] << 8) | iph[b + i + 1]);
  return k + String.fromCharCode(rev ? dport : sport, rev ? sport : dport);
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
  readonly tcpSeq = new TcpSeqTable();
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
    localCatch(p, proto, e);
  }
}

/**
 * The `catch` half of `local`, for the printers every packet goes through (IPv4, IPv6, TCP, ICMP):
 * they write `try { body(…) } catch (e) { localCatch(p, proto, e) }` so that no closure is
 * allocated per packet. Prints ` [|proto]` for a `TruncatedHere`, rethrows anything else.
 */
export function localCatch(p: PrintContext, proto: string, e: unknown): void {
  if (!(e instanceof TruncatedHere)) throw e;
  p.proto = proto;
  p.trunc();
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
