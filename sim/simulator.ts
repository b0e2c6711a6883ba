import { Rng } from "./rng.js";
import { formatTime, type SimTime } from "./time.js";

/** The `arg` of the Timers `schedule` and `at` hand out. */
const PUBLIC: unique symbol = Symbol("public timer");

/**
 * A scheduled event. `cancel()` is O(1): the entry stays in the heap and is skipped when it surfaces.
 * The simulator also uses this class, unseen, for the events of `scheduleCall`/`atCall`, which it
 * recycles after they run (so those allocate nothing once the pool has grown).
 */
export class Timer {
  /** @internal Null once the event ran or was cancelled. */ fn: ((arg: unknown) => void) | null;
  /** @internal The argument of a recycled event; `PUBLIC` marks a Timer handed out (never recycled). */
  arg: unknown = PUBLIC;
  constructor(
    readonly time: SimTime,
    /** @internal */ readonly seq: number,
    fn: () => void,
  ) {
    this.fn = fn;
  }
  get pending(): boolean {
    return this.fn !== null;
  }
  cancel(): void {
    this.fn = null;
  }
}

/** A pooled event's fields, rewritten on reuse (`time` and `seq` are read-only to everyone else). */
type MutableTimer = { time: SimTime; seq: number; fn: ((arg: unknown) => void) | null; arg: unknown };

function noop(): void {}

/**
 * V8 stores a field as a small integer until a value above 2^31 arrives — about 2.15 simulated seconds
 * in ns — then changes the objects' layout and throws away the optimised code of every function that
 * touched them, mid-run. Storing a fraction into the fields first makes them doubles from the start.
 * (An engine detail: the clock and event times are still integers of ns.)
 */
new Timer(0.5, 0, noop);

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
  /** Executed `scheduleCall`/`atCall` records, ready for reuse. */
  readonly #pool: Timer[] = [];
  readonly #rngs = new Map<string, Rng>();

  constructor(opts: { seed?: number } = {}) {
    this.seed = (opts.seed ?? 1) >>> 0;
    this.#now = 0.5; // see the Timer above: a double field from the start
    this.#now = 0;
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
    const t = new Timer(this.#now + delay, this.#seq++, fn);
    this.#push(t);
    return t;
  }

  /** Runs `fn` at absolute time `time` (not before now). */
  at(time: SimTime, fn: () => void): Timer {
    if (!Number.isInteger(time) || time < this.#now) {
      throw new SimulatorError(
        `at: time ${time} is not an integer at or after now (${formatTime(this.#now)} s)`,
      );
    }
    const t = new Timer(time, this.#seq++, fn);
    this.#push(t);
    return t;
  }

  /**
   * Runs `fn(arg)` after `delay` ns, ordered exactly like `schedule` (same sequence numbers), but
   * fire-and-forget: there is no Timer to cancel, and the event's record is recycled after it runs, so
   * a hot path (a link delivering frames, a traffic generator's tick) allocates nothing per event.
   * Pass a function made once (a method bound at construction, a module-level function) and the
   * per-event data as `arg`, rather than a new closure each time.
   */
  scheduleCall<A>(delay: SimTime, fn: (arg: A) => void, arg: A): void {
    if (!(delay >= 0) || !Number.isInteger(delay)) {
      throw new SimulatorError(`scheduleCall: delay must be a non-negative integer of ns, got ${delay}`);
    }
    this.#pushPooled(this.#now + delay, fn as (arg: unknown) => void, arg);
  }

  /** `scheduleCall` at absolute time `time` (not before now). */
  atCall<A>(time: SimTime, fn: (arg: A) => void, arg: A): void {
    if (!Number.isInteger(time) || time < this.#now) {
      throw new SimulatorError(
        `atCall: time ${time} is not an integer at or after now (${formatTime(this.#now)} s)`,
      );
    }
    this.#pushPooled(time, fn as (arg: unknown) => void, arg);
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

  /**
   * Time of the earliest pending event (cancelled ones are skipped and dropped), or null when none is
   * pending. A real-time driver sleeps until then instead of polling.
   */
  get nextEventTime(): SimTime | null {
    const h = this.#heap;
    while (h.length > 0 && h[0].fn === null) this.#pop();
    return h.length === 0 ? null : h[0].time;
  }

  /** Asks a running `run()` to return after the current event. */
  stop(): void {
    this.#stopRequested = true;
  }

  /** Runs the next pending event; false when there is none. */
  step(): boolean {
    const h = this.#heap;
    while (h.length > 0 && h[0].fn === null) this.#pop();
    if (h.length === 0) return false;
    this.#exec(this.#pop());
    return true;
  }

  run(opts: RunOptions = {}): RunResult {
    const until = opts.until ?? Number.POSITIVE_INFINITY;
    const maxEvents = opts.maxEvents ?? Number.POSITIVE_INFINITY;
    const h = this.#heap;
    let events = 0;
    this.#stopRequested = false;
    for (;;) {
      if (events >= maxEvents) return { events, stoppedBy: "maxEvents", now: this.#now };
      if (this.#stopRequested) return { events, stoppedBy: "stop", now: this.#now };
      if (h.length === 0) {
        if (Number.isFinite(until) && until > this.#now) this.#now = until;
        return { events, stoppedBy: Number.isFinite(until) ? "until" : "empty", now: this.#now };
      }
      const head = h[0];
      if (head.fn === null) {
        this.#pop();
        continue;
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
    const fn = t.fn as (arg: unknown) => void;
    const arg = t.arg;
    t.fn = null;
    this.#executed++;
    if (arg === PUBLIC) {
      fn(undefined);
      return;
    }
    // Recycle before the call: the callback may schedule again and reuse this very record.
    t.arg = undefined;
    this.#pool.push(t);
    fn(arg);
  }

  #pushPooled(time: SimTime, fn: (arg: unknown) => void, arg: unknown): void {
    let t = this.#pool.pop();
    if (t === undefined) {
      t = new Timer(time, this.#seq++, noop);
    } else {
      const m = t as MutableTimer;
      m.time = time;
      m.seq = this.#seq++;
    }
    t.fn = fn;
    t.arg = arg;
    this.#push(t);
  }

  #push(t: Timer): void {
    const time = t.time;
    const seq = t.seq;
    const h = this.#heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (p.time < time || (p.time === time && p.seq < seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = t;
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as Timer;
    const n = h.length;
    if (n > 0) {
      const lt = last.time;
      const ls = last.seq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let c = l;
        let hc = h[l];
        const r = l + 1;
        if (r < n) {
          const hr = h[r];
          if (hr.time < hc.time || (hr.time === hc.time && hr.seq < hc.seq)) {
            c = r;
            hc = hr;
          }
        }
        if (lt < hc.time || (lt === hc.time && ls < hc.seq)) break;
        h[i] = hc;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
