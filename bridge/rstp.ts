/**
 * Rapid Spanning Tree (IEEE 802.1D-2004 clause 17) for vnet's Bridge, written as an event-driven
 * engine rather than the clause's literal state machines: the same priority vectors (17.6), role
 * selection (17.21.25 updRolesTree), information handling (17.21.8 rcvInfo, 17.27 PIM), the
 * proposal/agreement handshake with sync (17.29 PRT), edge detection (17.25 BDM), topology change
 * (17.31 TCM) and STP compatibility (17.26 PPM, one way: a Config/TCN BPDU makes the port speak STP).
 * Timers run on the simulator. See README.md ("RSTP") for what is simplified.
 */
import type { Port } from "../netdev/port.js";
import type { Simulator, Timer } from "../sim/simulator.js";
import type { SimTime } from "../sim/time.js";
import type { Mac } from "../wire/addr.js";
import { WireError } from "../wire/errors.js";
import {
  type BpduRepr,
  BpduRole,
  BpduType,
  type BridgeId,
  bpduOfFrame,
  buildBpduFrame,
  type ConfigBpduRepr,
  formatBridgeId,
  parseBpdu,
} from "../wire/stp.js";

/** Port states as the bridge's forwarding path reads them (Linux BR_STATE_* collapsed to 802.1D-2004's three). */
export const StpState = { Discarding: 0, Learning: 1, Forwarding: 2 } as const;
export type StpState = (typeof StpState)[keyof typeof StpState];

export type StpRole = "root" | "designated" | "alternate" | "backup" | "disabled";

export interface RstpOptions {
  /** Bridge priority, a multiple of 4096 in 0..61440 (default 32768, 17.14). */
  readonly priority?: number;
  /** Hello time in ns (default 2 s). */
  readonly helloTime?: SimTime;
  /** Max age in ns (default 20 s). */
  readonly maxAge?: SimTime;
  /** Forward delay in ns (default 15 s). */
  readonly forwardDelay?: SimTime;
}

export interface RstpPortOptions {
  /** Port path cost (default 20000, 802.1D-2004 table 17-3 for 1 Gb/s). */
  readonly cost?: number;
  /** Port priority, a multiple of 16 in 0..240 (default 128). */
  readonly priority?: number;
  /** AdminEdge: the port is an edge port from the start (forwards at once, no TC). */
  readonly edge?: boolean;
}

/** What the engine needs from its bridge. */
export interface RstpHost {
  setState(index: number, state: StpState): void;
  /** Flushes the dynamic FDB entries learned on the port. */
  flush(index: number): void;
  /** Sends a BPDU frame out of the port (regardless of its forwarding state). */
  send(index: number, frame: Uint8Array): void;
}

/** `stpShow()` rows. */
export interface StpPortRow {
  readonly port: string;
  readonly portId: string;
  readonly role: StpRole;
  readonly state: "discarding" | "learning" | "forwarding";
  readonly cost: number;
  readonly edge: boolean;
  /** false once the port fell back to STP (it received a Config or TCN BPDU). */
  readonly rstp: boolean;
  readonly designatedBridge: string;
}

export interface StpShow {
  readonly bridgeId: string;
  readonly rootId: string;
  readonly rootPathCost: number;
  /** Name of the root port; null on the root bridge. */
  readonly rootPort: string | null;
  readonly topologyChanges: number;
  readonly ports: readonly StpPortRow[];
}

export class RstpError extends Error {
  override readonly name = "RstpError";
}

/** 802.1D-2004 table 17-3: 20 000 000 000 000 / bits per second, within 1..200 000 000. */
export function pathCostForSpeed(bitsPerSecond: number): number {
  return Math.min(200_000_000, Math.max(1, Math.round(2e13 / bitsPerSecond)));
}

/** A priority vector (17.6): root, root path cost, designated bridge, designated port, receiving port. */
interface Vec {
  readonly root: bigint;
  readonly cost: number;
  readonly bridge: bigint;
  readonly port: number;
  readonly rx: number;
}

/** Negative if `a` is better (lower) than `b`, comparing the first four components. */
function cmp4(a: Vec, b: Vec): number {
  if (a.root !== b.root) return a.root < b.root ? -1 : 1;
  if (a.cost !== b.cost) return a.cost - b.cost;
  if (a.bridge !== b.bridge) return a.bridge < b.bridge ? -1 : 1;
  return a.port - b.port;
}

/** Times in 1/256 s, as carried in BPDUs. */
interface Times {
  readonly messageAge: number;
  readonly maxAge: number;
  readonly hello: number;
  readonly forwardDelay: number;
}

const MAC_MASK = (1n << 48n) - 1n;
const idOf = (b: BridgeId): bigint => (BigInt(b.priority | b.systemId) << 48n) | BigInt(b.mac);
const bridgeIdOf = (id: bigint): BridgeId => {
  const p = Number(id >> 48n);
  return { priority: p & 0xf000, systemId: p & 0xfff, mac: Number(id & MAC_MASK) as Mac };
};
const toUnits = (ns: SimTime): number => Math.round((ns * 256) / 1e9);
const toNs = (units: number): SimTime => Math.round((units * 1e9) / 256);
/** Migrate Time (17.13.9): 3 s, also the edge delay on point-to-point links. */
const MIGRATE_TIME = 3_000_000_000;

class RstpPort {
  priority: number;
  cost: number;
  adminEdge: boolean;
  operEdge: boolean;
  enabled = false;
  role: StpRole = "disabled";
  state: StpState = StpState.Discarding;
  infoIs: "disabled" | "mine" | "aged" | "received" = "disabled";
  prio: Vec | null = null;
  times: Times | null = null;
  desig: Vec | null = null;
  rcvdAt = 0;
  enabledAt = 0;
  lastBpduAt = Number.NEGATIVE_INFINITY;
  proposing = false;
  agreed = false;
  agree = false;
  sendRstp = true;
  tcUntil = 0;
  tcAck = false;
  fdTimer: Timer | null = null;
  attached = true;

  constructor(
    readonly index: number,
    readonly port: Port,
    readonly mac: Mac,
    opts: RstpPortOptions,
  ) {
    this.priority = checkPortPriority(opts.priority ?? 128);
    this.cost = checkCost(opts.cost ?? 20_000);
    this.adminEdge = opts.edge ?? false;
    this.operEdge = this.adminEdge;
  }

  get portId(): number {
    return (this.priority << 8) | ((this.index + 1) & 0xfff);
  }
}

function checkPortPriority(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 240 || p % 16 !== 0)
    throw new RstpError(`port priority ${p} is not a multiple of 16 in 0..240`);
  return p;
}

function checkCost(c: number): number {
  if (!Number.isInteger(c) || c < 1 || c > 200_000_000)
    throw new RstpError(`port path cost ${c} is not in 1..200000000`);
  return c;
}

const STATE_NAMES = ["discarding", "learning", "forwarding"] as const;

/** The RSTP engine of one bridge. The Bridge creates it for `stp: true | RstpOptions`. */
export class Rstp {
  readonly #ports: RstpPort[] = [];
  readonly #id: bigint;
  readonly #times: Times;
  #rootVec: Vec;
  #rootTimes: Times;
  #rootPort: RstpPort | null = null;
  #tick: Timer | null = null;
  #tcCount = 0;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly mac: Mac,
    readonly host: RstpHost,
    opts: RstpOptions = {},
  ) {
    const priority = opts.priority ?? 32768;
    if (!Number.isInteger(priority) || priority < 0 || priority > 61440 || priority % 4096 !== 0)
      throw new RstpError(`bridge priority ${priority} is not a multiple of 4096 in 0..61440`);
    const hello = opts.helloTime ?? 2_000_000_000;
    const maxAge = opts.maxAge ?? 20_000_000_000;
    const fwd = opts.forwardDelay ?? 15_000_000_000;
    // 17.14 parameter relationship: 2 × (Forward Delay − 1 s) ≥ Max Age ≥ 2 × (Hello Time + 1 s).
    if (!(hello > 0 && maxAge >= 2 * (hello + 1e9) && 2 * (fwd - 1e9) >= maxAge))
      throw new RstpError("timers break 2 × (forwardDelay − 1 s) ≥ maxAge ≥ 2 × (helloTime + 1 s)");
    this.#id = idOf({ priority, systemId: 0, mac });
    this.#times = {
      messageAge: 0,
      maxAge: toUnits(maxAge),
      hello: toUnits(hello),
      forwardDelay: toUnits(fwd),
    };
    this.#rootVec = { root: this.#id, cost: 0, bridge: this.#id, port: 0, rx: 0 };
    this.#rootTimes = this.#times;
    // The first tick runs when the simulation starts, after the topology is wired.
    this.#tick = sim.schedule(0, () => this.#onTick());
  }

  addPort(index: number, port: Port, mac: Mac, opts: RstpPortOptions = {}): void {
    const p = new RstpPort(index, port, mac, opts);
    this.#ports[index] = p;
    this.host.setState(index, StpState.Discarding);
  }

  removePort(index: number): void {
    const p = this.#ports[index];
    if (p === undefined) return;
    p.fdTimer?.cancel();
    p.attached = false;
    p.enabled = false;
    p.infoIs = "disabled";
    this.#reselect();
  }

  setPortOptions(index: number, opts: RstpPortOptions): void {
    const p = this.#port(index);
    if (opts.priority !== undefined) p.priority = checkPortPriority(opts.priority);
    if (opts.cost !== undefined) p.cost = checkCost(opts.cost);
    if (opts.edge !== undefined) {
      p.adminEdge = opts.edge;
      p.operEdge = opts.edge;
    }
    this.#reselect();
  }

  /** Stops the hello timer (the simulator can then run empty). */
  stop(): void {
    this.#tick?.cancel();
    this.#tick = null;
    for (const p of this.#ports) p?.fdTimer?.cancel();
  }

  get bridgeId(): BridgeId {
    return bridgeIdOf(this.#id);
  }

  role(index: number): StpRole {
    return this.#port(index).role;
  }

  state(index: number): StpState {
    return this.#port(index).state;
  }

  show(): StpShow {
    return {
      bridgeId: formatBridgeId(bridgeIdOf(this.#id)),
      rootId: formatBridgeId(bridgeIdOf(this.#rootVec.root)),
      rootPathCost: this.#rootVec.cost,
      rootPort: this.#rootPort?.port.name ?? null,
      topologyChanges: this.#tcCount,
      ports: this.#ports
        .filter((p) => p?.attached)
        .map((p) => ({
          port: p.port.name,
          portId: `${(p.priority >> 4).toString(16)}.${(p.index + 1).toString(16).padStart(3, "0")}`,
          role: p.role,
          state: STATE_NAMES[p.state],
          cost: p.cost,
          edge: p.operEdge,
          rstp: p.sendRstp,
          designatedBridge: p.prio ? formatBridgeId(bridgeIdOf(p.prio.bridge)) : "",
        })),
    };
  }

  #port(index: number): RstpPort {
    const p = this.#ports[index];
    if (p === undefined) throw new RstpError(`no RSTP port ${index} on bridge ${this.name}`);
    return p;
  }

  // ---- reception (17.21.8 rcvInfo, 17.27 Port Information machine) ----

  /** A frame to 01:80:C2:00:00:00 arrived on port `index`. Invalid BPDUs are ignored (9.3.4). */
  receive(index: number, frame: Uint8Array): void {
    const p = this.#ports[index];
    if (p === undefined || !p.attached) return;
    if (!p.enabled) this.#checkCarrier(p);
    if (!p.enabled) return;
    let r: BpduRepr;
    try {
      r = parseBpdu(bpduOfFrame(frame));
    } catch (e) {
      if (e instanceof WireError) return;
      throw e;
    }
    const now = this.sim.now;
    p.lastBpduAt = now;
    // 17.25 BDM: a BPDU means a bridge is attached: not an edge port (unless AdminEdge … which Linux also drops).
    if (p.operEdge) {
      p.operEdge = false;
    }
    // 17.26 PPM: an STP BPDU makes the port speak STP (one way; no mcheck back to RSTP).
    if (r.type !== BpduType.Rst && p.sendRstp) p.sendRstp = false;
    if (r.type === BpduType.Tcn) {
      // 17.31 TCM: a TCN on a designated port: acknowledge and propagate.
      if (p.role === "designated") {
        p.tcAck = true;
        this.#propagateTc(p);
        this.#transmit(p);
      }
      return;
    }
    this.#onConfig(p, r);
  }

  #onConfig(p: RstpPort, r: ConfigBpduRepr): void {
    const now = this.sim.now;
    const role = r.type === BpduType.Config ? BpduRole.Designated : r.flags.role;
    const msg: Vec = {
      root: idOf(r.rootId),
      cost: r.rootPathCost,
      bridge: idOf(r.bridgeId),
      port: r.portId,
      rx: p.portId,
    };
    const times: Times = {
      messageAge: r.messageAge,
      maxAge: r.maxAge,
      hello: r.helloTime,
      forwardDelay: r.forwardDelay,
    };
    if (r.type === BpduType.Config && r.flags.topologyChangeAck) p.tcAck = false;
    if (role === BpduRole.Designated) {
      const cur = p.prio;
      const superior =
        cur === null ||
        p.infoIs !== "received" ||
        cmp4(msg, cur) < 0 ||
        (msg.bridge === cur.bridge && (msg.port & 0xfff) === (cur.port & 0xfff) && cmp4(msg, cur) !== 0);
      const same = cur !== null && cmp4(msg, cur) === 0;
      if (r.messageAge >= r.maxAge) return; // expired information (17.19.22)
      if (superior && !(same && p.infoIs === "received")) {
        if (p.infoIs === "mine" && cur !== null && cmp4(msg, cur) > 0 && msg.bridge !== cur.bridge) {
          // Inferior designated information: we are the designated port here; tell them at once.
          this.#transmit(p);
          return;
        }
        // SUPERIOR_DESIGNATED: record priority and times, restart ageing, reselect.
        p.agreed = false;
        p.proposing = false;
        p.prio = msg;
        p.times = times;
        p.infoIs = "received";
        p.rcvdAt = now;
        this.#reselect();
      } else if (same && p.infoIs === "received") {
        // REPEATED_DESIGNATED: restart ageing.
        p.times = times;
        p.rcvdAt = now;
      } else {
        // Inferior designated (OtherInfo in 802.1D-2004): answer with our own information.
        if (p.role === "designated") this.#transmit(p);
        return;
      }
      if (r.flags.topologyChange && (p.role === "root" || p.role === "designated")) {
        // NOTIFIED_TC → PROPAGATING on the other ports (17.31).
        this.#propagateTc(p);
      }
      if (r.type === BpduType.Rst && r.flags.proposal) this.#onProposal(p);
      return;
    }
    // InferiorRootAlternateInfo (17.21.8): recordAgreement (17.21.9) on a point-to-point RSTP port.
    if (p.prio !== null && cmp4(msg, p.prio) >= 0) {
      if (r.flags.agreement && p.sendRstp && p.role === "designated") {
        p.agreed = true;
        p.proposing = false;
        if (p.state !== StpState.Forwarding) this.#setForwarding(p);
      }
      if (r.flags.topologyChange && (p.role === "root" || p.role === "designated")) this.#propagateTc(p);
    }
  }

  /** A proposal on a port whose information we just recorded (17.29.2 ROOT_PROPOSED/AGREED, 17.29.3). */
  #onProposal(p: RstpPort): void {
    if (!p.sendRstp) return;
    if (p.role === "root") {
      this.#syncTree(p);
      p.agree = true;
      if (p.state !== StpState.Forwarding) this.#setForwarding(p);
      this.#transmit(p);
    } else if (p.role === "alternate" || p.role === "backup") {
      p.agree = true;
      this.#transmit(p);
    }
  }

  /** setSyncTree (17.21.14): every other designated port that has not been agreed goes discarding and proposes. */
  #syncTree(except: RstpPort): void {
    for (const q of this.#ports) {
      if (q === undefined || q === except || !q.enabled || q.role !== "designated" || q.operEdge || q.agreed)
        continue;
      if (q.state !== StpState.Discarding) this.#setState(q, StpState.Discarding);
      this.#startDesignated(q);
    }
  }

  // ---- role selection (17.21.25 updRolesTree) ----

  #reselect(): void {
    let best: Vec = { root: this.#id, cost: 0, bridge: this.#id, port: 0, rx: 0 };
    let rootPort: RstpPort | null = null;
    for (const p of this.#ports) {
      if (p === undefined || !p.enabled || p.infoIs !== "received" || p.prio === null) continue;
      if ((p.prio.bridge & MAC_MASK) === (this.#id & MAC_MASK)) continue;
      const v: Vec = { ...p.prio, cost: p.prio.cost + p.cost, rx: p.portId };
      if (cmp4(v, best) < 0 || (cmp4(v, best) === 0 && v.rx < best.rx)) {
        best = v;
        rootPort = p;
      }
    }
    const oldRoot = this.#rootVec.root;
    this.#rootVec = best;
    this.#rootPort = rootPort;
    this.#rootTimes =
      rootPort?.times != null
        ? { ...rootPort.times, messageAge: rootPort.times.messageAge + 256 }
        : this.#times;
    const newRootPort = rootPort !== null && rootPort.role !== "root";
    const changed: RstpPort[] = [];
    for (const p of this.#ports) {
      if (p === undefined || !p.attached) continue;
      const d: Vec = { root: best.root, cost: best.cost, bridge: this.#id, port: p.portId, rx: p.portId };
      p.desig = d;
      let role: StpRole;
      if (!p.enabled) role = "disabled";
      else if (p === rootPort) role = "root";
      else if (p.infoIs === "received" && p.prio !== null && cmp4(d, p.prio) >= 0)
        role = p.prio.bridge === this.#id ? "backup" : "alternate";
      else {
        role = "designated";
        const worse = p.prio === null || p.infoIs !== "mine" || cmp4(d, p.prio) > 0;
        if (p.infoIs !== "mine" || cmp4(d, p.prio ?? d) !== 0) changed.push(p);
        if (worse) p.agreed = false; // 17.27 UPDATE: agreed only if the new info is better or the same
        p.prio = d;
        p.times = this.#rootTimes;
        p.infoIs = "mine";
      }
      if (role !== p.role) {
        this.#setRole(p, role);
        if (role === "designated" && !changed.includes(p)) changed.push(p);
      }
    }
    if (newRootPort && rootPort !== null) {
      // A new root port: sync the tree, then the root port forwards at once (reRooted, 17.29.2).
      this.#syncTree(rootPort);
      if (rootPort.state !== StpState.Forwarding) this.#setForwarding(rootPort);
    } else if (rootPort !== null && oldRoot !== best.root) this.#syncTree(rootPort);
    for (const p of changed) if (p.role === "designated") this.#transmit(p);
  }

  #setRole(p: RstpPort, role: StpRole): void {
    const old = p.role;
    p.role = role;
    p.agree = false;
    p.fdTimer?.cancel();
    p.fdTimer = null;
    if (role === "designated") {
      p.agreed = false;
      if (p.operEdge) {
        if (p.state !== StpState.Forwarding) this.#setForwarding(p);
      } else {
        if (old !== "designated" && p.state !== StpState.Discarding) this.#setState(p, StpState.Discarding);
        this.#startDesignated(p);
      }
    } else if (role !== "root") {
      // ALTERNATE/BACKUP/DISABLED: discard; 17.31 INACTIVE flushes what the port learned.
      p.proposing = false;
      p.agreed = false;
      if (p.state !== StpState.Discarding) {
        this.#setState(p, StpState.Discarding);
        this.host.flush(p.index);
      }
    } else {
      p.proposing = false;
    }
  }

  /** A designated port that is not forwarding: propose (RSTP) and count forward delays (17.29.3). */
  #startDesignated(p: RstpPort): void {
    p.fdTimer?.cancel();
    p.proposing = p.sendRstp;
    p.agreed = false;
    const fd = toNs(this.#rootTimes.forwardDelay);
    const step = (): void => {
      p.fdTimer = null;
      if (p.role !== "designated") return;
      if (p.state === StpState.Discarding) {
        this.#setState(p, StpState.Learning);
        p.fdTimer = this.sim.schedule(fd, step);
      } else if (p.state === StpState.Learning) this.#setForwarding(p);
    };
    p.fdTimer = this.sim.schedule(fd, step);
  }

  #setForwarding(p: RstpPort): void {
    p.fdTimer?.cancel();
    p.fdTimer = null;
    p.proposing = false;
    this.#setState(p, StpState.Forwarding);
    // 17.31 DETECTED: a non-edge port becoming forwarding is a topology change.
    if (!p.operEdge) {
      this.#newTcWhile(p);
      this.#propagateTc(p);
    }
  }

  #setState(p: RstpPort, s: StpState): void {
    p.state = s;
    this.host.setState(p.index, s);
  }

  // ---- topology change (17.31) ----

  /** newTcWhile (17.21.7): start sending TC on the port if it is not already. */
  #newTcWhile(p: RstpPort): void {
    const now = this.sim.now;
    if (p.tcUntil > now) return;
    const hello = toNs(this.#rootTimes.hello);
    p.tcUntil =
      now +
      (p.sendRstp ? hello + 1_000_000_000 : toNs(this.#rootTimes.maxAge + this.#rootTimes.forwardDelay));
    this.#transmit(p);
  }

  /** setTcPropTree → PROPAGATING: every other active non-edge port flushes and signals TC. */
  #propagateTc(from: RstpPort): void {
    this.#tcCount++;
    for (const q of this.#ports) {
      if (q === undefined || q === from || !q.enabled || q.operEdge) continue;
      if (q.role !== "root" && q.role !== "designated") continue;
      this.host.flush(q.index);
      this.#newTcWhile(q);
    }
  }

  // ---- transmission (17.21.19–21, 17.26 Port Transmit) ----

  #transmit(p: RstpPort): void {
    if (!p.enabled || p.desig === null) return;
    const now = this.sim.now;
    const tc = p.tcUntil > now;
    const t = this.#rootTimes;
    let r: BpduRepr;
    if (!p.sendRstp) {
      if (p.role === "root" && tc) r = { type: BpduType.Tcn, version: 0 };
      else if (p.role !== "designated") return;
      else r = this.#config(p, BpduType.Config, 0, tc, t);
    } else r = this.#config(p, BpduType.Rst, 2, tc, t);
    this.host.send(p.index, buildBpduFrame(r, p.mac));
    if (!p.sendRstp) p.tcAck = false;
  }

  #config(p: RstpPort, type: 0 | 2, version: number, tc: boolean, t: Times): ConfigBpduRepr {
    const d = p.desig as Vec;
    const rstp = type === BpduType.Rst;
    return {
      type,
      version,
      flags: {
        topologyChange: tc,
        proposal: rstp && p.role === "designated" && p.proposing,
        role: rstp ? ROLE_CODE[p.role] : BpduRole.Unknown,
        learning: rstp && p.state !== StpState.Discarding,
        forwarding: rstp && p.state === StpState.Forwarding,
        agreement: rstp && p.agree,
        topologyChangeAck: !rstp && p.tcAck,
      },
      rootId: bridgeIdOf(d.root),
      rootPathCost: d.cost,
      bridgeId: bridgeIdOf(d.bridge),
      portId: p.portId,
      messageAge: t.messageAge,
      maxAge: t.maxAge,
      helloTime: this.#times.hello,
      forwardDelay: t.forwardDelay,
      version1Length: 0,
    };
  }

  // ---- the hello tick: periodic BPDUs, ageing, carrier, edge detection ----

  #checkCarrier(p: RstpPort): boolean {
    const c = p.attached && p.port.carrier;
    if (c === p.enabled) return false;
    p.enabled = c;
    if (c) {
      p.enabledAt = this.sim.now;
      p.infoIs = "aged";
      p.prio = null;
      p.sendRstp = true;
    } else {
      p.infoIs = "disabled";
      p.prio = null;
      p.operEdge = p.adminEdge;
      p.tcUntil = 0;
    }
    return true;
  }

  #onTick(): void {
    const now = this.sim.now;
    let reselect = false;
    for (const p of this.#ports) {
      if (p === undefined || !p.attached) continue;
      if (this.#checkCarrier(p)) reselect = true;
      // 17.27 AGED: rcvdInfoWhile (3 × the received Hello Time) ran out.
      if (p.infoIs === "received" && p.times !== null && now >= p.rcvdAt + 3 * toNs(p.times.hello)) {
        p.infoIs = "aged";
        reselect = true;
      }
    }
    if (reselect) this.#reselect();
    for (const p of this.#ports) {
      if (p === undefined || !p.enabled) continue;
      // 17.25 BDM: a designated port that heard no BPDU for the edge delay becomes an edge port.
      if (
        !p.operEdge &&
        p.role === "designated" &&
        p.lastBpduAt < p.enabledAt &&
        now - p.enabledAt >= MIGRATE_TIME
      ) {
        p.operEdge = true;
        if (p.state !== StpState.Forwarding) this.#setForwarding(p);
      }
      if (p.role === "designated") this.#transmit(p);
    }
    this.#tick = this.sim.schedule(toNs(this.#times.hello), () => this.#onTick());
  }
}

const ROLE_CODE: Record<StpRole, BpduRole> = {
  root: BpduRole.Root,
  designated: BpduRole.Designated,
  alternate: BpduRole.AlternateBackup,
  backup: BpduRole.AlternateBackup,
  disabled: BpduRole.Unknown,
};
