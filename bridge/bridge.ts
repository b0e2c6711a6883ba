import type { DropReason } from "../netdev/counters.js";
import { Port } from "../netdev/port.js";
import type { Simulator } from "../sim/simulator.js";
import type { SimTime } from "../sim/time.js";
import { access, checkVid, type PortVlans, VlanFlag, VlanMembership } from "../vlan/membership.js";
import { formatMac, type Mac } from "../wire/addr.js";
import { VlanTpid } from "../wire/vlan.js";
import { Fdb, type FdbEntry } from "./fdb.js";
import { Rstp, type RstpOptions, type StpRole, type StpShow, StpState } from "./rstp.js";
import { StormGuard, type StormGuardOptions, type StormReport } from "./storm-guard.js";

export interface BridgeOptions {
  /** FDB ageing time in ns (Linux `ageing_time`, default 300 s); 0 = entries never age. */
  readonly ageingTime?: SimTime;
  /** Linux `vlan_filtering` (default false: one domain, tags are payload). */
  readonly vlanFiltering?: boolean;
  /** Linux `vlan_protocol`: 0x8100 (802.1Q, default) or 0x88a8 (802.1ad). */
  readonly vlanProtocol?: number;
  /** Linux `default_pvid` (1): VLAN given to new ports as PVID, egress untagged; 0 = none. */
  readonly defaultPvid?: number;
  /** Bound on learned entries of the whole bridge (Linux `fdb_max_learned`); default unlimited. */
  readonly maxLearned?: number;
  /** Linux `group_fwd_mask`: bit X forwards 01:80:C2:00:00:0X (bits 0–2 are refused, as Linux). */
  readonly groupFwdMask?: number;
  /**
   * RSTP (802.1D-2004 clause 17, see rstp.ts): `true` or its options runs it (BPDUs go to the engine,
   * ports start discarding); false (default, as Linux `stp_state 0`) forwards BPDUs like other frames.
   */
  readonly stp?: boolean | RstpOptions;
  /** The bridge's MAC (its bridge ID with the priority); default 02:xx:xx:xx:xx:00 from `sim.rng("bridge:NAME")`. */
  readonly mac?: Mac;
  /** Storm guard bounds, or false to disable it (then a loop runs until `maxEvents`/`until`). */
  readonly stormGuard?: StormGuardOptions | false;
  /** Minimum simulated time between two FDB sweeps (Linux's gc interval, 4 s). */
  readonly sweepInterval?: SimTime;
}

/** Per-port settings, as Linux's `bridge link set dev P …` flags. */
export interface BridgePortOptions {
  /** Learn source MACs (default true). */
  readonly learning?: boolean;
  /** Flood unknown unicast out of this port (default true). */
  readonly flood?: boolean;
  /** Flood multicast out of this port (default true). */
  readonly mcastFlood?: boolean;
  /** Flood broadcast out of this port (default true). */
  readonly bcastFlood?: boolean;
  /** Allow frames back out of the port they came in on (default false). */
  readonly hairpin?: boolean;
  /** Isolated ports reach only non-isolated ones (default false). */
  readonly isolated?: boolean;
  /** Bound on learned entries on this port (default unlimited). */
  readonly maxLearned?: number;
  /** Per-port `group_fwd_mask`. */
  readonly groupFwdMask?: number;
  /** VLAN membership (used with `vlanFiltering`); default `access(defaultPvid)`. */
  readonly vlans?: PortVlans;
  readonly mtu?: number;
  /** RSTP port path cost (default 20000, 802.1D-2004 table 17-3 for 1 Gb/s). */
  readonly stpCost?: number;
  /** RSTP port priority, a multiple of 16 in 0..240 (default 128). */
  readonly stpPriority?: number;
  /** RSTP AdminEdge (`bridge link set dev P … ` / mstpctl `setportadminedge`): forwards at once. */
  readonly edge?: boolean;
  /** The port's MAC, source of the BPDUs it sends (default: the bridge MAC + port number). */
  readonly mac?: Mac;
}

/** Options that `portOptions()` does not report back. */
type StpPortOptionKeys = "mtu" | "stpCost" | "stpPriority" | "edge" | "mac";

/** What happened to frames that entered one port. `rx = forwarded + flooded + Σ drops`. */
export interface BridgePortStats {
  /** Frames handed to the bridge by this port. */
  readonly rx: number;
  /** Known unicast sent out of one port. */
  readonly forwarded: number;
  /** Broadcast, multicast or unknown unicast flooded (to zero or more ports). */
  readonly flooded: number;
  /** Source MACs not learned because of a learning limit (the frames were still forwarded). */
  readonly notLearned: number;
  /** Frames dropped, by reason, in the order reasons first occurred. */
  readonly drops: ReadonlyMap<DropReason, number>;
}

/** A row of `fdbShow()`, as `bridge fdb show` prints. */
export interface FdbRow {
  readonly mac: string;
  readonly macValue: Mac;
  /** VLAN of the entry; null on a bridge without VLAN filtering (vid 0). */
  readonly vlan: number | null;
  readonly port: string;
  readonly static: boolean;
  /** Simulated ns since the MAC was last seen (Linux `used`). */
  readonly age: SimTime;
}

export interface MirrorOptions {
  readonly ingress?: boolean;
  readonly egress?: boolean;
}

export class BridgeError extends Error {
  override readonly name = "BridgeError";
}

class PortStats implements BridgePortStats {
  rx = 0;
  forwarded = 0;
  flooded = 0;
  notLearned = 0;
  readonly drops = new Map<DropReason, number>();
}

/** Internal per-port state; the hot path reads plain fields. */
class BridgePortState {
  learning: boolean;
  flood: boolean;
  mcastFlood: boolean;
  bcastFlood: boolean;
  hairpin: boolean;
  isolated: boolean;
  maxLearned: number;
  groupFwdMask: number;
  attached = true;
  /** RSTP port state (StpState); Forwarding when STP is off. Read by the forwarding path. */
  stpState: StpState = StpState.Forwarding;
  readonly vlans: VlanMembership;
  readonly stats = new PortStats();
  ingressMirrors: Port[] = [];
  egressMirrors: Port[] = [];
  /**
   * The FDB entries of the last source learned and the last destination looked up for frames entering
   * this port (a port's traffic comes in runs from one MAC to one MAC), with the MAC as two integers
   * (high 16, low 32 bits), the VLAN and the FDB version they were found at: while the version is the
   * same the entry is still the table's for that key, so the frame needs no Map lookup (a 48-bit key
   * is a heap number in V8, several times slower to hash than a small integer).
   */
  srcEntry: FdbEntry | null = null;
  srcHi = 0;
  srcLo = 0;
  srcVid = 0;
  srcVersion = -1;
  dstEntry: FdbEntry | null = null;
  dstHi = 0;
  dstLo = 0;
  dstVid = 0;
  dstVersion = -1;

  constructor(
    readonly index: number,
    readonly port: Port,
    opts: BridgePortOptions,
    defaultPvid: number,
  ) {
    this.learning = opts.learning ?? true;
    this.flood = opts.flood ?? true;
    this.mcastFlood = opts.mcastFlood ?? true;
    this.bcastFlood = opts.bcastFlood ?? true;
    this.hairpin = opts.hairpin ?? false;
    this.isolated = opts.isolated ?? false;
    this.maxLearned = opts.maxLearned ?? Number.POSITIVE_INFINITY;
    this.groupFwdMask = checkMask(opts.groupFwdMask ?? 0, false);
    this.vlans = new VlanMembership(
      opts.vlans ?? (defaultPvid ? access(defaultPvid) : { pvid: 0, vlans: [] }),
    );
  }

  apply(opts: BridgePortOptions): void {
    if (opts.learning !== undefined) this.learning = opts.learning;
    if (opts.flood !== undefined) this.flood = opts.flood;
    if (opts.mcastFlood !== undefined) this.mcastFlood = opts.mcastFlood;
    if (opts.bcastFlood !== undefined) this.bcastFlood = opts.bcastFlood;
    if (opts.hairpin !== undefined) this.hairpin = opts.hairpin;
    if (opts.isolated !== undefined) this.isolated = opts.isolated;
    if (opts.maxLearned !== undefined) this.maxLearned = opts.maxLearned;
    if (opts.groupFwdMask !== undefined) this.groupFwdMask = checkMask(opts.groupFwdMask, false);
    if (opts.vlans !== undefined) this.vlans.set(opts.vlans);
    if (opts.mtu !== undefined) this.port.mtu = opts.mtu;
  }
}

/** Linux refuses group_fwd_mask bits 0–2 (STP, pause, LACP) on the bridge: BR_GROUPFWD_RESTRICTED. */
function checkMask(mask: number, bridge: boolean): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff) {
    throw new BridgeError(`group_fwd_mask ${mask} is not a 16-bit mask`);
  }
  if (bridge && (mask & 0x7) !== 0)
    throw new BridgeError("group_fwd_mask bits 0-2 are restricted (as Linux)");
  return mask;
}

/** Bridge ports accept and send frames with one VLAN tag beyond the MTU (as Linux's is_skb_forwardable). */
const SEND_OPTS = { allowedTags: 1 } as const;
/** Mirror copies may carry the tag the bridge added. */
const MIRROR_OPTS = { allowedTags: 2 } as const;

const FloodKind = { Unicast: 0, Multicast: 1, Broadcast: 2 } as const;
type FloodKind = (typeof FloodKind)[keyof typeof FloodKind];

/**
 * A MAC-learning bridge with Linux's semantics (see README.md for every rule and its source).
 * `addPort` returns a netdev Port to connect to a device with `connect(sim, port, devicePort)`.
 */
export class Bridge {
  readonly #fdb: Fdb;
  readonly #ports: BridgePortState[] = [];
  readonly #byPort = new Map<Port, BridgePortState>();
  readonly #guard: StormGuard | null;
  readonly vlanFiltering: boolean;
  readonly vlanProtocol: number;
  readonly defaultPvid: number;
  groupFwdMask: number;
  /** Whether STP runs (BPDUs are consumed, not forwarded). */
  readonly stp: boolean;
  /** The bridge MAC (lowest 48 bits of its bridge ID). */
  readonly mac: Mac;
  readonly #rstp: Rstp | null;
  // Per-frame scratch of the VLAN egress path (reset by every forward).
  #ingressTagged = false;
  #tci = 0;
  #untaggedCopy: Uint8Array | null = null;
  #taggedCopy: Uint8Array | null = null;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    opts: BridgeOptions = {},
  ) {
    const ageing = opts.ageingTime ?? 300_000_000_000;
    if (!Number.isInteger(ageing) || ageing < 0)
      throw new BridgeError(`ageingTime ${ageing} is not a non-negative integer of ns`);
    this.#fdb = new Fdb({
      ageingTime: ageing,
      maxLearned: opts.maxLearned ?? Number.POSITIVE_INFINITY,
      sweepInterval: opts.sweepInterval ?? 4_000_000_000,
    });
    this.vlanFiltering = opts.vlanFiltering ?? false;
    this.vlanProtocol = opts.vlanProtocol ?? VlanTpid.Dot1Q;
    if (this.vlanProtocol !== VlanTpid.Dot1Q && this.vlanProtocol !== VlanTpid.Dot1ad) {
      throw new BridgeError(`vlanProtocol 0x${this.vlanProtocol.toString(16)} is not 0x8100 or 0x88a8`);
    }
    this.defaultPvid = opts.defaultPvid ?? 1;
    if (this.defaultPvid !== 0) checkVid(this.defaultPvid);
    this.groupFwdMask = checkMask(opts.groupFwdMask ?? 0, true);
    this.stp = opts.stp !== undefined && opts.stp !== false;
    this.mac = opts.mac ?? ((0x0200_0000_0000 + sim.rng(`bridge:${name}`).int(0, 0xffff_ffff) * 256) as Mac);
    this.#rstp = this.stp
      ? new Rstp(
          sim,
          name,
          this.mac,
          {
            setState: (i, state) => {
              this.#ports[i].stpState = state;
            },
            flush: (i) => this.#fdb.flushPort(i),
            send: (i, frame) => {
              const p = this.#ports[i];
              if (p.attached) p.port.send(frame);
            },
          },
          typeof opts.stp === "object" ? opts.stp : {},
        )
      : null;
    this.#guard = opts.stormGuard === false ? null : new StormGuard(sim, name, opts.stormGuard ?? {});
  }

  /** Adds a port (Linux `ip link set P master br0`) and returns it, ready to `connect`. */
  addPort(name: string, opts: BridgePortOptions = {}): Port {
    if (this.#ports.some((p) => p.attached && p.port.name === name)) {
      throw new BridgeError(`bridge ${this.name} already has a port named ${name}`);
    }
    const port = new Port(this.sim, name, "ethernet", opts.mtu !== undefined ? { mtu: opts.mtu } : {});
    const st = new BridgePortState(this.#ports.length, port, opts, this.defaultPvid);
    this.#ports.push(st);
    this.#byPort.set(port, st);
    port.onReceive((frame) => this.#forward(frame, st));
    this.#rstp?.addPort(st.index, port, opts.mac ?? (((this.mac + st.index + 1) % 2 ** 48) as Mac), {
      cost: opts.stpCost,
      priority: opts.stpPriority,
      edge: opts.edge,
    });
    return port;
  }

  /** Removes a port (`ip link set P nomaster`): its FDB entries go, it no longer receives or sends. */
  removePort(port: Port): void {
    const st = this.#state(port);
    st.attached = false;
    port.onReceive(null);
    this.#fdb.flushPort(st.index, true);
    this.#byPort.delete(port);
    this.#rstp?.removePort(st.index);
  }

  /** The bridge's ports in the order they were added. */
  get ports(): Port[] {
    return this.#ports.filter((p) => p.attached).map((p) => p.port);
  }

  port(name: string): Port | undefined {
    return this.#ports.find((p) => p.attached && p.port.name === name)?.port;
  }

  /** Changes per-port settings (`bridge link set dev P learning off flood off isolated on …`). */
  setPortOptions(port: Port, opts: BridgePortOptions): void {
    const st = this.#state(port);
    st.apply(opts);
    if (
      this.#rstp !== null &&
      (opts.stpCost !== undefined || opts.stpPriority !== undefined || opts.edge !== undefined)
    )
      this.#rstp.setPortOptions(st.index, {
        cost: opts.stpCost,
        priority: opts.stpPriority,
        edge: opts.edge,
      });
  }

  portOptions(port: Port): Required<Omit<BridgePortOptions, StpPortOptionKeys>> & { readonly mtu: number } {
    const s = this.#state(port);
    return {
      learning: s.learning,
      flood: s.flood,
      mcastFlood: s.mcastFlood,
      bcastFlood: s.bcastFlood,
      hairpin: s.hairpin,
      isolated: s.isolated,
      maxLearned: s.maxLearned,
      groupFwdMask: s.groupFwdMask,
      vlans: s.vlans.list(),
      mtu: port.mtu,
    };
  }

  portStats(port: Port): BridgePortStats {
    return this.#state(port).stats;
  }

  /** `bridge vlan add dev P vid V [pvid] [untagged]`. */
  vlanAdd(port: Port, vid: number, opts: { pvid?: boolean; untagged?: boolean } = {}): void {
    this.#state(port).vlans.add(vid, opts);
  }

  /**
   * `bridge vlan del dev P vid V`: the port leaves the VLAN, and what it learned in that VLAN is
   * forgotten (Linux nbp_vlan_delete flushes the port's dynamic entries of the VID; static ones stay).
   */
  vlanDel(port: Port, vid: number): void {
    const st = this.#state(port);
    st.vlans.delete(vid);
    this.#fdb.flushPortVlan(st.index, vid);
  }

  /**
   * Replaces a port's VLAN membership, e.g. `setVlans(p, trunk([10, 20], { native: 1 }))`; VLANs the
   * port leaves lose its learned entries, as `vlanDel`.
   */
  setVlans(port: Port, vlans: PortVlans): void {
    const st = this.#state(port);
    const before = st.vlans.list().vlans;
    st.vlans.set(vlans);
    for (const v of before) if (!st.vlans.isMember(v.vid)) this.#fdb.flushPortVlan(st.index, v.vid);
  }

  vlans(port: Port): PortVlans {
    return this.#state(port).vlans.list();
  }

  /**
   * Adds a static FDB entry (never ages, never moved by learning). Without `vlan`, as Linux, the entry
   * is added for VLAN 0 and, with VLAN filtering, for every VLAN of the port.
   */
  addStatic(mac: Mac, port: Port, vlan?: number): void {
    const st = this.#state(port);
    if ((mac / 0x100_0000_0000) & 1 || mac === 0)
      throw new BridgeError(`static entry ${formatMac(mac)} is not a unicast MAC`);
    const now = this.sim.now;
    if (vlan !== undefined) {
      checkVid(vlan);
      this.#fdb.addStatic(vlan, mac, st.index, now);
      return;
    }
    this.#fdb.addStatic(0, mac, st.index, now);
    if (this.vlanFiltering)
      for (const v of st.vlans.list().vlans) this.#fdb.addStatic(v.vid, mac, st.index, now);
  }

  /** `bridge fdb del MAC dev P [vlan V]`; true if an entry was removed. */
  deleteFdb(mac: Mac, vlan = 0): boolean {
    return this.#fdb.delete(vlan, mac);
  }

  /** `bridge fdb flush dev P` (dynamic entries only). */
  flushFdb(port?: Port): void {
    if (port) this.#fdb.flushPort(this.#state(port).index);
    else for (const p of this.#ports) this.#fdb.flushPort(p.index);
  }

  /** The live FDB, as `bridge fdb show br NAME` (expired entries are swept first). */
  fdbShow(): FdbRow[] {
    const now = this.sim.now;
    return this.#fdb.entries(now).map((e) => ({
      mac: formatMac(e.mac),
      macValue: e.mac,
      vlan: e.vid === 0 ? null : e.vid,
      port: this.#ports[e.port].port.name,
      static: e.isStatic,
      age: now - e.updated,
    }));
  }

  /** `fdbShow()` as the text `bridge fdb show` prints (`MAC dev P vlan V master BR [static]`). */
  formatFdb(): string {
    return this.fdbShow()
      .map(
        (r) =>
          `${r.mac} dev ${r.port}${r.vlan === null ? "" : ` vlan ${r.vlan}`} master ${this.name}${r.static ? " static" : ""}`,
      )
      .join("\n");
  }

  /** Learned entries currently in the table (expired-but-not-swept included). */
  get learnedCount(): number {
    return this.#fdb.dynamicCount;
  }

  /** Mirrors frames received on (`ingress`) and/or sent by (`egress`) `source` out of `monitor`. */
  mirror(source: Port, monitor: Port, opts: MirrorOptions = {}): () => void {
    const st = this.#state(source);
    const ingress = opts.ingress ?? true;
    const egress = opts.egress ?? true;
    if (ingress) st.ingressMirrors = [...st.ingressMirrors, monitor];
    if (egress) st.egressMirrors = [...st.egressMirrors, monitor];
    return () => {
      if (ingress) st.ingressMirrors = st.ingressMirrors.filter((m) => m !== monitor);
      if (egress) st.egressMirrors = st.egressMirrors.filter((m) => m !== monitor);
    };
  }

  /** Storm reports, in the order they happened. */
  get stormReports(): readonly StormReport[] {
    return this.#guard?.reports ?? [];
  }

  /** True once the storm guard has stopped flooding (latched until `clearStorm()`). */
  get stormActive(): boolean {
    return this.#guard?.storm ?? false;
  }

  clearStorm(): void {
    this.#guard?.clear();
  }

  /** RSTP state like `mstpctl showbridge` / `showport` (null when STP is off). */
  stpShow(): StpShow | null {
    return this.#rstp?.show() ?? null;
  }

  /** The RSTP role of a port (null when STP is off). */
  stpRole(port: Port): StpRole | null {
    return this.#rstp?.role(this.#state(port).index) ?? null;
  }

  /** The port's state as `bridge link` shows it: "forwarding", "learning" or "discarding" (Linux: blocking). */
  stpState(port: Port): "discarding" | "learning" | "forwarding" {
    const s = this.#state(port).stpState;
    return s === StpState.Forwarding ? "forwarding" : s === StpState.Learning ? "learning" : "discarding";
  }

  /** Stops the RSTP hello timer, so that `sim.run()` can end with an empty queue. */
  stpStop(): void {
    this.#rstp?.stop();
  }

  /**
   * The forwarding decision for a frame that entered on `ingress`, synchronously: learns, then sends
   * copies out of the egress ports (Port.send; the links deliver them later). The port handler calls
   * this; benchmarks call it directly.
   */
  forwardFrame(frame: Uint8Array, ingress: Port): void {
    const st = this.#byPort.get(ingress);
    if (st === undefined) throw new BridgeError(`${ingress.name} is not a port of bridge ${this.name}`);
    this.#forward(frame, st);
  }

  #state(port: Port): BridgePortState {
    const st = this.#byPort.get(port);
    if (st === undefined) throw new BridgeError(`${port.name} is not a port of bridge ${this.name}`);
    return st;
  }

  #drop(st: BridgePortState, reason: DropReason): void {
    const d = st.stats.drops;
    d.set(reason, (d.get(reason) ?? 0) + 1);
    st.port.counters.dropRx(reason);
  }

  #forward(frame: Uint8Array, ing: BridgePortState): void {
    const stats = ing.stats;
    stats.rx++;
    if (ing.ingressMirrors.length !== 0) for (const m of ing.ingressMirrors) m.send(frame, MIRROR_OPTS);
    const len = frame.length;
    if (len < 14) {
      this.#drop(ing, "malformed");
      return;
    }
    // Source: multicast or all-zero is invalid (br_handle_frame: !is_valid_ether_addr → drop).
    const s0 = frame[6];
    if ((s0 & 1) !== 0 || (s0 | frame[7] | frame[8] | frame[9] | frame[10] | frame[11]) === 0) {
      this.#drop(ing, "bad-source-mac");
      return;
    }
    const d0 = frame[0];
    let linkLocal = false;
    if (
      d0 === 0x01 &&
      frame[1] === 0x80 &&
      frame[2] === 0xc2 &&
      frame[3] === 0 &&
      frame[4] === 0 &&
      frame[5] < 0x10
    ) {
      const x = frame[5];
      if (x === 0x01) {
        this.#drop(ing, "link-local");
        return;
      } // pause frames: always dropped
      if (x === 0 && this.#rstp !== null) {
        // A BPDU: to the spanning-tree engine (Linux br_stp_rcv), never forwarded.
        this.#rstp.receive(ing.index, frame);
        this.#drop(ing, "link-local");
        return;
      }
      const mask = ing.groupFwdMask | this.groupFwdMask;
      if (!((x === 0 && !this.stp) || (mask & (1 << x)) !== 0)) linkLocal = true; // consumed after learning
    }
    // VLAN classification (br_allowed_ingress).
    let vid = 0;
    if (this.vlanFiltering) {
      let tci = 0;
      let tagged = false;
      if (len >= 18 && ((frame[12] << 8) | frame[13]) === this.vlanProtocol) {
        tci = (frame[14] << 8) | frame[15];
        vid = tci & 0xfff;
        tagged = true;
      }
      if (vid === 0) {
        const pvid = ing.vlans.pvid;
        if (pvid === 0) {
          this.#drop(ing, "vlan-filtered");
          return;
        }
        vid = pvid;
        tci = (tci & 0xf000) | pvid;
      } else if ((ing.vlans.flags(vid) & VlanFlag.Member) === 0) {
        this.#drop(ing, "vlan-filtered");
        return;
      }
      this.#ingressTagged = tagged;
      this.#tci = tci;
      this.#untaggedCopy = null;
      this.#taggedCopy = null;
    }
    const now = this.sim.now;
    const stpState = ing.stpState;
    const fdb = this.#fdb;
    if (ing.learning && stpState !== StpState.Discarding) {
      const shi = (s0 << 8) | frame[7];
      const slo = (frame[8] << 24) | (frame[9] << 16) | (frame[10] << 8) | frame[11];
      const c = ing.srcEntry;
      if (
        c !== null &&
        ing.srcVersion === fdb.version &&
        ing.srcLo === slo &&
        ing.srcHi === shi &&
        ing.srcVid === vid &&
        c.port === ing.index &&
        !fdb.expired(c, now)
      ) {
        c.updated = now; // what learn() does for a live dynamic entry on this port ("refreshed")
      } else {
        const src = shi * 0x1_0000_0000 + (slo >>> 0);
        if (fdb.learn(vid, src as Mac, ing.index, now, ing.maxLearned) === "limit") stats.notLearned++;
        ing.srcEntry = fdb.lastLearned;
        ing.srcVersion = fdb.version;
        ing.srcHi = shi;
        ing.srcLo = slo;
        ing.srcVid = vid;
      }
    }
    if (linkLocal) {
      this.#drop(ing, "link-local");
      return;
    }
    if (stpState !== StpState.Forwarding) {
      // br_handle_frame: a port that is not forwarding learns (in learning state) and drops.
      this.#drop(ing, "stp-state");
      return;
    }
    const guard = this.#guard;
    if (guard?.blocked) {
      this.#drop(ing, "storm-guard");
      return;
    }
    if ((d0 & 1) !== 0) {
      const bcast = (d0 & frame[1] & frame[2] & frame[3] & frame[4] & frame[5]) === 0xff;
      this.#flood(frame, ing, vid, bcast ? FloodKind.Broadcast : FloodKind.Multicast);
      return;
    }
    const dhi = (d0 << 8) | frame[1];
    const dlo = (frame[2] << 24) | (frame[3] << 16) | (frame[4] << 8) | frame[5];
    let e = ing.dstEntry;
    if (
      e === null ||
      ing.dstVersion !== fdb.version ||
      ing.dstLo !== dlo ||
      ing.dstHi !== dhi ||
      ing.dstVid !== vid ||
      fdb.expired(e, now)
    ) {
      e = fdb.lookup(vid, dhi * 0x1_0000_0000 + (dlo >>> 0), now) ?? null;
      ing.dstEntry = e;
      ing.dstVersion = fdb.version;
      ing.dstHi = dhi;
      ing.dstLo = dlo;
      ing.dstVid = vid;
    }
    if (e === null) {
      this.#flood(frame, ing, vid, FloodKind.Unicast);
      return;
    }
    const out = this.#ports[e.port];
    if (out === ing && !ing.hairpin) {
      this.#drop(ing, "same-port");
      return;
    }
    if (!out.attached || !out.port.carrier || out.stpState !== StpState.Forwarding) {
      this.#drop(ing, "port-down");
      return;
    }
    if (ing.isolated && out.isolated) {
      this.#drop(ing, "isolated");
      return;
    }
    if (this.vlanFiltering && (out.vlans.flags(vid) & VlanFlag.Member) === 0) {
      this.#drop(ing, "vlan-filtered");
      return;
    }
    stats.forwarded++;
    this.#transmit(out, frame, vid);
    if (guard !== null) guard.count(1);
  }

  #flood(frame: Uint8Array, ing: BridgePortState, vid: number, kind: FloodKind): void {
    const guard = this.#guard;
    if (guard?.storm) {
      this.#drop(ing, "storm-guard");
      return;
    }
    ing.stats.flooded++;
    const ports = this.#ports;
    const filtering = this.vlanFiltering;
    let copies = 0;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (p === ing && !p.hairpin) continue;
      if (
        kind === FloodKind.Unicast ? !p.flood : kind === FloodKind.Multicast ? !p.mcastFlood : !p.bcastFlood
      )
        continue;
      if (!p.attached || (ing.isolated && p.isolated)) continue;
      if (filtering && (p.vlans.flags(vid) & VlanFlag.Member) === 0) continue;
      if (!p.port.carrier || p.stpState !== StpState.Forwarding) continue;
      this.#transmit(p, frame, vid);
      copies++;
    }
    if (guard !== null && copies !== 0) guard.count(copies);
  }

  /** Sends `frame` out of `p`, tagged or untagged per the port's membership of `vid` (br_handle_vlan). */
  #transmit(p: BridgePortState, frame: Uint8Array, vid: number): void {
    let out = frame;
    if (this.vlanFiltering) {
      if ((p.vlans.flags(vid) & VlanFlag.Untagged) !== 0) {
        if (this.#ingressTagged) out = this.#untaggedCopy ??= stripOuter(frame);
      } else if (!this.#ingressTagged || ((frame[14] << 8) | frame[15]) !== this.#tci) {
        out = this.#taggedCopy ??= this.#ingressTagged
          ? retag(frame, this.#tci)
          : insertTag(frame, this.vlanProtocol, this.#tci);
      }
    }
    p.port.send(out, SEND_OPTS);
    if (p.egressMirrors.length !== 0) for (const m of p.egressMirrors) m.send(out, MIRROR_OPTS);
  }
}

function stripOuter(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}

function retag(frame: Uint8Array, tci: number): Uint8Array {
  const out = frame.slice();
  out[14] = tci >>> 8;
  out[15] = tci & 0xff;
  return out;
}

function insertTag(frame: Uint8Array, tpid: number, tci: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out[12] = tpid >>> 8;
  out[13] = tpid & 0xff;
  out[14] = tci >>> 8;
  out[15] = tci & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}
