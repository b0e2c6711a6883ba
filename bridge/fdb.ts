import type { SimTime } from "../sim/time.js";
import type { Mac } from "../wire/addr.js";

/** 2^48: FDB keys are `vid * MAC_SPACE + mac`, exact in a double (4095 * 2^48 + 2^48 < 2^53). */
export const MAC_SPACE = 0x1_0000_0000_0000;

/** The FDB key of (VLAN, MAC). VLAN 0 is the one domain of a bridge without VLAN filtering. */
export function fdbKey(vid: number, mac: Mac | number): number {
  return vid * MAC_SPACE + mac;
}

/**
 * One forwarding entry. `port` is an index the owner gives (the bridge's port number). Entries are
 * updated in place on refresh, so learning a known MAC allocates nothing.
 */
export interface FdbEntry {
  readonly key: number;
  readonly mac: Mac;
  readonly vid: number;
  port: number;
  /** Static entries never age and are not moved by learning. */
  readonly isStatic: boolean;
  /** Simulated time of the last frame from this MAC (or of the entry's creation). */
  updated: SimTime;
}

export type LearnResult = "refreshed" | "moved" | "learned" | "limit" | "static";

export interface FdbOptions {
  /** Dynamic entries expire when `updated + ageingTime <= now` (Linux has_expired); 0 = never. */
  readonly ageingTime: SimTime;
  /** Bound on dynamic entries of the whole table (Infinity = none). */
  readonly maxLearned: number;
  /** Minimum simulated time between two sweeps of expired entries. */
  readonly sweepInterval: SimTime;
}

/**
 * The forwarding database: a Map from (VLAN, MAC) key to entry, in insertion order. Ageing is lazy —
 * `lookup` and `learn` treat an expired entry as absent (like ns-3's learning bridge) — and a sweep of
 * all expired entries runs when a new entry is inserted and `sweepInterval` has passed since the last,
 * so the table stays bounded without any timer.
 */
export class Fdb {
  readonly #map = new Map<number, FdbEntry>();
  /** Dynamic entries per port index. */
  readonly #perPort: number[] = [];
  #dynamic = 0;
  #nextSweep = 0;
  ageingTime: SimTime;
  maxLearned: number;
  sweepInterval: SimTime;

  constructor(opts: FdbOptions) {
    this.ageingTime = opts.ageingTime;
    this.maxLearned = opts.maxLearned;
    this.sweepInterval = opts.sweepInterval;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Dynamic (learned) entries, expired-but-not-swept ones included. */
  get dynamicCount(): number {
    return this.#dynamic;
  }

  dynamicOn(port: number): number {
    return this.#perPort[port] ?? 0;
  }

  expired(e: FdbEntry, now: SimTime): boolean {
    return !e.isStatic && this.ageingTime > 0 && e.updated + this.ageingTime <= now;
  }

  /** The live entry for `key`, or undefined (an expired entry is removed on the way). */
  lookup(key: number, now: SimTime): FdbEntry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (this.expired(e, now)) {
      this.#remove(e);
      return undefined;
    }
    return e;
  }

  /**
   * Learns `mac` in `vid` on `port` at `now`. `portLimit` bounds the dynamic entries on that port.
   * Returns what happened; "limit" means the MAC was not learned (MAC-flooding protection).
   */
  learn(vid: number, mac: Mac, port: number, now: SimTime, portLimit: number): LearnResult {
    const key = vid * MAC_SPACE + mac;
    const e = this.#map.get(key);
    if (e !== undefined) {
      if (e.isStatic) return "static";
      if (this.expired(e, now)) this.#remove(e);
      else if (e.port === port) {
        e.updated = now;
        return "refreshed";
      } else {
        if ((this.#perPort[port] ?? 0) >= portLimit) return "limit";
        this.#perPort[e.port]--;
        this.#perPort[port] = (this.#perPort[port] ?? 0) + 1;
        e.port = port;
        e.updated = now;
        return "moved";
      }
    }
    if (now >= this.#nextSweep) this.sweep(now);
    if (this.#dynamic >= this.maxLearned || (this.#perPort[port] ?? 0) >= portLimit) {
      // Expired entries may be holding the slots: sweep once before refusing.
      if (
        this.sweep(now) === 0 ||
        this.#dynamic >= this.maxLearned ||
        (this.#perPort[port] ?? 0) >= portLimit
      ) {
        return "limit";
      }
    }
    this.#map.set(key, { key, mac, vid, port, isStatic: false, updated: now });
    this.#dynamic++;
    this.#perPort[port] = (this.#perPort[port] ?? 0) + 1;
    return "learned";
  }

  /** Adds (or replaces) a static entry. */
  addStatic(vid: number, mac: Mac, port: number, now: SimTime): void {
    const key = vid * MAC_SPACE + mac;
    const old = this.#map.get(key);
    if (old) this.#remove(old);
    this.#map.set(key, { key, mac, vid, port, isStatic: true, updated: now });
  }

  /** Removes the entry for (vid, mac); true if there was one. */
  delete(vid: number, mac: Mac): boolean {
    const e = this.#map.get(vid * MAC_SPACE + mac);
    if (!e) return false;
    this.#remove(e);
    return true;
  }

  /** Removes every dynamic entry on `port` (a port leaving the bridge, `bridge fdb flush dev P`). */
  flushPort(port: number, includeStatic = false): void {
    for (const e of this.#map.values()) {
      if (e.port === port && (includeStatic || !e.isStatic)) this.#remove(e);
    }
  }

  /** Removes expired entries; returns how many. */
  sweep(now: SimTime): number {
    this.#nextSweep = now + this.sweepInterval;
    if (this.ageingTime === 0 || this.#dynamic === 0) return 0;
    let n = 0;
    for (const e of this.#map.values()) {
      if (this.expired(e, now)) {
        this.#remove(e);
        n++;
      }
    }
    return n;
  }

  /** Live entries in insertion order (expired ones are swept first). */
  entries(now: SimTime): FdbEntry[] {
    this.sweep(now);
    return [...this.#map.values()];
  }

  #remove(e: FdbEntry): void {
    this.#map.delete(e.key);
    if (!e.isStatic) {
      this.#dynamic--;
      this.#perPort[e.port]--;
    }
  }
}
