import type { Simulator } from "../sim/simulator.js";
import { Counters } from "./counters.js";
import { ethernetFrameProblem, leadingVlanTags } from "./frame-checks.js";
import { Port, type PortObserver } from "./port.js";

/** Called with each frame the network sends to the TAP's user side. */
export type TapReader = (frame: Uint8Array, tap: Tap) => void;

export interface TapOptions {
  /** MTU of the device (default 1500, as Linux). Frames up to MTU + 14 (+ 4 per VLAN tag) pass. */
  readonly mtu?: number;
}

/**
 * A TAP device: an Ethernet (L2) device with two sides, as Linux's `tap0`.
 *
 * - User side: what a VM NIC (QEMU reading the fd) or a program uses. `write(frame)` puts a whole
 *   Ethernet frame (no FCS) into the network; `onRead(handler)` receives the frames the network sends.
 * - Network side: `port`, a `Port` to connect to a bridge or a router with `connect()`.
 *
 * `counters` are the device's as Linux shows them for `tap0`: a frame the user writes is *received*
 * (rx), a frame handed to the user is *transmitted* (tx). (The network-side `port` counts the other
 * way round: what it sends toward the bridge is its tx.) A frame that cannot enter — shorter than 14
 * bytes ("malformed"), larger than the MTU allows ("mtu-exceeded", also an rx error), device down
 * ("carrier-down") — is dropped and counted by reason, never thrown. Frames from the network with no
 * reader attached are dropped as "carrier-down" (Linux: a tap without an attached queue has no carrier).
 */
export class Tap {
  readonly port: Port;
  readonly counters = new Counters();
  #reader: TapReader | null = null;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    opts: TapOptions = {},
  ) {
    this.port = new Port(sim, name, "ethernet", { mtu: opts.mtu ?? 1500 });
    this.port.onReceive((frame) => this.#fromNetwork(frame));
  }

  get kind(): "ethernet" {
    return "ethernet";
  }

  get mtu(): number {
    return this.port.mtu;
  }

  set mtu(v: number) {
    this.port.mtu = v;
  }

  /** Administrative state (`ip link set tap0 up/down`): a TAP that is down passes nothing either way. */
  get up(): boolean {
    return this.port.up;
  }

  set up(v: boolean) {
    this.port.up = v;
  }

  /** Whether a reader is attached to the user side. */
  get attached(): boolean {
    return this.#reader !== null;
  }

  /** Attaches (or with null detaches) the user side's reader. */
  onRead(handler: TapReader | null): void {
    this.#reader = handler;
  }

  /** Observes frames at the network side ("out": toward the network, "in": from it), for captures. */
  observe(o: PortObserver): () => void {
    return this.port.observe(o);
  }

  /** User side: writes one Ethernet frame into the network. False when it was dropped (and counted). */
  write(frame: Uint8Array): boolean {
    const c = this.counters;
    if (!this.port.up) {
      c.dropRx("carrier-down");
      return false;
    }
    const problem = ethernetFrameProblem(frame, this.port.mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") c.rxErrors++;
      c.dropRx(problem);
      return false;
    }
    c.rxPackets++;
    c.rxBytes += frame.byteLength;
    return this.port.send(frame, { allowedTags: leadingVlanTags(frame) });
  }

  #fromNetwork(frame: Uint8Array): void {
    const c = this.counters;
    const problem = ethernetFrameProblem(frame, this.port.mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") c.txErrors++;
      c.dropTx(problem);
      return;
    }
    const reader = this.#reader;
    if (reader === null) {
      c.dropTx("carrier-down");
      return;
    }
    c.txPackets++;
    c.txBytes += frame.byteLength;
    reader(frame, this);
  }
}
