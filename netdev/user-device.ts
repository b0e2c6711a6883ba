import type { Simulator } from "../sim/simulator.js";
import { Counters } from "./counters.js";
import { Port, type PortKind, type PortObserver } from "./port.js";

/**
 * The skeleton TAP and TUN share: a device with two sides, as Linux's `tap0`/`tun0`. The user side is
 * a reader (`onRead`) and the subclass's `write`; the network side is `port`. `counters` follow the
 * device's own view: user writes are rx, packets handed to the user are tx.
 *
 * `R` is the subclass's reader type (it receives the subclass itself as its second argument).
 */
export abstract class UserSideDevice<K extends PortKind, R> {
  readonly port: Port;
  readonly counters = new Counters();
  #reader: R | null = null;

  protected constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly kind: K,
    mtu: number,
  ) {
    this.port = new Port(sim, name, kind, { mtu });
    this.port.onReceive((b) => this.fromNetwork(b));
  }

  get mtu(): number {
    return this.port.mtu;
  }

  set mtu(v: number) {
    this.port.mtu = v;
  }

  /** Administrative state (`ip link set … up/down`): a device that is down passes nothing either way. */
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
  onRead(handler: R | null): void {
    this.#reader = handler;
  }

  /** Observes what passes at the network side ("out": toward the network, "in": from it), for captures. */
  observe(o: PortObserver): () => void {
    return this.port.observe(o);
  }

  /** What the network side sends to the user side. */
  protected abstract fromNetwork(b: Uint8Array): void;

  /** Start of a user write: false (counted as a "carrier-down" rx drop) when the device is down. */
  protected userCanWrite(): boolean {
    if (this.port.up) return true;
    this.counters.dropRx("carrier-down");
    return false;
  }

  /** End of a user write that passed the checks: counts it as rx. */
  protected countUserWrite(b: Uint8Array): void {
    this.counters.rxPackets++;
    this.counters.rxBytes += b.length;
  }

  /**
   * The reader to hand `b` (which passed the checks) to, counting it as tx; null — counted as a
   * "carrier-down" tx drop, as Linux does for a device with no attached queue — when there is none.
   */
  protected readerFor(b: Uint8Array): R | null {
    const reader = this.#reader;
    if (reader === null) {
      this.counters.dropTx("carrier-down");
      return null;
    }
    this.counters.txPackets++;
    this.counters.txBytes += b.length;
    return reader;
  }
}
