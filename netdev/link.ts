import type { Simulator } from "../sim/simulator.js";
import type { Port, PortPeer } from "./port.js";

/** Link parameters; the default is a perfect link (no delay, no loss). Engineer I1 extends this. */
export interface LinkOptions {
  /** One-way propagation delay in ns. */
  readonly delay?: number;
}

/**
 * A full-duplex link between two ports. A frame sent on one side is delivered to the other through
 * the simulator (never synchronously, even with zero delay), so a flood through a bridge cannot
 * recurse and event order is always (time, sequence).
 */
export class Link {
  readonly a: Port;
  readonly b: Port;
  constructor(
    readonly sim: Simulator,
    a: Port,
    b: Port,
    readonly opts: LinkOptions = {},
  ) {
    if (a.connected || b.connected)
      throw new Error(`link: ${a.connected ? a.name : b.name} is already connected`);
    this.a = a;
    this.b = b;
    a.attachPeer(this.#side(b));
    b.attachPeer(this.#side(a));
  }

  #side(to: Port): PortPeer {
    const delay = this.opts.delay ?? 0;
    return {
      transmit: (frame) => {
        this.sim.schedule(delay, () => to.deliver(frame));
      },
      peerUp: () => to.up,
    };
  }

  disconnect(): void {
    this.a.attachPeer(null);
    this.b.attachPeer(null);
  }
}

export function connect(sim: Simulator, a: Port, b: Port, opts: LinkOptions = {}): Link {
  return new Link(sim, a, b, opts);
}
