import { Rng } from "./rng.js";
import { formatTime, type SimTime } from "./time.js";

/** The `arg` of the Timers `schedule` and `at` hand out. */
const PUBLIC: unique symbol = Symbol("public timer");

/**
 * A scheduled event. `cancel()` is O(1): the entry stays in the queue and is skipped when it surfaces.
 * The simulator also uses this class, unseen, for the events of `scheduleCall`/`atCall` that go to
 * its heap, and recycles them after they run (so those allocate nothing once the pool has grown; their
 * `time` and `seq` are not kept up to date, the heap holds both).
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

function noop(): void {}

/**
 * V8 stores a field as a small integer until a value above 2^31 arrives — about 2.15 simulated seconds
 * in ns — then changes the objects' layout and throws away the optimised code of every function that
 * touched them, mid-run. Storing a fraction into the fields first makes them doubles from the start.
 * (An engine detail: the clock and event times are still integers of ns.)
 */
const EMPTY = new Timer(0.5, 0, noop);
EMPTY.fn = null;

/** First capacity of the queue's arrays (doubled when full, never shrunk). */
const INITIAL_CAPACITY = 256;

/** Most lanes a simulator keeps (each costs one comparison per event taken). */
const MAX_LANES = 4;

/** A lane's function for a public Timer's entry (its argument is the Timer); never called. */
function runTimer(_t: unknown): void {}

function noArg(_arg: unknown): void {}

/**
 * A FIFO of events all scheduled `delay` ns after the instant they were scheduled at. The clock never
 * goes back and sequence numbers only grow, so such events arrive in (time, seq) order: appending
 * keeps the lane sorted, and its head is its least event. A ring of parallel arrays (capacity a power
 * of two, doubled when full) holding each event's function and argument — no record per event (a
 * public Timer is held as `runTimer` with the Timer as its argument).
 */
class Lane {
  /** The lane's delay; -0.5 (never a delay) until claimed, a double field from the start (see Timer). */
  delay = -0.5;
  times = new Float64Array(64);
  seqs = new Float64Array(64);
  fns: ((arg: unknown) => void)[] = new Array<(arg: unknown) => void>(64).fill(noArg);
  args: unknown[] = new Array<unknown>(64).fill(undefined);
  head = 0;
  length = 0;
  mask = 63;

  push(time: SimTime, seq: number, fn: (arg: unknown) => void, arg: unknown): void {
    if (this.length > this.mask) this.#grow();
    const i = (this.head + this.length) & this.mask;
    this.times[i] = time;
    this.seqs[i] = seq;
    this.fns[i] = fn;
    this.args[i] = arg;
    this.length++;
  }

  /** The head is a cancelled Timer. */
  headCancelled(): boolean {
    const h = this.head;
    return this.fns[h] === runTimer && (this.args[h] as Timer).fn === null;
  }

  shift(): void {
    const h = this.head;
    this.fns[h] = noArg; // keep no reference to what ran
    this.args[h] = undefined;
    this.head = (h + 1) & this.mask;
    this.length--;
  }

  #grow(): void {
    const cap = (this.mask + 1) * 2;
    const t = new Float64Array(cap);
    const q = new Float64Array(cap);
    const f = new Array<(arg: unknown) => void>(cap).fill(noArg);
    const a = new Array<unknown>(cap).fill(undefined);
    for (let k = 0; k < this.length; k++) {
      const j = (this.head + k) & this.mask;
      t[k] = this.times[j];
      q[k] = this.seqs[j];
      f[k] = this.fns[j];
      a[k] = this.args[j];
    }
    this.times = t;
    this.seqs = q;
    this.fns = f;
    this.args = a;
    this.head = 0;
    this.mask = cap - 1;
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
 * the seed.
 *
 * The queue: events scheduled a fixed delay ahead (a link's hop, a flow's period) go to a lane for
 * that delay, a FIFO that is sorted by construction (see `Lane`); the rest go to a binary min-heap.
 * The next event is the least of the heap's top and the lanes' heads by (time, seq), so the order is
 * exactly the one a single heap gives, while most events cost an append and a few comparisons.
 */
export class Simulator {
  readonly seed: number;
  #now: SimTime = 0;
  #seq = 0;
  /**
   * The heap: a binary min-heap by (time, seq) kept in parallel arrays — times and sequence numbers in
   * Float64Arrays beside the event records — so a comparison reads two numbers straight from memory,
   * never an object.
   */
  #times = new Float64Array(INITIAL_CAPACITY);
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #events: Timer[] = new Array<Timer>(INITIAL_CAPACITY).fill(EMPTY);
  #size = 0;
  readonly #lanes: Lane[] = [];
  /** Events in the heap and the lanes. */
  #count = 0;
  /**
   * Where the least pending event is: -1 the heap's top, k ≥ 0 lane k, -2 nothing pending. Valid
   * after `#findNext()` until the queue changes.
   */
  #nextSrc = -2;
  #nextTime = 0;
  /** The delay of the last event that went to the heap. */
  #lastHeapDelay = -0.5;
  /** Executed heap records of `scheduleCall`/`atCall` events, ready for reuse. */
  readonly #pool: Timer[] = [];
  #executed = 0;
  #stopRequested = false;
  readonly #rngs = new Map<string, Rng>();

  constructor(opts: { seed?: number } = {}) {
    this.seed = (opts.seed ?? 1) >>> 0;
    this.#now = 0.5; // double fields from the start (see the Timer above)
    this.#now = 0;
    this.#nextTime = 0.5;
    this.#nextTime = 0;
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
    return this.#count;
  }

  /** Runs `fn` after `delay` ns (0 = at the current instant, after the events already scheduled for it). */
  schedule(delay: SimTime, fn: () => void): Timer {
    if (!(delay >= 0) || !Number.isInteger(delay)) {
      throw new SimulatorError(`schedule: delay must be a non-negative integer of ns, got ${delay}`);
    }
    const t = new Timer(this.#now + delay, this.#seq++, fn);
    this.#enqueue(t.time, t.seq, runTimer, t);
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
    this.#enqueue(time, t.seq, runTimer, t);
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
    this.#pushCall(this.#now + delay, fn as (arg: unknown) => void, arg);
  }

  /** `scheduleCall` at absolute time `time` (not before now). */
  atCall<A>(time: SimTime, fn: (arg: A) => void, arg: A): void {
    if (!Number.isInteger(time) || time < this.#now) {
      throw new SimulatorError(
        `atCall: time ${time} is not an integer at or after now (${formatTime(this.#now)} s)`,
      );
    }
    this.#pushCall(time, fn as (arg: unknown) => void, arg);
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
    this.#skipCancelled();
    return this.#nextSrc === -2 ? null : this.#nextTime;
  }

  /** Asks a running `run()` to return after the current event. */
  stop(): void {
    this.#stopRequested = true;
  }

  /** Runs the next pending event; false when there is none. */
  step(): boolean {
    this.#skipCancelled();
    if (this.#nextSrc === -2) return false;
    this.#runNext();
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
      const src = this.#findNext();
      if (src === -2) {
        if (Number.isFinite(until) && until > this.#now) this.#now = until;
        return { events, stoppedBy: Number.isFinite(until) ? "until" : "empty", now: this.#now };
      }
      if (src === -1 ? this.#events[0].fn === null : this.#lanes[src].headCancelled()) {
        this.#remove(src);
        continue;
      }
      if (this.#nextTime > until) {
        if (until > this.#now) this.#now = until; // never move the clock backwards
        return { events, stoppedBy: "until", now: this.#now };
      }
      this.#runNext();
      events++;
    }
  }

  /**
   * Finds the least pending event by (time, seq) among the heap's top and the lanes' heads: sets and
   * returns `#nextSrc` (-1 heap, k lane k, -2 none) and `#nextTime`.
   */
  #findNext(): number {
    let src = -2;
    let bt = 0;
    let bs = 0;
    if (this.#size > 0) {
      src = -1;
      bt = this.#times[0];
      bs = this.#seqs[0];
    }
    const lanes = this.#lanes;
    for (let k = 0; k < lanes.length; k++) {
      const l = lanes[k];
      if (l.length === 0) continue;
      const t = l.times[l.head];
      if (src === -2 || t < bt || (t === bt && l.seqs[l.head] < bs)) {
        src = k;
        bt = t;
        bs = l.seqs[l.head];
      }
    }
    this.#nextSrc = src;
    this.#nextTime = bt;
    return src;
  }

  /** Removes the least pending event, found by `#findNext()` at `src`. */
  #remove(src: number): void {
    this.#count--;
    if (src === -1) this.#pop();
    else this.#lanes[src].shift();
  }

  /** Drops cancelled Timers from the head of the queue; leaves `#findNext()`'s result for what remains. */
  #skipCancelled(): void {
    for (;;) {
      const src = this.#findNext();
      if (src === -2) return;
      if (src === -1 ? this.#events[0].fn !== null : !this.#lanes[src].headCancelled()) return;
      this.#remove(src);
    }
  }

  /** Removes the least pending event (found by `#findNext()`, not a cancelled one) and runs it. */
  #runNext(): void {
    const src = this.#nextSrc;
    this.#count--;
    this.#now = this.#nextTime;
    this.#executed++;
    if (src !== -1) {
      const l = this.#lanes[src];
      const h = l.head;
      const fn = l.fns[h];
      const arg = l.args[h];
      l.shift();
      if (fn === runTimer) {
        const t = arg as Timer;
        const f = t.fn as (arg: unknown) => void;
        t.fn = null;
        f(undefined);
        return;
      }
      fn(arg);
      return;
    }
    const t = this.#events[0];
    this.#pop();
    const fn = t.fn as (arg: unknown) => void;
    const arg = t.arg;
    t.fn = null;
    if (arg === PUBLIC) {
      fn(undefined);
      return;
    }
    // Recycle before the call: the callback may schedule again and reuse this very record.
    t.arg = undefined;
    this.#pool.push(t);
    fn(arg);
  }

  #pushCall(time: SimTime, fn: (arg: unknown) => void, arg: unknown): void {
    this.#enqueue(time, this.#seq++, fn, arg);
  }

  /**
   * Into the lane for this delay (or a free lane, see below), else into the heap. `fn` is `runTimer`
   * and `arg` the Timer for a public Timer.
   */
  #enqueue(time: SimTime, seq: number, fn: (arg: unknown) => void, arg: unknown): void {
    this.#count++;
    const d = time - this.#now;
    const lanes = this.#lanes;
    let free: Lane | null = null;
    for (let k = 0; k < lanes.length; k++) {
      const l = lanes[k];
      if (l.delay === d) {
        l.push(time, seq, fn, arg);
        return;
      }
      if (free === null && l.length === 0) free = l;
    }
    // A lane is claimed for a delay seen twice in a row at the heap (a repeating pattern, not one-offs).
    if (d === this.#lastHeapDelay) {
      if (free === null && lanes.length < MAX_LANES) {
        free = new Lane();
        lanes.push(free);
      }
      if (free !== null) {
        free.delay = d;
        free.push(time, seq, fn, arg);
        return;
      }
    }
    this.#lastHeapDelay = d;
    if (fn === runTimer) {
      this.#push(time, seq, arg as Timer);
      return;
    }
    // The heap holds event records: a recycled one for a fire-and-forget call.
    let t = this.#pool.pop();
    if (t === undefined) t = new Timer(time, 0, noop);
    t.fn = fn;
    t.arg = arg;
    this.#push(time, seq, t);
  }

  #push(time: SimTime, seq: number, ev: Timer): void {
    let i = this.#size;
    if (i === this.#times.length) this.#grow();
    this.#size = i + 1;
    const T = this.#times;
    const S = this.#seqs;
    const E = this.#events;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = T[p];
      if (pt < time || (pt === time && S[p] < seq)) break;
      T[i] = pt;
      S[i] = S[p];
      E[i] = E[p];
      i = p;
    }
    T[i] = time;
    S[i] = seq;
    E[i] = ev;
  }

  /** Removes the head of the queue. */
  #pop(): void {
    const n = this.#size - 1;
    this.#size = n;
    const T = this.#times;
    const S = this.#seqs;
    const E = this.#events;
    const lt = T[n];
    const ls = S[n];
    const le = E[n];
    E[n] = EMPTY; // keep no reference to what ran
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = T[c];
      const r = c + 1;
      if (r < n) {
        const rt = T[r];
        if (rt < ct || (rt === ct && S[r] < S[c])) {
          c = r;
          ct = rt;
        }
      }
      if (lt < ct || (lt === ct && ls < S[c])) break;
      T[i] = ct;
      S[i] = S[c];
      E[i] = E[c];
      i = c;
    }
    T[i] = lt;
    S[i] = ls;
    E[i] = le;
  }

  #grow(): void {
    const cap = this.#times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.#times);
    this.#times = t;
    const q = new Float64Array(cap);
    q.set(this.#seqs);
    this.#seqs = q;
    const e = new Array<Timer>(cap).fill(EMPTY);
    for (let k = 0; k < this.#size; k++) e[k] = this.#events[k];
    this.#events = e;
  }
}
