import type { Simulator } from "../sim/simulator.js";
import { isMulticastMac, type Mac, readMac } from "../wire/addr.js";
import { Counters } from "./counters.js";
import { ethernetFrameProblem } from "./frame-checks.js";
import type { Direction } from "./port.js";
import type { Tap } from "./tap.js";

/** QEMU's OUI for guest NICs: 52:54:00 (locally administered, unicast). */
export const QEMU_OUI = 0x525400;

/** A MAC 52:54:00:xx:xx:xx with the last three bytes drawn from the stream `vm-nic:${name}`. */
export function qemuMac(sim: Simulator, name: string): Mac {
  return (QEMU_OUI * 0x100_0000 + sim.rng(`vm-nic:${name}`).int(0, 0xff_ffff)) as Mac;
}

export type NicHandler = (frame: Uint8Array, nic: VmNic) => void;
export type NicObserver = (frame: Uint8Array, dir: Direction, nic: VmNic) => void;

export interface VmNicOptions {
  /** The NIC's MAC (default: `qemuMac(sim, name)`, deterministic from the seed). */
  readonly mac?: Mac;
  /** Guest MTU (default 1500). */
  readonly mtu?: number;
  /** Accept unicast frames for other MACs (default false: a NIC's receive filter drops them). */
  readonly promiscuous?: boolean;
}

/**
 * A VM's network card, as QEMU's NIC models seen from the guest: a MAC, a link state (`linkUp`, QEMU's
 * `set_link`), attached to a TAP's user side. `send(frame)` transmits a whole Ethernet frame;
 * `onReceive(handler)` gets the frames the NIC accepts: addressed to its MAC, group-addressed, or any
 * when promiscuous. `counters` are the guest's `eth0` view (send = tx, receive = rx).
 *
 * Drops are counted by reason, never thrown: link down or no TAP ("carrier-down"), shorter than 14
 * bytes ("malformed"), above the MTU ("mtu-exceeded"). Unicast frames for other MACs are filtered as
 * the hardware filter does, without touching rx counters (they are counted in `filtered`).
 */
export class VmNic {
  readonly mac: Mac;
  readonly counters = new Counters();
  mtu: number;
  promiscuous: boolean;
  /** Unicast frames for other MACs the receive filter discarded. */
  filtered = 0;
  #linkUp = true;
  #tap: Tap | null = null;
  #handler: NicHandler | null = null;
  #observers: NicObserver[] = [];
  readonly #onTapRead = (frame: Uint8Array): void => this.#receive(frame);

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    opts: VmNicOptions = {},
  ) {
    this.mac = opts.mac ?? qemuMac(sim, name);
    this.mtu = opts.mtu ?? 1500;
    this.promiscuous = opts.promiscuous ?? false;
  }

  get kind(): "ethernet" {
    return "ethernet";
  }

  /** The TAP this NIC is attached to (null when detached). */
  get tap(): Tap | null {
    return this.#tap;
  }

  /** Link state as the guest sees it (QEMU `set_link name on|off`). */
  get linkUp(): boolean {
    return this.#linkUp;
  }

  set linkUp(v: boolean) {
    this.#linkUp = v;
  }

  /** Link up, attached to a TAP, and the TAP is up. */
  get carrier(): boolean {
    return this.#linkUp && this.#tap?.up === true;
  }

  /** Connects this NIC to a TAP's user side (as QEMU opening the tap fd); replaces a previous one. */
  attach(tap: Tap): this {
    if (this.#tap) this.#tap.onRead(null);
    if (tap.attached) throw new Error(`vm-nic ${this.name}: tap ${tap.name} already has a reader`);
    this.#tap = tap;
    tap.onRead(this.#onTapRead);
    return this;
  }

  detach(): void {
    this.#tap?.onRead(null);
    this.#tap = null;
  }

  onReceive(handler: NicHandler | null): void {
    this.#handler = handler;
  }

  /** Observes frames the NIC sends ("out") and accepts ("in"), for captures. */
  observe(o: NicObserver): () => void {
    this.#observers.push(o);
    return () => {
      this.#observers = this.#observers.filter((x) => x !== o);
    };
  }

  /** Sends one Ethernet frame. False when dropped (and counted). */
  send(frame: Uint8Array): boolean {
    const c = this.counters;
    if (!this.carrier) {
      c.dropTx("carrier-down");
      return false;
    }
    const problem = ethernetFrameProblem(frame, this.mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") c.txErrors++;
      c.dropTx(problem);
      return false;
    }
    const len = frame.length;
    c.txPackets++;
    c.txBytes += len;
    const obs = this.#observers;
    if (obs.length !== 0) for (let i = 0; i < obs.length; i++) obs[i](frame, "out", this);
    (this.#tap as Tap).write(frame);
    return true;
  }

  #receive(frame: Uint8Array): void {
    const c = this.counters;
    if (!this.#linkUp) {
      c.dropRx("carrier-down");
      return;
    }
    const problem = ethernetFrameProblem(frame, this.mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") c.rxErrors++;
      c.dropRx(problem);
      return;
    }
    const len = frame.length;
    if (!this.promiscuous) {
      const dst = readMac(frame, 0);
      if (dst !== this.mac && !isMulticastMac(dst)) {
        this.filtered++;
        return;
      }
    }
    c.rxPackets++;
    c.rxBytes += len;
    const obs = this.#observers;
    if (obs.length !== 0) for (let i = 0; i < obs.length; i++) obs[i](frame, "in", this);
    const h = this.#handler;
    if (h !== null) h(frame, this);
  }
}
