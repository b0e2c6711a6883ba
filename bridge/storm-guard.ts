import type { Simulator } from "../sim/simulator.js";
import { formatTime, type SimTime } from "../sim/time.js";

/** Bounds of the storm guard: more than `maxFrames` copies out of the bridge within `interval`. */
export interface StormGuardOptions {
  readonly maxFrames?: number;
  readonly interval?: SimTime;
  /** Call `sim.stop()` when a storm is detected, so `run()` returns (default true). */
  readonly stopSimulator?: boolean;
}

export interface StormReport {
  readonly bridge: string;
  /** Simulated time the bound was crossed. */
  readonly at: SimTime;
  readonly frames: number;
  readonly interval: SimTime;
  /** "broadcast storm on bridge br0: 200001 frames in 0.100000000 s" */
  readonly message: string;
}

export const STORM_GUARD_DEFAULTS = { maxFrames: 200_000, interval: 100_000_000 } as const;

/**
 * Counts frames leaving a bridge per window of simulated time. Crossing `maxFrames` in one window
 * latches `flooding off` and records a report; reaching twice the bound latches `blocked` (no
 * forwarding at all). Latched, so a loop without STP always dies out and the run ends, even with
 * zero-delay links where simulated time never advances.
 */
export class StormGuard {
  readonly maxFrames: number;
  readonly interval: SimTime;
  readonly stopSimulator: boolean;
  readonly reports: StormReport[] = [];
  #windowEnd = 0;
  #count = 0;
  /** Flooding stopped. */
  storm = false;
  /** All forwarding stopped. */
  blocked = false;

  constructor(
    readonly sim: Simulator,
    readonly bridge: string,
    opts: StormGuardOptions,
  ) {
    this.maxFrames = opts.maxFrames ?? STORM_GUARD_DEFAULTS.maxFrames;
    this.interval = opts.interval ?? STORM_GUARD_DEFAULTS.interval;
    this.stopSimulator = opts.stopSimulator ?? true;
  }

  /** Adds `n` frames sent at the current instant. */
  count(n: number): void {
    const now = this.sim.now;
    if (now >= this.#windowEnd) {
      this.#windowEnd = now + this.interval;
      this.#count = 0;
    }
    this.#count += n;
    if (this.#count > this.maxFrames && !this.storm) this.#trip(now);
    if (this.#count >= 2 * this.maxFrames) this.blocked = true;
  }

  clear(): void {
    this.storm = false;
    this.blocked = false;
    this.#count = 0;
  }

  #trip(now: SimTime): void {
    this.storm = true;
    this.reports.push({
      bridge: this.bridge,
      at: now,
      frames: this.#count,
      interval: this.interval,
      message: `broadcast storm on bridge ${this.bridge}: ${this.#count} frames in ${formatTime(this.interval)} s`,
    });
    if (this.stopSimulator) this.sim.stop();
  }
}
