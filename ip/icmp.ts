import type { Rng } from "../sim/rng.js";
import type { SimTime } from "../sim/time.js";
import type { Ipv4 } from "../wire/addr.js";

/**
 * Linux's ICMP output rate limits (net/ipv4/icmp.c, net/ipv4/inetpeer.c), in simulated time:
 *
 * - global (icmp_global_allow): a bucket of `msgsBurst` (icmp_msgs_burst, 50) credits refilled at
 *   `msgsPerSec` (icmp_msgs_per_sec, 1000) — refills happen only when at least 20 ms (HZ/50) have
 *   passed — and each message costs a random 0, 1 or 2 credits (one on average, randomised "for
 *   security reasons" as the kernel does), drawn from the stack's named stream;
 * - per destination (inet_peer_xrlim_allow): a token bucket of `ratelimit` (icmp_ratelimit, 1000 ms)
 *   per message with a burst of 6 (XRLIM_BURST_FACTOR); a new peer starts full. Not applied to
 *   messages to ourselves (Linux: no rate limit on loopback).
 *
 * Both apply only to the types in `ratemask` (icmp_ratemask 0x1818: dest unreachable, source quench,
 * time exceeded, parameter problem); "fragmentation needed" is never limited (PMTU discovery).
 */
export interface IcmpRateLimitOptions {
  /** icmp_ratelimit in ns (default 1000 ms); 0 disables the per-destination limit. */
  readonly ratelimit?: SimTime;
  /** icmp_ratemask (default 0x1818). */
  readonly ratemask?: number;
  /** icmp_msgs_per_sec (default 1000); 0 disables the global limit. */
  readonly msgsPerSec?: number;
  /** icmp_msgs_burst (default 50). */
  readonly msgsBurst?: number;
}

const XRLIM_BURST_FACTOR = 6;
const JIFFY = 1_000_000; // HZ = 1000
const HZ = 1000;

interface Peer {
  tokens: number; // jiffies
  last: number; // jiffies
}

export class IcmpRateLimiter {
  readonly ratelimit: SimTime;
  readonly ratemask: number;
  readonly msgsPerSec: number;
  readonly msgsBurst: number;
  #credit: number;
  #stamp: number;
  readonly #peers = new Map<Ipv4, Peer>();

  constructor(
    readonly rng: Rng,
    opts: IcmpRateLimitOptions = {},
  ) {
    this.ratelimit = opts.ratelimit ?? 1000 * JIFFY;
    this.ratemask = opts.ratemask ?? 0x1818;
    this.msgsPerSec = opts.msgsPerSec ?? 1000;
    this.msgsBurst = opts.msgsBurst ?? 50;
    this.#credit = this.msgsBurst;
    this.#stamp = -HZ;
  }

  /** True when type/code is subject to limiting at all. */
  limited(type: number, code: number): boolean {
    if (type > 18) return false;
    if (type === 3 && code === 4) return false;
    return ((1 << type) & this.ratemask) !== 0;
  }

  /** icmp_global_allow (the variant of Linux 3.18–6.10); consumes credit when it allows. */
  globalAllow(now: SimTime): boolean {
    if (this.msgsPerSec === 0) return true;
    const j = Math.floor(now / JIFFY);
    let incr = 0;
    const delta = Math.min(j - this.#stamp, HZ);
    if (this.#credit === 0) {
      if (delta < HZ / 50) return false;
      incr = Math.floor((this.msgsPerSec * delta) / HZ);
      if (incr === 0) return false;
    }
    if (delta >= HZ / 50) {
      incr = Math.floor((this.msgsPerSec * delta) / HZ);
      if (incr !== 0) this.#stamp = j;
    }
    let credit = Math.min(this.#credit + incr, this.msgsBurst);
    let ok = false;
    if (credit > 0) {
      credit = Math.max(credit - this.rng.int(0, 2), 0);
      ok = true;
    }
    this.#credit = credit;
    return ok;
  }

  /** inet_peer_xrlim_allow for destination `dst`. */
  peerAllow(dst: Ipv4, now: SimTime): boolean {
    if (this.ratelimit === 0) return true;
    const j = Math.floor(now / JIFFY);
    const timeout = Math.round(this.ratelimit / JIFFY);
    let p = this.#peers.get(dst);
    if (p === undefined) {
      if (this.#peers.size >= 4096) this.#gc(j, timeout);
      // inet_getpeer: rate_last = jiffies - 60 s, so the first calculation gives the full burst.
      p = { tokens: 0, last: j - 60 * HZ };
      this.#peers.set(dst, p);
    }
    let token = p.tokens + (j - p.last);
    p.last = j;
    if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    p.tokens = token;
    return ok;
  }

  /** Peers idle long enough to have a full bucket are equivalent to new ones: forget them. */
  #gc(j: number, timeout: number): void {
    for (const [k, p] of this.#peers) {
      if (p.tokens + (j - p.last) >= XRLIM_BURST_FACTOR * timeout) this.#peers.delete(k);
    }
  }
}
