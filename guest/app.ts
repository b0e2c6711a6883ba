import type { IpStack } from "../ip/index.js";
import type { Simulator, Timer } from "../sim/simulator.js";
import { formatIpv4, type Ipv4 } from "../wire/addr.js";

/** Bad arguments given to a guest's API (never thrown for packets). */
export class GuestError extends Error {
  override readonly name = "GuestError";
}

/** A running application of a guest (ping, UDP echo client, flow, sink, DHCP client). */
export interface GuestApp {
  /** The guest stopped: end now (apps finish and report; the DHCP client pauses). */
  halt(): void;
}

/** What an application needs from its guest. */
export interface GuestHost {
  readonly sim: Simulator;
  readonly stack: IpStack;
  readonly name: string;
  readonly running: boolean;
  /** An address as given, or a name resolved by the guest's stub resolver; `error` is ping's text when it fails. */
  resolveTarget(target: Ipv4 | string, cb: (ip: Ipv4 | null, error: string | null) => void): void;
  track(app: GuestApp): void;
  untrack(app: GuestApp): void;
}

/** A positive integer option, or the default. */
export function intOption(v: number | undefined, def: number, what: string, min = 1): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min) throw new GuestError(`${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * The lifecycle ping, the UDP echo client and the UDP flow share: resolve the target (then `begin`, or
 * end with the resolver's error), `onDone` handlers called once with `result()`, and `stop`/`halt` ending
 * the session (timer cancelled, socket closed, untracked). A subclass validates its options, then calls
 * `launch(target)` last in its constructor (resolution may answer at once).
 */
export abstract class GuestSession<R, S extends { close(): void }> implements GuestApp {
  /** The target as given. */
  readonly host: string;
  protected readonly g: GuestHost;
  /** Its address once resolved. */
  protected dst: Ipv4 | null = null;
  protected sock: S | null = null;
  /** The pending send or exit timer, cancelled when the session ends. */
  protected timer: Timer | null = null;
  #doneHandlers: ((r: R) => void)[] = [];
  #done = false;
  #error: string | null = null;

  protected constructor(g: GuestHost, target: Ipv4 | string) {
    this.g = g;
    this.host = typeof target === "string" ? target : formatIpv4(target);
  }

  abstract result(): R;

  /** Called once with the target's address. */
  protected abstract begin(ip: Ipv4): void;

  protected launch(target: Ipv4 | string): void {
    this.g.track(this);
    this.g.resolveTarget(target, (ip, err) => {
      if (this.#done) return;
      if (ip === null) this.fail(err ?? `${this.host}: Name or service not known`);
      else this.begin(ip);
    });
  }

  /** Calls `h` once when the session has finished (at once if it already has). */
  onDone(h: (r: R) => void): void {
    if (this.#done) h(this.result());
    else this.#doneHandlers.push(h);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Why the session could not run (unknown host, no route), else null. */
  protected get error(): string | null {
    return this.#error;
  }

  /** Ends the session now (as Ctrl-C does). */
  stop(): void {
    this.finish();
  }

  halt(): void {
    this.finish();
  }

  protected fail(error: string): void {
    this.#error = error;
    this.finish();
  }

  protected finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.timer?.cancel();
    this.timer = null;
    this.sock?.close();
    this.sock = null;
    this.g.untrack(this);
    const r = this.result();
    const hs = this.#doneHandlers;
    this.#doneHandlers = [];
    for (const h of hs) h(r);
  }
}
