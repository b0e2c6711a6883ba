/**
 * The real-time driver: runs a Simulator whose clock follows the wall clock, and brings frames from the
 * real world in at the simulated instant matching their arrival. The simulator itself is unchanged — it
 * still runs events in (time, sequence) order; the driver only decides how far to run it and when.
 * This is the one place (with the attach points) where vnet reads the wall clock or sets timers.
 *
 * Clock: `start()` pairs the wall clock now (`process.hrtime`, ns) with `sim.now`; from then on the
 * wall-clock sim time is `origin + elapsed ns`. Events run when the wall clock reaches their time (a
 * timer sleeps until then, at most `tickMs` at a time). When the simulation is slower than real time it
 * runs behind and catches up as fast as it can, in slices of `sliceEvents` so I/O is never starved.
 *
 * Injection: a frame that arrives when the wall clock reads sim time W enters at the first instant
 * T >= max(W, sim.now) at which no event has run: every event with time < T has run, none exists at T,
 * and the frame is handed in synchronously at sim.now = T (its consequences are events after it, run
 * soon after). Two consequences: injection times never decrease (and differ whenever the previous
 * injection caused any event), and a replay that schedules the recorded frames as events at their
 * times — each one when the previous one runs, as topology/edges.ts does — or that runs the simulator
 * up to T and then injects, executes exactly the same events in the same order as the live session did.
 */
import type { Simulator } from "../sim/simulator.js";
import type { SimTime } from "../sim/time.js";
import { FlowControl, type FlowControlOptions } from "./flow.js";

export interface RealtimeOptions {
  /** Wall clock in ns (default `process.hrtime.bigint`); tests pass a clock of their own. */
  readonly clock?: () => bigint;
  /** Longest sleep between runs (ms, default 1000); arriving frames wake the driver before that. */
  readonly tickMs?: number;
  /** Events per slice before yielding to I/O when behind (default 20000). */
  readonly sliceEvents?: number;
  /** The flow group of the attach points plugged in through this driver (flow.ts). */
  readonly flow?: FlowControlOptions;
}

export interface RealtimeStats {
  /** Frames (or other inputs) injected. */
  injections: number;
  /** Runs of the simulator (ticks, catch-ups). */
  runs: number;
  /** Events the driver ran. */
  events: number;
  /** Largest lag seen: wall-clock sim time minus sim.now when a run began (ns). */
  maxLag: number;
}

export class RealtimeDriver {
  readonly stats: RealtimeStats = { injections: 0, runs: 0, events: 0, maxLag: 0 };
  /** Back-pressure between the attach points plugged in through this driver (`plug` adds them). */
  readonly flow: FlowControl;
  readonly #sim: Simulator;
  readonly #clock: () => bigint;
  readonly #tickMs: number;
  readonly #slice: number;
  #originWall = 0n;
  #originSim: SimTime = 0;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#pump();
  };
  readonly #onImmediate = (): void => {
    this.#immediate = null;
    this.#pump();
  };

  constructor(sim: Simulator, opts: RealtimeOptions = {}) {
    this.#sim = sim;
    this.#clock = opts.clock ?? process.hrtime.bigint;
    this.#tickMs = Math.max(0, opts.tickMs ?? 1000);
    this.#slice = Math.max(1, opts.sliceEvents ?? 20_000);
    this.flow = new FlowControl(opts.flow);
  }

  get sim(): Simulator {
    return this.#sim;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Pairs the wall clock now with sim.now and starts running events as the wall clock reaches them. */
  start(): void {
    if (this.#running) return;
    this.#originWall = this.#clock();
    this.#originSim = this.#sim.now;
    this.#running = true;
    this.#pump();
  }

  /** Stops the timers (the simulator keeps its state and time) and the flow group's hold on its members. */
  stop(): void {
    this.#running = false;
    this.flow.close();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
  }

  /** The simulated time the wall clock has reached (never before sim.now). */
  wallTime(): SimTime {
    if (!this.#running) return this.#sim.now;
    const t = this.#originSim + Number(this.#clock() - this.#originWall);
    return t > this.#sim.now ? t : this.#sim.now;
  }

  /** Runs every event due by the wall clock (all of them, however long it takes); returns sim.now. */
  catchUp(): SimTime {
    const until = this.wallTime();
    this.#run(until, Number.POSITIVE_INFINITY);
    return this.#sim.now;
  }

  /**
   * Brings one input from the real world in: runs every event due by the wall clock, moves to the first
   * instant T at which no event ran (see the file comment), calls `fn(arg)` there (sim.now = T) and has
   * the consequences run soon. Returns T.
   */
  inject<A>(fn: (arg: A) => void, arg: A): SimTime {
    const sim = this.#sim;
    let t = this.wallTime();
    if (t > sim.now) this.#run(t - 1, Number.POSITIVE_INFINITY);
    // An event at exactly t (or the previous injection's consequences at t) ran: take the next ns.
    while (this.#run(t, Number.POSITIVE_INFINITY) > 0) t++;
    this.stats.injections++;
    fn(arg);
    this.#soon();
    return t;
  }

  /** Runs up to `until` (at most `maxEvents`); returns the number of events run. */
  #run(until: SimTime, maxEvents: number): number {
    const sim = this.#sim;
    const lag = until - sim.now;
    if (lag > this.stats.maxLag) this.stats.maxLag = lag;
    const r = sim.run({ until, maxEvents });
    this.stats.runs++;
    this.stats.events += r.events;
    return r.events;
  }

  #soon(): void {
    if (this.#running && this.#immediate === null) this.#immediate = setImmediate(this.#onImmediate);
  }

  /** Runs what is due (a slice of it when far behind), then sleeps until the next event or tick. */
  #pump(): void {
    if (!this.#running) return;
    const behind = this.#run(this.wallTime(), this.#slice) >= this.#slice;
    if (behind) {
      this.#soon();
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    // Sleep until the next event, at most tickMs (arriving frames wake the driver on their own).
    const next = this.#sim.nextEventTime;
    const untilNext = next === null ? this.#tickMs : (next - this.wallTime()) / 1e6;
    const delayMs = Math.max(0, Math.min(this.#tickMs, untilNext));
    this.#timer = setTimeout(this.#onTimer, delayMs);
  }
}
