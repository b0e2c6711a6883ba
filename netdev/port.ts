import type { Simulator } from "../sim/simulator.js";
import { Counters } from "./counters.js";

/** What a port carries: whole Ethernet frames (no FCS) or whole IP packets (a TUN's point-to-point side). */
export type PortKind = "ethernet" | "ip";

/** Direction of a frame seen at a port, for capture points: "in" arrived from the peer, "out" was sent to it. */
export type Direction = "in" | "out";

/** Called for every frame delivered to a port by its peer (after the port's own checks and counters). */
export type FrameHandler = (frame: Uint8Array, port: Port) => void;

/** Observes every frame a port sends or receives (capture points, mirrors, traces). */
export type PortObserver = (frame: Uint8Array, dir: Direction, port: Port) => void;

/**
 * The one port interface every device shares (bridge ports, TAP network sides, VM NICs, router
 * interfaces, TUN). A port is connected to at most one peer through a `Link` (see link.ts).
 *
 * - `send(frame)`: the owner transmits a frame out of this port toward the peer. Dropped and counted
 *   when the carrier is down or the frame exceeds the MTU; otherwise counted as tx and handed to the link.
 * - `deliver(frame)`: the link hands a frame arriving from the peer. Dropped and counted when the carrier
 *   is down; otherwise counted as rx and passed to the handler.
 * - Frames are never mutated after `send`; receivers that rewrite make a new buffer.
 */
export class Port {
  readonly counters = new Counters();
  #handler: FrameHandler | null = null;
  #observers: PortObserver[] = [];
  #peer: PortPeer | null = null;
  #up = true;
  mtu: number;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly kind: PortKind = "ethernet",
    opts: { mtu?: number } = {},
  ) {
    this.mtu = opts.mtu ?? 1500;
  }

  /** Administrative and carrier state together: a port that is down neither sends nor receives. */
  get up(): boolean {
    return this.#up;
  }

  set up(v: boolean) {
    this.#up = v;
  }

  /** Carrier: up and connected to a peer whose port is up too. */
  get carrier(): boolean {
    return this.#up && this.#peer?.peerUp() === true;
  }

  /** Largest frame this port sends or accepts: MTU plus the link header (14 bytes; +4 per VLAN tag the owner allows). */
  maxFrameLen(extraTags = 0): number {
    return this.kind === "ethernet" ? this.mtu + 14 + 4 * extraTags : this.mtu;
  }

  onReceive(handler: FrameHandler | null): void {
    this.#handler = handler;
  }

  observe(o: PortObserver): () => void {
    this.#observers.push(o);
    return () => {
      this.#observers = this.#observers.filter((x) => x !== o);
    };
  }

  /** @internal Used by Link to attach itself. */
  attachPeer(peer: PortPeer | null): void {
    this.#peer = peer;
  }

  get connected(): boolean {
    return this.#peer !== null;
  }

  send(frame: Uint8Array, opts?: { allowedTags?: number }): boolean {
    const c = this.counters;
    const peer = this.#peer;
    // Linux: no carrier (this side down, or the peer's side down, as on a veth pair) drops at the sender.
    if (!this.#up || (peer !== null && !peer.peerUp())) {
      c.dropTx("carrier-down");
      return false;
    }
    // The common case (within MTU + link header) decides without looking at the options.
    const len = frame.length;
    if (
      len > this.mtu + (this.kind === "ethernet" ? 14 : 0) &&
      len > this.maxFrameLen(opts?.allowedTags ?? 0)
    ) {
      c.txErrors++;
      c.dropTx("mtu-exceeded");
      return false;
    }
    if (peer === null) {
      c.dropTx("not-connected");
      return false;
    }
    c.txPackets++;
    c.txBytes += len;
    const obs = this.#observers;
    if (obs.length !== 0) for (let i = 0; i < obs.length; i++) obs[i](frame, "out", this);
    peer.transmit(frame);
    return true;
  }

  deliver(frame: Uint8Array): void {
    const c = this.counters;
    if (!this.#up) {
      c.dropRx("carrier-down");
      return;
    }
    c.rxPackets++;
    c.rxBytes += frame.length;
    const obs = this.#observers;
    if (obs.length !== 0) for (let i = 0; i < obs.length; i++) obs[i](frame, "in", this);
    const h = this.#handler;
    if (h !== null) h(frame, this);
  }
}

/** @internal The link side a port sends into. */
export interface PortPeer {
  transmit(frame: Uint8Array): void;
  peerUp(): boolean;
}
