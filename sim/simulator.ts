import { Rng } from "./rng.js";
import { formatTime, type SimTime } from "./time.js";

/** A scheduled event. `cancel()` is O(1): the entry stays in the heap and is skipped when it surfaces. */
export class Timer {
  /** @internal */ cancelled = false;
  /** @internal */ fn: (() => void) | null;
  constructor(
    readonly time: SimTime,
    /** @internal */ readonly seq: number,
    fn: () => void,
  ) {
    this.fn = fn;
  }
  get pending(): boolean {
    return !this.cancelled && this.fn !== null;
  }
  cancel(): void {
    this.cancelled = true;
    this.fn = null;
  }
}

export interface RunOptions {
  /** Stop before any event later than this time; the clock is then advanced to `until`. */
  readonly until?: SimTime;
  /** Stop after this many events (a guard against runaway runs). */
  readonly maxEvents?: number;
}

export interface RunResult {
  readonly events: number;
  readonly stoppedBy: "empty" | "until" | "maxEvents" | "stop";
  readonly now: SimTime;
}

export class SimulatorError extends Error {
  override readonly name = "SimulatorError";
}

/**
 * The discrete-event engine: a virtual clock in integer nanoseconds and an event queue ordered by
 * (time, sequence number), so events at the same instant run in the order they were scheduled (as in
 * ns-3). Nothing here reads the wall clock; randomness comes from `rng(name)` streams derived from
 * the seed. The queue is a binary min-heap of Timer objects.
 */
export class Simulator {
  readonly seed: number;
  #now: SimTime = 0;
  #seq = 0;
  #heap: Timer[] = [];
  #executed = 0;
  #stopRequested = false;
  readonly #rngs = new Map<string, Rng>();

  constructor(opts: { seed?: number } = {}) {
    this.seed = (opts.seed ?? 1) >>> 0;
  }

  get now(): SimTime {
    return this.#now;
  }

  /** Events executed since the simulator was made. */
  get executed(): number {
    return this.#executed;
  }

  /** Events waiting (cancelled ones not yet skipped included). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Runs `fn` after `delay` ns (0 = at the current instant, after the events already scheduled for it). */
  schedule(delay: SimTime, fn: () => void): Timer {
    if (!(delay >= 0) || !Number.isInteger(delay)) {
      throw new SimulatorError(`schedule: delay must be a non-negative integer of ns, got ${delay}`);
    }
    return this.#push(this.#now + delay, fn);
  }

  /** Runs `fn` at absolute time `time` (not before now). */
  at(time: SimTime, fn: () => void): Timer {
    if (!Number.isInteger(time) || time < this.#now) {
      throw new SimulatorError(
        `at: time ${time} is not an integer at or after now (${formatTime(this.#now)} s)`,
      );
    }
    return this.#push(time, fn);
  }

  cancel(t: Timer): void {
    t.cancel();
  }

  /** The named random stream for this simulator's seed (the same object on every call). */
  rng(name: string): Rng {
    let r = this.#rngs.get(name);
    if (!r) {
      r = Rng.derive(this.seed, name);
      this.#rngs.set(name, r);
    }
    return r;
  }

  /** Asks a running `run()` to return after the current event. */
  stop(): void {
    this.#stopRequested = true;
  }

  /** Runs the next pending event; false when there is none. */
  step(): boolean {
    const t = this.#popLive();
    if (!t) return false;
    this.#exec(t);
    return true;
  }

  run(opts: RunOptions = {}): RunResult {
    const until = opts.until ?? Number.POSITIVE_INFINITY;
    const maxEvents = opts.maxEvents ?? Number.POSITIVE_INFINITY;
    let events = 0;
    this.#stopRequested = false;
    for (;;) {
      if (events >= maxEvents) return { events, stoppedBy: "maxEvents", now: this.#now };
      if (this.#stopRequested) return { events, stoppedBy: "stop", now: this.#now };
      const head = this.#peekLive();
      if (!head) {
        if (Number.isFinite(until) && until > this.#now) this.#now = until;
        return { events, stoppedBy: Number.isFinite(until) ? "until" : "empty", now: this.#now };
      }
      if (head.time > until) {
        if (until > this.#now) this.#now = until; // never move the clock backwards
        return { events, stoppedBy: "until", now: this.#now };
      }
      this.#pop();
      this.#exec(head);
      events++;
    }
  }

  #exec(t: Timer): void {
    this.#now = t.time;
    const fn = t.fn!;
    t.fn = null;
    this.#executed++;
    fn();
  }

  #push(time: SimTime, fn: () => void): Timer {
    const t = new Timer(time, this.#seq++, fn);
    const h = this.#heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (p.time < time || (p.time === time && p.seq < t.seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = t;
    return t;
  }

  #peekLive(): Timer | undefined {
    const h = this.#heap;
    while (h.length > 0 && h[0].cancelled) this.#pop();
    return h[0];
  }

  #popLive(): Timer | undefined {
    const t = this.#peekLive();
    if (t) this.#pop();
    return t;
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (h[r].time < h[l].time || (h[r].time === h[l].time && h[r].seq < h[l].seq))) c = r;
        const hc = h[c];
        if (last.time < hc.time || (last.time === hc.time && last.seq < hc.seq)) break;
        h[i] = hc;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
