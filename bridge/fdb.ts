import type { SimTime } from "../sim/time.js";
import type { Mac } from "../wire/addr.js";

/**
 * One forwarding entry, keyed by (VLAN, MAC). VLAN 0 is the one domain of a bridge without VLAN
 * filtering. (One number cannot hold both exactly: a VID needs 12 bits beside the MAC's 48, and a double
 * is exact only to 2^53 — `vid * 2^48 + mac` made MACs differing in their low bits collide in every
 * VLAN from 32 up. So the table is a map per VLAN, each keyed by the MAC as a number.)
 * `port` is an index the owner gives (the bridge's port number). Entries are
 * updated in place on refresh, so learning a known MAC allocates nothing.
 */
export interface FdbEntry {
  readonly mac: Mac;
  readonly vid: number;
  port: number;
  /** Static entries never age and are not moved by learning. */
  readonly isStatic: boolean;
  /** Simulated time of the last frame from this MAC (or of the entry's creation). */
  updated: SimTime;
  /** Creation order across the whole table (listing order: insertion order, as one Map would give). */
  readonly order: number;
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
 * The forwarding database: per VLAN, a Map from MAC to entry; listed in insertion order. Ageing is lazy —
 * `lookup` and `learn` treat an expired entry as absent (like ns-3's learning bridge) — and a sweep of
 * all expired entries runs when a new entry is inserted and `sweepInterval` has passed since the last,
 * so the table stays bounded without any timer.
 */
export class Fdb {
  /** VLAN → MAC → entry. VLAN 0's table (no filtering: every frame) is also held directly. */
  readonly #byVid = new Map<number, Map<number, FdbEntry>>();
  readonly #vid0 = new Map<number, FdbEntry>();
  #size = 0;
  #order = 0;
  /** Dynamic entries per port index. */
  readonly #perPort: number[] = [];
  #dynamic = 0;
  #nextSweep = 0;
  #version = 0;
  /** The entry the last `learn` refreshed, moved or created (null after "limit" or "static"). */
  lastLearned: FdbEntry | null = null;
  ageingTime: SimTime;
  maxLearned: number;
  sweepInterval: SimTime;

  constructor(opts: FdbOptions) {
    this.#byVid.set(0, this.#vid0);
    this.ageingTime = opts.ageingTime;
    this.maxLearned = opts.maxLearned;
    this.sweepInterval = opts.sweepInterval;
  }

  /**
   * Bumped whenever an entry is added or removed: an entry a caller found for a key is still that
   * key's entry while the version is unchanged (the bridge's per-port caches rely on it).
   */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#size;
  }

  /** The table of `vid` (created on first use when `create`). */
  #table(vid: number, create: boolean): Map<number, FdbEntry> | undefined {
    if (vid === 0) return this.#vid0;
    let t = this.#byVid.get(vid);
    if (t === undefined && create) {
      t = new Map();
      this.#byVid.set(vid, t);
    }
    return t;
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

  /** The live entry for (`vid`, `mac`), or undefined (an expired entry is removed on the way). */
  lookup(vid: number, mac: Mac | number, now: SimTime): FdbEntry | undefined {
    const e = (vid === 0 ? this.#vid0 : this.#byVid.get(vid))?.get(mac);
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
    const table = this.#table(vid, true)!;
    const e = table.get(mac);
    this.lastLearned = null;
    if (e !== undefined) {
      if (e.isStatic) return "static";
      if (this.expired(e, now)) this.#remove(e);
      else if (e.port === port) {
        e.updated = now;
        this.lastLearned = e;
        return "refreshed";
      } else {
        if ((this.#perPort[port] ?? 0) >= portLimit) return "limit";
        this.#perPort[e.port]--;
        this.#perPort[port] = (this.#perPort[port] ?? 0) + 1;
        e.port = port;
        e.updated = now;
        this.lastLearned = e;
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
    const n: FdbEntry = { mac, vid, port, isStatic: false, updated: now, order: this.#order++ };
    table.set(mac, n);
    this.#size++;
    this.#version++;
    this.lastLearned = n;
    this.#dynamic++;
    this.#perPort[port] = (this.#perPort[port] ?? 0) + 1;
    return "learned";
  }

  /** Adds (or replaces) a static entry. */
  addStatic(vid: number, mac: Mac, port: number, now: SimTime): void {
    const table = this.#table(vid, true)!;
    const old = table.get(mac);
    if (old) this.#remove(old);
    table.set(mac, { mac, vid, port, isStatic: true, updated: now, order: this.#order++ });
    this.#size++;
    this.#version++;
  }

  /** Removes the entry for (vid, mac); true if there was one. */
  delete(vid: number, mac: Mac): boolean {
    const e = this.#table(vid, false)?.get(mac);
    if (!e) return false;
    this.#remove(e);
    return true;
  }

  /** Removes every dynamic entry on `port` (a port leaving the bridge, `bridge fdb flush dev P`). */
  flushPort(port: number, includeStatic = false): void {
    for (const t of this.#byVid.values()) {
      for (const e of t.values()) if (e.port === port && (includeStatic || !e.isStatic)) this.#remove(e);
    }
  }

  /**
   * Removes the dynamic entries learned on `port` in `vid` (Linux nbp_vlan_delete →
   * br_fdb_delete_by_port(br, p, vid, 0): static entries stay).
   */
  flushPortVlan(port: number, vid: number): void {
    const t = this.#table(vid, false);
    if (t === undefined) return;
    for (const e of t.values()) if (e.port === port && !e.isStatic) this.#remove(e);
  }

  /** Removes expired entries; returns how many. */
  sweep(now: SimTime): number {
    this.#nextSweep = now + this.sweepInterval;
    if (this.ageingTime === 0 || this.#dynamic === 0) return 0;
    let n = 0;
    for (const t of this.#byVid.values()) {
      for (const e of t.values()) {
        if (this.expired(e, now)) {
          this.#remove(e);
          n++;
        }
      }
    }
    return n;
  }

  /** Live entries in insertion order (expired ones are swept first). */
  entries(now: SimTime): FdbEntry[] {
    this.sweep(now);
    const all: FdbEntry[] = [];
    for (const t of this.#byVid.values()) for (const e of t.values()) all.push(e);
    return all.sort((a, b) => a.order - b.order);
  }

  #remove(e: FdbEntry): void {
    this.#table(e.vid, false)?.delete(e.mac);
    this.#size--;
    this.#version++;
    if (!e.isStatic) {
      this.#dynamic--;
      this.#perPort[e.port]--;
    }
  }
}
