import type { IpStack } from "../ip/index.js";
import type { Simulator } from "../sim/simulator.js";
import type { Ipv4 } from "../wire/addr.js";

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
