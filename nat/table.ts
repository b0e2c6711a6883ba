/**
 * The connection table: every tracked connection is an entry with two tuples, the ORIGINAL direction
 * (as the first packet looked) and the REPLY direction (what an answer looks like after NAT), both in
 * one hash table, like Linux's nf_conntrack hash of `tuplehash[2]`.
 *
 * Storage is struct-of-arrays over typed arrays, grown by doubling up to the table limit: no object
 * per entry and no string keys, so a lookup is a hash of four numbers and a walk of a short chain of
 * integer indices. An entry `e` owns the two tuple nodes `2e` (original) and `2e + 1` (reply).
 *
 * A tuple is four unsigned 32-bit numbers:
 * - `pk`: the protocol key, the IP protocol number; for ICMP queries also the type << 8 and the
 *   code << 16 (an echo request and its reply differ in type, as in the kernel's tuples);
 * - `src`, `dst`: the addresses;
 * - `ports`: source port << 16 | destination port (TCP, UDP); id << 16 | id for ICMP queries; 0 for
 *   protocols without ports.
 */

/** Entry status bits (a subset of the kernel's IPS_* bits, plus vnet's bookkeeping). */
export const CtStatus = {
  /** A packet was seen in the reply direction (IPS_SEEN_REPLY). */
  SEEN_REPLY: 0x1,
  /** IPS_ASSURED: not dropped early when the table is full. */
  ASSURED: 0x2,
  /** The source of the original direction is rewritten (IPS_SRC_NAT). */
  SRC_NAT: 0x4,
  /** The destination of the original direction is rewritten (IPS_DST_NAT). */
  DST_NAT: 0x8,
  /** The source-NAT decision has been taken (IPS_SRC_NAT_DONE). */
  SRC_NAT_DONE: 0x10,
  /** The destination-NAT decision has been taken (IPS_DST_NAT_DONE). */
  DST_NAT_DONE: 0x20,
  /** TCP: a SYN was seen from both sides (IP_CT_TCP_SIMULTANEOUS_OPEN). */
  TCP_SIMOPEN: 0x40,
  /** TCP: one side started closing (IP_CT_TCP_FLAG_CLOSE_INIT, either direction). */
  TCP_CLOSE_INIT: 0x80,
  /** The entry is in use (allocated). */
  LIVE: 0x100,
  /** The entry is on the by-source hash (it is source-NATed). */
  BY_SOURCE: 0x200,
} as const;

const INITIAL_CAPACITY = 1024;

/** 32-bit hash of a tuple (murmur3-style mixing; deterministic, no seed). */
export function tupleHash(pk: number, src: number, dst: number, ports: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593) ^ dst;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) ^ ports;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) ^ pk;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class ConnTable {
  /** The table limit (nf_conntrack_max). */
  readonly max: number;
  /** Allocated slots (grows by doubling up to `max`). */
  capacity = 0;
  /** Live entries (expired ones not yet reaped included). */
  count = 0;

  // Per node (2 per entry).
  nPk = new Uint32Array(0);
  nSrc = new Uint32Array(0);
  nDst = new Uint32Array(0);
  nPorts = new Uint32Array(0);
  next = new Int32Array(0);

  // Per entry.
  status = new Uint16Array(0);
  tcpState = new Uint8Array(0);
  /** TCP: flag class and direction of the last segment that moved the state (last_index, last_dir). */
  lastIndex = new Uint8Array(0);
  lastDir = new Uint8Array(0);
  /** TCP: seq + length of the last ignored segment (last_end), to recognise a SYN/ACK answering it. */
  lastEnd = new Uint32Array(0);
  /** Absolute expiry time in ns; an entry is dead once `expires <= now` (killed entries get -1). */
  expires = new Float64Array(0);
  /** Creation time in ns (UDP "stream" detection: still active 2 s after creation). */
  created = new Float64Array(0);
  /** Creation order, for dumps in insertion order. */
  order = new Float64Array(0);
  /** Generation, bumped on free: a cached (entry, gen) pair is valid only while it matches. */
  gen = new Uint32Array(0);
  /** RFC 4787 modes: the mapping an unsolicited inbound entry came in through (-1 for none). */
  mapping = new Int32Array(0);
  /** RFC 4787 modes: the mapping this entry's source NAT uses (-1 for none). */
  outMapping = new Int32Array(0);
  /** Interface the first packet came in on (an id of the NAT's interface registry, 0 = none/local). */
  inIf = new Uint16Array(0);
  /** Links of the by-source hash (Linux nf_nat_bysource), -1 terminated. */
  srcNext = new Int32Array(0);
  srcPrev = new Int32Array(0);

  buckets = new Int32Array(0);
  /** Heads of the by-source chains: source-NATed entries by (protocol, original source, source port). */
  srcBuckets = new Int32Array(0);
  mask = 0;
  #free = new Int32Array(0);
  #freeTop = 0;
  #order = 0;
  #gcCursor = 0;
  /** Called with an entry index just before it is freed (the NAT releases its mapping). */
  onFree: ((e: number) => void) | null = null;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`conntrack max ${max} must be an integer >= 1`);
    this.max = max;
    this.#grow(Math.min(max, INITIAL_CAPACITY));
  }

  #grow(cap: number): void {
    const old = this.capacity;
    const copyU32 = (a: Uint32Array, n: number) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    const n2 = cap * 2;
    this.nPk = copyU32(this.nPk, n2);
    this.nSrc = copyU32(this.nSrc, n2);
    this.nDst = copyU32(this.nDst, n2);
    this.nPorts = copyU32(this.nPorts, n2);
    const next = new Int32Array(n2);
    next.set(this.next);
    this.next = next;
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.status = grow(this.status, (n) => new Uint16Array(n));
    this.tcpState = grow(this.tcpState, (n) => new Uint8Array(n));
    this.lastIndex = grow(this.lastIndex, (n) => new Uint8Array(n));
    this.lastDir = grow(this.lastDir, (n) => new Uint8Array(n));
    this.lastEnd = grow(this.lastEnd, (n) => new Uint32Array(n));
    this.expires = grow(this.expires, (n) => new Float64Array(n));
    this.created = grow(this.created, (n) => new Float64Array(n));
    this.order = grow(this.order, (n) => new Float64Array(n));
    this.gen = grow(this.gen, (n) => new Uint32Array(n));
    this.mapping = grow(this.mapping, (n) => new Int32Array(n));
    this.outMapping = grow(this.outMapping, (n) => new Int32Array(n));
    this.inIf = grow(this.inIf, (n) => new Uint16Array(n));
    this.srcNext = grow(this.srcNext, (n) => new Int32Array(n));
    this.srcPrev = grow(this.srcPrev, (n) => new Int32Array(n));
    // Free slots are handed out lowest index first.
    const free = new Int32Array(cap);
    free.set(this.#free.subarray(0, this.#freeTop));
    let top = this.#freeTop;
    for (let e = cap - 1; e >= old; e--) free[top++] = e;
    this.#free = free;
    this.#freeTop = top;
    this.capacity = cap;
    // Buckets: a power of two at least the capacity (load factor <= 1 per direction pair).
    let nb = 1;
    while (nb < cap) nb <<= 1;
    this.buckets = new Int32Array(nb).fill(-1);
    this.srcBuckets = new Int32Array(nb).fill(-1);
    this.mask = nb - 1;
    for (let e = 0; e < old; e++) {
      if (this.status[e] & CtStatus.LIVE) {
        this.#link(2 * e);
        this.#link(2 * e + 1);
        if (this.status[e] & CtStatus.BY_SOURCE) {
          this.status[e] &= ~CtStatus.BY_SOURCE;
          this.linkSource(e);
        }
      }
    }
  }

  /** The by-source bucket of (protocol, address, port). */
  sourceBucket(proto: number, addr: number, port: number): number {
    return tupleHash(proto, addr, 0, port) & this.mask;
  }

  #sourceBucketOf(e: number): number {
    const o = 2 * e;
    const proto = this.nPk[o] & 0xff;
    const port = proto === 6 || proto === 17 || proto === 1 ? this.nPorts[o] >>> 16 : 0;
    return this.sourceBucket(proto, this.nSrc[o], port);
  }

  /** Puts entry `e` at the head of its by-source chain. */
  linkSource(e: number): void {
    if (this.status[e] & CtStatus.BY_SOURCE) return;
    const b = this.#sourceBucketOf(e);
    const head = this.srcBuckets[b];
    this.srcPrev[e] = -1;
    this.srcNext[e] = head;
    if (head >= 0) this.srcPrev[head] = e;
    this.srcBuckets[b] = e;
    this.status[e] |= CtStatus.BY_SOURCE;
  }

  #unlinkSource(e: number): void {
    if (!(this.status[e] & CtStatus.BY_SOURCE)) return;
    const prev = this.srcPrev[e];
    const next = this.srcNext[e];
    if (prev >= 0) this.srcNext[prev] = next;
    else this.srcBuckets[this.#sourceBucketOf(e)] = next;
    if (next >= 0) this.srcPrev[next] = prev;
    this.status[e] &= ~CtStatus.BY_SOURCE;
  }

  #link(node: number): void {
    const b = tupleHash(this.nPk[node], this.nSrc[node], this.nDst[node], this.nPorts[node]) & this.mask;
    this.next[node] = this.buckets[b];
    this.buckets[b] = node;
  }

  #unlink(node: number): void {
    const b = tupleHash(this.nPk[node], this.nSrc[node], this.nDst[node], this.nPorts[node]) & this.mask;
    let prev = -1;
    for (let n = this.buckets[b]; n >= 0; n = this.next[n]) {
      if (n === node) {
        if (prev < 0) this.buckets[b] = this.next[n];
        else this.next[prev] = this.next[n];
        return;
      }
      prev = n;
    }
  }

  /**
   * The node (2e + dir) whose tuple equals the given one, or -1. An expired entry met on the way is
   * freed and not returned (lazy expiry on lookup).
   */
  lookup(pk: number, src: number, dst: number, ports: number, now: number): number {
    const b = tupleHash(pk, src, dst, ports) & this.mask;
    for (let n = this.buckets[b]; n >= 0; n = this.next[n]) {
      if (this.nPorts[n] === ports && this.nSrc[n] === src && this.nDst[n] === dst && this.nPk[n] === pk) {
        const e = n >> 1;
        if (this.expires[e] <= now) {
          this.free(e);
          return -1;
        }
        return n;
      }
    }
    return -1;
  }

  /** Like `lookup` but ignores entry `self` and does not reap: is this tuple taken by another entry? */
  taken(pk: number, src: number, dst: number, ports: number, self: number, now: number): boolean {
    const b = tupleHash(pk, src, dst, ports) & this.mask;
    for (let n = this.buckets[b]; n >= 0; n = this.next[n]) {
      if (
        n >> 1 !== self &&
        this.nPorts[n] === ports &&
        this.nSrc[n] === src &&
        this.nDst[n] === dst &&
        this.nPk[n] === pk &&
        this.expires[n >> 1] > now
      ) {
        return true;
      }
    }
    return false;
  }

  /** Whether another slot can be allocated without exceeding the limit. */
  get full(): boolean {
    return this.count >= this.max;
  }

  /**
   * Allocates an entry with both tuples set and linked, or returns -1 when the table is at its limit
   * (the caller reaps / drops early first). Status is LIVE, everything else zero.
   */
  alloc(
    pk: number,
    src: number,
    dst: number,
    ports: number,
    rpk: number,
    rsrc: number,
    rdst: number,
    rports: number,
    now: number,
  ): number {
    if (this.count >= this.max) return -1;
    if (this.#freeTop === 0) this.#grow(Math.min(this.max, this.capacity * 2));
    const e = this.#free[--this.#freeTop];
    this.count++;
    const o = 2 * e;
    this.nPk[o] = pk;
    this.nSrc[o] = src;
    this.nDst[o] = dst;
    this.nPorts[o] = ports;
    this.nPk[o + 1] = rpk;
    this.nSrc[o + 1] = rsrc;
    this.nDst[o + 1] = rdst;
    this.nPorts[o + 1] = rports;
    this.#link(o);
    this.#link(o + 1);
    this.status[e] = CtStatus.LIVE;
    this.tcpState[e] = 0;
    this.lastIndex[e] = 5;
    this.lastDir[e] = 0;
    this.lastEnd[e] = 0;
    this.expires[e] = now;
    this.created[e] = now;
    this.order[e] = this.#order++;
    this.mapping[e] = -1;
    this.outMapping[e] = -1;
    this.inIf[e] = 0;
    this.srcNext[e] = -1;
    this.srcPrev[e] = -1;
    return e;
  }

  /** Changes the tuple of one node (the reply tuple after a NAT decision), keeping the hash consistent. */
  setTuple(node: number, pk: number, src: number, dst: number, ports: number): void {
    this.#unlink(node);
    this.nPk[node] = pk;
    this.nSrc[node] = src;
    this.nDst[node] = dst;
    this.nPorts[node] = ports;
    this.#link(node);
  }

  /** Removes entry `e` from the table. */
  free(e: number): void {
    if (!(this.status[e] & CtStatus.LIVE)) return;
    this.onFree?.(e);
    this.#unlinkSource(e);
    this.#unlink(2 * e);
    this.#unlink(2 * e + 1);
    this.status[e] = 0;
    this.gen[e] = (this.gen[e] + 1) >>> 0;
    this.mapping[e] = -1;
    this.outMapping[e] = -1;
    this.#free[this.#freeTop++] = e;
    this.count--;
  }

  isLive(e: number): boolean {
    return (this.status[e] & CtStatus.LIVE) !== 0;
  }

  /** Frees every expired entry; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (let e = 0; e < this.capacity; e++) {
      if (this.status[e] & CtStatus.LIVE && this.expires[e] <= now) {
        this.free(e);
        n++;
      }
    }
    return n;
  }

  /** Looks at the next `k` slots (round robin) and frees the expired ones: the incremental GC. */
  gcStep(now: number, k: number): void {
    const cap = this.capacity;
    let c = this.#gcCursor;
    for (let i = 0; i < k; i++) {
      if (c >= cap) c = 0;
      if (this.status[c] & CtStatus.LIVE && this.expires[c] <= now) this.free(c);
      c++;
    }
    this.#gcCursor = c;
  }

  /**
   * Linux early_drop(): walks up to 8 hash buckets starting at the bucket of `hash` and frees the
   * first entry that is not ASSURED (TCP entries that are closing count as droppable too). Expired
   * entries met are reaped. Returns true when a live entry was dropped.
   */
  earlyDrop(hash: number, now: number, droppable: (e: number) => boolean): boolean {
    for (let i = 0; i < 8; i++) {
      const b = (hash + i) & this.mask;
      for (let n = this.buckets[b]; n >= 0; ) {
        const e = n >> 1;
        const nx = this.next[n];
        if (this.expires[e] <= now) {
          this.free(e);
          n = this.buckets[b];
          continue;
        }
        if (droppable(e)) {
          this.free(e);
          return true;
        }
        n = nx;
      }
    }
    return false;
  }

  /** Live (not expired) entry indices in creation order. */
  liveEntries(now: number): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.capacity; e++) {
      if (this.status[e] & CtStatus.LIVE && this.expires[e] > now) out.push(e);
    }
    out.sort((a, b) => this.order[a] - this.order[b]);
    return out;
  }

  /** Bytes of typed arrays allocated now (all slots, hash buckets, free list). */
  allocatedBytes(): number {
    let n = this.#free.byteLength;
    for (const a of [
      this.nPk,
      this.nSrc,
      this.nDst,
      this.nPorts,
      this.next,
      this.status,
      this.tcpState,
      this.lastIndex,
      this.lastDir,
      this.lastEnd,
      this.expires,
      this.created,
      this.order,
      this.gen,
      this.mapping,
      this.outMapping,
      this.inIf,
      this.srcNext,
      this.srcPrev,
      this.buckets,
      this.srcBuckets,
    ]) {
      n += a.byteLength;
    }
    return n;
  }

  /** Approximate bytes of typed-array storage per allocated slot (both tuples, hash links, state). */
  static bytesPerSlot(): number {
    // 2 nodes × (4 × u32 + i32 next) + u16 status + 3 × u8 + u32 lastEnd + 3 × f64 + u32 gen
    // + 2 × i32 mappings + u16 inIf + 2 × i32 src links + i32 free list + 2 buckets (i32).
    return 2 * (4 * 4 + 4) + 2 + 3 + 4 + 3 * 8 + 4 + 2 * 4 + 2 + 2 * 4 + 4 + 2 * 4;
  }
}
