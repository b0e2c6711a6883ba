import type { Simulator } from "../sim/simulator.js";
import { ETH_HLEN, ethernetFrameProblem, leadingVlanTags } from "./frame-checks.js";
import { UserSideDevice } from "./user-device.js";

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
export class Tap extends UserSideDevice<"ethernet", TapReader> {
  constructor(sim: Simulator, name: string, opts: TapOptions = {}) {
    super(sim, name, "ethernet", opts.mtu ?? 1500);
  }

  /** User side: writes one Ethernet frame into the network. False when it was dropped (and counted). */
  write(frame: Uint8Array): boolean {
    if (!this.userCanWrite()) return false;
    const mtu = this.port.mtu;
    const problem = ethernetFrameProblem(frame, mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") this.counters.rxErrors++;
      this.counters.dropRx(problem);
      return false;
    }
    this.countUserWrite(frame);
    // A VLAN-tagged frame past the MTU passed above; the port allows it the same tag room.
    if (frame.length > mtu + ETH_HLEN) return this.port.send(frame, { allowedTags: leadingVlanTags(frame) });
    return this.port.send(frame);
  }

  protected fromNetwork(frame: Uint8Array): void {
    const problem = ethernetFrameProblem(frame, this.port.mtu);
    if (problem !== null) {
      if (problem === "mtu-exceeded") this.counters.txErrors++;
      this.counters.dropTx(problem);
      return;
    }
    this.readerFor(frame)?.(frame, this);
  }
}
