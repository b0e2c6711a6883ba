import type { Rng } from "../sim/rng.js";
import type { Simulator, Timer } from "../sim/simulator.js";
import { ms, type SimTime, s } from "../sim/time.js";
import { formatIpv4, formatMac, type Ipv4, type Mac, writeMac } from "../wire/addr.js";

/**
 * The ARP neighbour cache of one interface, as Linux's neighbour subsystem (net/core/neighbour.c,
 * net/ipv4/arp.c) runs it: states INCOMPLETE → REACHABLE → STALE → DELAY → PROBE → FAILED, with the
 * kernel's default timers (arp defaults of /proc/sys/net/ipv4/neigh/default). Each entry has at most
 * one simulator timer; traffic through a REACHABLE entry schedules nothing.
 */

export type NeighbourState =
  | "INCOMPLETE"
  | "REACHABLE"
  | "STALE"
  | "DELAY"
  | "PROBE"
  | "FAILED"
  | "PERMANENT";

/** One row of `ip neigh show`. */
export interface NeighbourEntry {
  readonly iface: string;
  readonly address: Ipv4;
  readonly mac: Mac | null;
  readonly state: NeighbourState;
}

/** Linux `neigh/<dev>/*` parameters (times in ns). */
export interface NeighbourParams {
  /** base_reachable_time_ms: 30 s; the reachable time is drawn in [base/2, 3*base/2). */
  readonly baseReachableTime: SimTime;
  /** delay_first_probe_time: 5 s. */
  readonly delayFirstProbeTime: SimTime;
  /** retrans_time_ms: 1 s. */
  readonly retransTime: SimTime;
  /** ucast_solicit: 3. */
  readonly ucastProbes: number;
  /** mcast_solicit: 3. */
  readonly mcastProbes: number;
  /** unres_qlen_bytes: 212992 (SK_WMEM_MAX), counted in skb truesize (see `truesize`). */
  readonly unresQlenBytes: number;
  /** locktime: 1 s (ARP: the first of several different replies wins within it). */
  readonly locktime: SimTime;
}

export const NEIGH_DEFAULTS: NeighbourParams = {
  baseReachableTime: s(30),
  delayFirstProbeTime: s(5),
  retransTime: s(1),
  ucastProbes: 3,
  mcastProbes: 3,
  unresQlenBytes: 212_992,
  locktime: s(1),
};

/** Linux re-draws the random reachable time every 300 s (neigh_periodic_work). */
const REACHABLE_REDRAW = s(300);
/** HZ / 100: the shortest timer Linux arms. */
const MIN_TIMER = ms(10);

/**
 * An approximation of Linux's skb truesize for a frame of `len` bytes (data rounded as kmalloc
 * does, plus sk_buff and shared-info overhead): about 2.3 KiB for a full 1514-byte frame.
 */
export function truesize(len: number): number {
  return 768 + len;
}

/** What the table needs from the interface it belongs to. */
export interface NeighbourHost {
  /** Sends an ARP request for `target` (to `unicastTo`, or broadcast when null) with sender IP `srcHint` if local. */
  solicit(target: Ipv4, unicastTo: Mac | null, srcHint: Ipv4): void;
  /** Transmits a whole Ethernet frame (destination MAC written). */
  transmit(frame: Uint8Array): void;
  /** Resolution failed: each queued frame gets ICMP host unreachable (Linux arp_error_report). */
  failed(frames: Uint8Array[]): void;
  /** A queued frame was dropped because the queue was full. */
  queueDrop(frame: Uint8Array): void;
}

const St = {
  Incomplete: 0,
  Reachable: 1,
  Stale: 2,
  Delay: 3,
  Probe: 4,
  Failed: 5,
  Permanent: 6,
} as const;
type St = (typeof St)[keyof typeof St];

const STATE_NAMES: readonly NeighbourState[] = [
  "INCOMPLETE",
  "REACHABLE",
  "STALE",
  "DELAY",
  "PROBE",
  "FAILED",
  "PERMANENT",
];

/** NUD_VALID: every state with a usable link-layer address. */
function valid(st: St): boolean {
  return st !== St.Incomplete && st !== St.Failed;
}

class Neighbour {
  state: St = St.Failed as St;
  mac: Mac | null = null;
  confirmed = 0;
  used = 0;
  updated = 0;
  probes = 0;
  timer: Timer | null = null;
  queue: Uint8Array[] = [];
  queueBytes = 0;
  /** Source address of the newest queued packet (ARP's sender IP, arp_announce 0). */
  srcHint = 0 as Ipv4;
  constructor(readonly address: Ipv4) {}
}

export class NeighbourTable {
  readonly #entries = new Map<Ipv4, Neighbour>();
  /** The entry `send` used last (traffic comes in runs to one next hop); cleared when entries go. */
  #last: Neighbour | null = null;
  #reachableTime: SimTime;
  #reachableDrawnAt: SimTime;
  readonly #onTimer: (n: Neighbour) => void;

  constructor(
    readonly sim: Simulator,
    readonly ifaceName: string,
    readonly host: NeighbourHost,
    readonly rng: Rng,
    readonly params: NeighbourParams = NEIGH_DEFAULTS,
  ) {
    this.#reachableTime = this.#drawReachable();
    this.#reachableDrawnAt = sim.now;
    this.#onTimer = (n) => this.#timer(n);
  }

  /** Current random reachable time (neigh_rand_reach_time: base/2 + random below base). */
  get reachableTime(): SimTime {
    if (this.sim.now - this.#reachableDrawnAt >= REACHABLE_REDRAW) {
      this.#reachableTime = this.#drawReachable();
      this.#reachableDrawnAt = this.sim.now;
    }
    return this.#reachableTime;
  }

  #drawReachable(): SimTime {
    const base = this.params.baseReachableTime;
    if (base === 0) return 0;
    // Linux draws in jiffies; ms granularity here.
    const baseMs = Math.max(1, Math.round(base / 1e6));
    return ms(this.rng.int(0, baseMs - 1) + (baseMs >>> 1));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The MAC a frame to `ip` would go to right now (null if unresolved). */
  lookup(ip: Ipv4): Mac | null {
    const n = this.#entries.get(ip);
    return n !== undefined && valid(n.state) ? n.mac : null;
  }

  state(ip: Ipv4): NeighbourState | null {
    const n = this.#entries.get(ip);
    return n === undefined ? null : STATE_NAMES[n.state];
  }

  rows(): NeighbourEntry[] {
    const out: NeighbourEntry[] = [];
    for (const n of this.#entries.values()) {
      out.push({ iface: this.ifaceName, address: n.address, mac: n.mac, state: STATE_NAMES[n.state] });
    }
    return out;
  }

  /**
   * Sends `frame` (an Ethernet frame whose source MAC and EtherType are written) to next hop `ip`:
   * at once through a usable entry, else queued while ARP resolves (neigh_resolve_output).
   */
  send(frame: Uint8Array, ip: Ipv4, src: Ipv4): void {
    let n: Neighbour | undefined = this.#last ?? undefined;
    if (n === undefined || n.address !== ip) {
      n = this.#entries.get(ip);
      if (n !== undefined) this.#last = n;
    }
    const now = this.sim.now;
    if (n !== undefined) {
      const st = n.state;
      if (st === St.Reachable || st === St.Permanent || st === St.Delay || st === St.Probe) {
        n.used = now;
        writeMac(frame, 0, n.mac as Mac);
        this.host.transmit(frame);
        return;
      }
    } else {
      n = new Neighbour(ip);
      this.#entries.set(ip, n);
    }
    n.used = now;
    if (n.state === St.Stale) {
      // __neigh_event_send: STALE → DELAY, packet goes out with the cached address.
      this.#setState(n, St.Delay, now + this.params.delayFirstProbeTime);
      writeMac(frame, 0, n.mac as Mac);
      this.host.transmit(frame);
      return;
    }
    let probeNow = false;
    if (n.state === St.Failed) {
      // NONE or FAILED: start resolving (mcast_probes > 0).
      n.probes = this.params.ucastProbes;
      n.mac = null;
      this.#setState(n, St.Incomplete, now + Math.max(this.params.retransTime, MIN_TIMER));
      probeNow = true;
    }
    // INCOMPLETE: queue, dropping the oldest while over unres_qlen_bytes.
    const ts = truesize(frame.length);
    while (n.queue.length > 0 && n.queueBytes + ts > this.params.unresQlenBytes) {
      const old = n.queue.shift() as Uint8Array;
      n.queueBytes -= truesize(old.length);
      this.host.queueDrop(old);
    }
    n.queue.push(frame);
    n.queueBytes += ts;
    n.srcHint = src;
    if (probeNow) this.#probe(n);
  }

  /**
   * An ARP packet from `ip` with sender MAC `mac` (arp_process "update our ARP tables", neigh_update).
   * `reachable`: a unicast reply (confirms reachability); otherwise the entry becomes STALE.
   * `create`: make an entry if none exists (a request addressed to us: neigh_event_ns).
   * `garp`: a gratuitous announcement (overrides within locktime).
   */
  update(ip: Ipv4, mac: Mac, reachable: boolean, create: boolean, garp: boolean): void {
    let n = this.#entries.get(ip);
    const now = this.sim.now;
    if (n === undefined) {
      if (!create) return;
      n = new Neighbour(ip);
      n.updated = now - this.params.locktime - 1;
      this.#entries.set(ip, n);
    }
    const old = n.state;
    if (old === St.Permanent) return;
    const override = create || garp || now > n.updated + this.params.locktime;
    let next: St = reachable ? St.Reachable : St.Stale;
    if (reachable) n.confirmed = now;
    if (valid(old)) {
      if (mac !== n.mac) {
        if (!override) return;
      } else if (next === St.Stale) {
        next = old;
      }
    }
    const macChanged = mac !== n.mac;
    if (next !== old || macChanged) n.updated = now;
    n.mac = mac;
    if (macChanged && next !== St.Reachable) {
      n.confirmed = now - 2 * this.params.baseReachableTime;
    }
    if (next !== old) {
      this.#setState(n, next, next === St.Reachable ? now + this.reachableTime : -1);
      if (!valid(old)) this.#flush(n);
    }
  }

  /** `ip neigh replace … nud permanent`. */
  addPermanent(ip: Ipv4, mac: Mac): void {
    let n = this.#entries.get(ip);
    if (n === undefined) {
      n = new Neighbour(ip);
      this.#entries.set(ip, n);
    }
    const wasValid = valid(n.state);
    n.mac = mac;
    n.updated = this.sim.now;
    this.#setState(n, St.Permanent, -1);
    if (!wasValid) this.#flush(n);
  }

  delete(ip: Ipv4): boolean {
    const n = this.#entries.get(ip);
    if (n === undefined) return false;
    n.timer?.cancel();
    this.#entries.delete(ip);
    this.#last = null;
    return true;
  }

  /** Forgets everything (interface down / address flush): queued frames are dropped. */
  flush(): void {
    for (const n of this.#entries.values()) {
      n.timer?.cancel();
      if (n.state !== St.Permanent) this.#entries.delete(n.address);
    }
    this.#last = null;
  }

  #setState(n: Neighbour, st: St, timerAt: SimTime): void {
    n.state = st;
    n.timer?.cancel();
    n.timer = null;
    if (timerAt >= 0) {
      n.timer = this.sim.at(Math.max(timerAt, this.sim.now), () => this.#onTimer(n));
    }
  }

  /** Sends the queue once an address is known (through `send`, so STALE turns DELAY as in Linux). */
  #flush(n: Neighbour): void {
    const q = n.queue;
    n.queue = [];
    n.queueBytes = 0;
    for (let i = 0; i < q.length; i++) this.send(q[i], n.address, n.srcHint);
  }

  #probe(n: Neighbour): void {
    // arp_solicit: probes below ucast_solicit go unicast to the cached address, the rest broadcast.
    const unicast = n.probes < this.params.ucastProbes && n.mac !== null ? n.mac : null;
    n.probes++;
    this.host.solicit(n.address, unicast, n.srcHint);
  }

  /** neigh_timer_handler. */
  #timer(n: Neighbour): void {
    n.timer = null;
    if (this.#entries.get(n.address) !== n) return;
    const now = this.sim.now;
    const p = this.params;
    const retrans = Math.max(p.retransTime, MIN_TIMER);
    let next = now + s(1);
    switch (n.state) {
      case St.Reachable: {
        const rt = this.reachableTime;
        if (now <= n.confirmed + rt) {
          next = n.confirmed + rt;
        } else if (now <= n.used + p.delayFirstProbeTime) {
          n.state = St.Delay;
          n.updated = now;
          next = now + p.delayFirstProbeTime;
        } else {
          n.state = St.Stale;
          n.updated = now;
          return;
        }
        break;
      }
      case St.Delay:
        if (now <= n.confirmed + p.delayFirstProbeTime) {
          n.state = St.Reachable;
          n.updated = now;
          next = n.confirmed + this.reachableTime;
        } else {
          n.state = St.Probe;
          n.updated = now;
          n.probes = 0;
          next = now + retrans;
        }
        break;
      case St.Probe:
      case St.Incomplete:
        next = now + retrans;
        break;
      default:
        return;
    }
    if (n.state === St.Incomplete || n.state === St.Probe) {
      // neigh_max_probes: ucast + app + (PROBE ? mcast_reprobes (0) : mcast_solicit).
      const max = p.ucastProbes + (n.state === St.Probe ? 0 : p.mcastProbes);
      if (n.probes >= max) {
        n.state = St.Failed;
        n.updated = now;
        const q = n.queue;
        n.queue = [];
        n.queueBytes = 0;
        if (q.length > 0) this.host.failed(q);
        return;
      }
    }
    if (next < now + MIN_TIMER) next = now + MIN_TIMER;
    n.timer = this.sim.at(next, () => this.#onTimer(n));
    if (n.state === St.Incomplete || n.state === St.Probe) this.#probe(n);
  }
}

/** One `ip neigh show` line. */
export function formatNeighbour(e: NeighbourEntry): string {
  const mac =
    e.mac !== null && e.state !== "INCOMPLETE" && e.state !== "FAILED" ? ` lladdr ${formatMac(e.mac)}` : "";
  return `${formatIpv4(e.address)} dev ${e.iface}${mac} ${e.state}`;
}
