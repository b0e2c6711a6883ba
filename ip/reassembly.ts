import type { Simulator, Timer } from "../sim/simulator.js";
import { type SimTime, s } from "../sim/time.js";
import { internetChecksum } from "../wire/checksum.js";
import { truesize } from "./neighbour.js";
import type { IpMib } from "./stats.js";

/**
 * IPv4 reassembly as Linux's net/ipv4/ip_fragment.c + inet_fragment.c:
 *
 * - queues keyed by (source, destination, identification, protocol); a queue lives `timeout`
 *   (ipfrag_time, 30 s) from its first fragment; on expiry ReasmFails and ReasmTimeout count, and if
 *   fragment 0 had arrived the host is told (it sends Time Exceeded code 1 when it was the destination);
 * - memory: fragments are accounted by truesize; above `highThresh` (ipfrag_high_thresh, 4 MiB) every
 *   fragment is refused (ReasmFails) until queues complete or expire;
 * - overlaps (RFC 5722 as Linux applies it to IPv4 since 4.19): an exact duplicate is dropped and the
 *   queue kept; any other overlap discards the whole queue (ReasmOverlaps, ReasmFails); a last fragment
 *   contradicting the known length, data beyond the last fragment, a zero-length fragment, or a
 *   datagram over 65535 bytes discard it too (ReasmFails);
 * - payloads of non-last fragments are truncated to a multiple of 8 as the kernel does;
 * - the result has the first fragment's header (options included), no MF, offset 0, DF only if the
 *   largest fragment had DF, and remembers the largest fragment size (refragmentation at a router
 *   uses it, like IPCB(skb)->frag_max_size).
 */
export interface ReassemblyOptions {
  readonly timeout?: SimTime;
  readonly highThresh?: number;
}

export interface ReassemblyHost {
  readonly mib: IpMib;
  /** A queue expired with fragment 0 present (whole first fragment given). */
  timedOut(firstFragment: Uint8Array): void;
}

interface Frag {
  readonly offset: number;
  readonly end: number;
  readonly data: Uint8Array;
}

class FragQueue {
  frags: Frag[] = [];
  first: Uint8Array | null = null;
  len = 0;
  lastIn = false;
  meat = 0;
  mem = 0;
  maxSize = 0;
  maxDfSize = 0;
  timer: Timer | null = null;
  constructor(readonly key: string) {}
}

export class Reassembler {
  readonly timeout: SimTime;
  readonly highThresh: number;
  #mem = 0;
  readonly #queues = new Map<string, FragQueue>();
  /** Largest fragment of the datagram `add` returned last (IPCB frag_max_size). */
  lastMaxSize = 0;

  constructor(
    readonly sim: Simulator,
    readonly host: ReassemblyHost,
    opts: ReassemblyOptions = {},
  ) {
    this.timeout = opts.timeout ?? s(30);
    this.highThresh = opts.highThresh ?? 4 * 1024 * 1024;
  }

  /** Bytes currently held (truesize). */
  get memory(): number {
    return this.#mem;
  }

  get queueCount(): number {
    return this.#queues.size;
  }

  /**
   * Adds one fragment (a whole, checked IPv4 packet with MF set or a non-zero offset). Returns the
   * reassembled datagram when this fragment completes it, else null.
   */
  add(pkt: Uint8Array): Uint8Array | null {
    const mib = this.host.mib;
    mib.ReasmReqds++;
    if (this.#mem > this.highThresh) {
      mib.ReasmFails++;
      return null;
    }
    const key = `${pkt[12]}.${pkt[13]}.${pkt[14]}.${pkt[15]}>${pkt[16]}.${pkt[17]}.${pkt[18]}.${pkt[19]}#${(pkt[4] << 8) | pkt[5]}/${pkt[9]}`;
    let q = this.#queues.get(key);
    if (q === undefined) {
      q = new FragQueue(key);
      this.#queues.set(key, q);
      const qq = q;
      q.timer = this.sim.schedule(this.timeout, () => this.#expire(qq));
    }
    const hl = (pkt[0] & 0x0f) * 4;
    const total = (pkt[2] << 8) | pkt[3];
    const word = (pkt[6] << 8) | pkt[7];
    const offset = (word & 0x1fff) * 8;
    const mf = (word & 0x2000) !== 0;
    let end = offset + total - hl;
    if (!mf) {
      if (end < q.len || (q.lastIn && end !== q.len)) return this.#discard(q);
      q.lastIn = true;
      q.len = end;
    } else {
      end &= ~7;
      if (end > q.len) {
        if (q.lastIn) return this.#discard(q);
        q.len = end;
      }
    }
    if (end === offset) return this.#discard(q);
    // Insert sorted by offset; detect overlaps.
    const frags = q.frags;
    let pos = frags.length;
    for (let i = 0; i < frags.length; i++) {
      const f = frags[i];
      if (offset < f.end && end > f.offset) {
        if (offset === f.offset && end === f.end) return null; // duplicate: dropped, queue kept
        mib.ReasmOverlaps++;
        return this.#discard(q);
      }
      if (f.offset > offset && pos === frags.length) pos = i;
    }
    const data = pkt.subarray(hl, hl + (end - offset));
    frags.splice(pos, 0, { offset, end, data });
    q.meat += end - offset;
    const ts = truesize(pkt.length);
    q.mem += ts;
    this.#mem += ts;
    if (offset === 0) q.first = pkt;
    if (total > q.maxSize) q.maxSize = total;
    if ((word & 0x4000) !== 0 && total > q.maxDfSize) q.maxDfSize = total;
    if (q.first === null || !q.lastIn || q.meat !== q.len) return null;
    // Complete.
    const first = q.first;
    const fhl = (first[0] & 0x0f) * 4;
    const len = fhl + q.len;
    if (len > 0xffff) return this.#discard(q);
    const out = new Uint8Array(len);
    out.set(first.subarray(0, fhl), 0);
    for (const f of frags) out.set(f.data, fhl + f.offset);
    out[2] = len >>> 8;
    out[3] = len & 0xff;
    out[6] = q.maxDfSize === q.maxSize ? 0x40 : 0;
    out[7] = 0;
    out[10] = 0;
    out[11] = 0;
    const c = internetChecksum(out.subarray(0, fhl));
    out[10] = c >>> 8;
    out[11] = c & 0xff;
    this.lastMaxSize = q.maxSize;
    this.#kill(q);
    mib.ReasmOKs++;
    return out;
  }

  #kill(q: FragQueue): void {
    q.timer?.cancel();
    q.timer = null;
    this.#mem -= q.mem;
    q.mem = 0;
    q.frags = [];
    this.#queues.delete(q.key);
  }

  #discard(q: FragQueue): null {
    this.#kill(q);
    this.host.mib.ReasmFails++;
    return null;
  }

  #expire(q: FragQueue): void {
    if (this.#queues.get(q.key) !== q) return;
    const first = q.first;
    this.#kill(q);
    this.host.mib.ReasmFails++;
    this.host.mib.ReasmTimeout++;
    if (first !== null) this.host.timedOut(first);
  }
}
