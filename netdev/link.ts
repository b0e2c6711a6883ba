import type { Rng } from "../sim/rng.js";
import type { Simulator } from "../sim/simulator.js";
import type { SimTime } from "../sim/time.js";
import type { DropReason } from "./counters.js";
import { Fifo } from "./fifo.js";
import type { Port, PortPeer } from "./port.js";

/**
 * Jitter added to the propagation delay of each frame. `uniform`: an integer drawn uniformly from
 * [-max, +max] ns (netem `delay D J`); `normal`: Normal(0, sd) rounded to ns (netem `distribution
 * normal`). The total delay never goes below zero, and frames stay in order (see `LinkImpairments`).
 */
export type Jitter =
  | { readonly distribution: "uniform"; readonly max: SimTime }
  | { readonly distribution: "normal"; readonly sd: SimTime };

/**
 * Gilbert–Elliott burst loss, as Linux netem's `loss gemodel p r 1-h 1-k`: a two-state Markov chain
 * evaluated once per frame. `p`: P(good → bad), `r`: P(bad → good), `lossBad` (netem 1-h, default 1)
 * and `lossGood` (netem 1-k, default 0): loss probability in each state. As in the kernel
 * (`loss_gilb_ell`), the transition is drawn first and the loss uses the state the frame started in.
 */
export interface GilbertElliott {
  readonly model: "gilbert-elliott";
  readonly p: number;
  readonly r: number;
  readonly lossBad?: number;
  readonly lossGood?: number;
}

/** Random loss with probability 0..1 per frame, or Gilbert–Elliott bursts. */
export type Loss = number | GilbertElliott;

/**
 * netem's `reorder P gap G`: with a gap G ≥ 1 (default 1), after G-1 frames sent normally, the next
 * frame is, with probability P, sent without the propagation delay (it overtakes the frames in flight);
 * otherwise it is delayed as usual. Needs a delay to have a visible effect.
 */
export interface Reorder {
  readonly probability: number;
  readonly gap?: number;
}

/**
 * What a link does to frames in one direction. The default (nothing set) is a perfect link: no delay,
 * no loss, infinite rate, delivery through the simulator at the current instant.
 *
 * Order of operations per frame offered by the sending port (Linux netem's order):
 * duplicate (draw), loss (draw; a lost-and-duplicated frame goes once), then for each copy: the
 * transmit queue and serialisation at `rate`, corruption (a copy with one bit flipped), reordering,
 * propagation `delay` + `jitter`. Frames that are not picked for reordering keep FIFO order: a jittered
 * arrival earlier than the previous frame's is clamped to it (as netem keeps order when `rate` is set).
 */
export interface LinkImpairments {
  /** One-way propagation delay in ns (default 0). */
  readonly delay?: SimTime;
  readonly jitter?: Jitter;
  /** Line rate in bits per second (default: infinite, no serialisation delay). */
  readonly rate?: number;
  /** Bytes added to each frame's length for serialisation only (netem `rate R overhead N`; default 0). */
  readonly overhead?: number;
  /**
   * Drop-tail transmit queue in front of the line, used only when `rate` is set: frames waiting while an
   * earlier one is serialised, not counting the one on the wire. Limits in packets (default 1000, Linux's
   * txqueuelen) and bytes (default unlimited); a frame that would exceed either is dropped ("queue-full").
   */
  readonly queuePackets?: number;
  readonly queueBytes?: number;
  readonly loss?: Loss;
  /** Probability 0..1 that a frame is sent twice. */
  readonly duplicate?: number;
  readonly reorder?: Reorder;
  /** Probability 0..1 that a copy has one random bit flipped (the sender's buffer is never touched). */
  readonly corrupt?: number;
}

/** Link parameters; the default is a perfect link (no delay, no loss). */
export interface LinkOptions extends LinkImpairments {
  /** Names the link's random streams: `link:${name}:ab:loss` … (default `${a.name}-${b.name}`). */
  readonly name?: string;
  /** Impairments of the b → a direction, replacing the top-level ones for it (default: the same). */
  readonly reverse?: LinkImpairments;
}

/** Per-direction statistics. `offered + duplicated = delivered + dropped + inFlight` at every instant. */
export class LinkStats {
  /** Frames the sending port handed to the link. */
  offered = 0;
  offeredBytes = 0;
  /** Frames handed to the receiving port (which may still drop them, e.g. when it is down). */
  delivered = 0;
  deliveredBytes = 0;
  /** Extra copies made by duplication. */
  duplicated = 0;
  /** Copies delivered with a flipped bit. */
  corrupted = 0;
  /** Frames sent ahead of the propagation delay by reordering. */
  reordered = 0;
  dropped = 0;
  /** Drops by reason ("loss", "queue-full"), in first-occurrence order. */
  readonly dropReasons = new Map<DropReason, number>();
  /** Frames waiting in the transmit queue when the last frame was offered, and the most there ever were. */
  queued = 0;
  maxQueued = 0;

  get inFlight(): number {
    return this.offered + this.duplicated - this.delivered - this.dropped;
  }

  drop(reason: DropReason): void {
    this.dropped++;
    this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + 1);
  }
}

function checkProbability(what: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p <= 1))
    throw new RangeError(`link: ${what} must be a probability in 0..1, got ${p}`);
}

function checkTime(what: string, t: number | undefined): void {
  if (t !== undefined && !(Number.isInteger(t) && t >= 0))
    throw new RangeError(`link: ${what} must be a non-negative integer of ns, got ${t}`);
}

function validate(o: LinkImpairments): void {
  checkTime("delay", o.delay);
  if (o.jitter) checkTime("jitter", o.jitter.distribution === "uniform" ? o.jitter.max : o.jitter.sd);
  if (o.rate !== undefined && !(o.rate > 0))
    throw new RangeError(`link: rate must be > 0 bits/s, got ${o.rate}`);
  for (const [k, v] of [
    ["overhead", o.overhead],
    ["queuePackets", o.queuePackets],
    ["queueBytes", o.queueBytes],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v >= 0))
      throw new RangeError(`link: ${k} must be a non-negative integer, got ${v}`);
  if (typeof o.loss === "number") checkProbability("loss", o.loss);
  else if (o.loss) {
    checkProbability("loss.p", o.loss.p);
    checkProbability("loss.r", o.loss.r);
    checkProbability("loss.lossBad", o.loss.lossBad);
    checkProbability("loss.lossGood", o.loss.lossGood);
  }
  checkProbability("duplicate", o.duplicate);
  checkProbability("corrupt", o.corrupt);
  if (o.reorder) {
    checkProbability("reorder.probability", o.reorder.probability);
    const g = o.reorder.gap;
    if (g !== undefined && !(Number.isInteger(g) && g >= 1))
      throw new RangeError(`link: reorder.gap must be an integer >= 1, got ${g}`);
  }
}

/**
 * One direction of a link: the transmit queue, the line and the impairments, delivering to `to`.
 * Each frame is one fire-and-forget event (`atCall`) of one bound callback with the frame as its
 * argument: no closure and no queue per frame. Arrival times never go back (the FIFO clamp), so frames
 * arrive in the order they were sent, but for the ones reordering sends early.
 */
export class LinkDirection implements PortPeer {
  readonly stats = new LinkStats();
  readonly #sim: Simulator;
  readonly #to: Port;
  readonly #o: LinkImpairments;
  readonly #delay: number;
  readonly #rate: number;
  readonly #overhead: number;
  /** No random impairment in this direction: `transmit` goes straight to the queue and the line. */
  readonly #plain: boolean;
  /** The last frame length serialised and its time (frames of one length are the common case). */
  #txLen = -1;
  #txTime = 0;
  readonly #limitPackets: number;
  readonly #limitBytes: number;
  readonly #rngLoss: Rng;
  readonly #rngDup: Rng;
  readonly #rngCorrupt: Rng;
  readonly #rngJitter: Rng;
  readonly #rngReorder: Rng;
  /** When the line finishes serialising the last accepted frame. */
  #busyUntil = 0;
  /** Latest arrival time given to an in-order frame (FIFO clamp). */
  #lastArrival = 0;
  /** Start-of-serialisation times and lengths of the frames in the transmit queue (starts ascend). */
  readonly #waitStart = new Fifo<number>();
  readonly #waitLen = new Fifo<number>();
  #queuedBytes = 0;
  #geBad = false;
  #reorderCounter = 0;
  readonly #deliverOne = (frame: Uint8Array): void => {
    this.#deliver(frame);
  };

  constructor(sim: Simulator, to: Port, opts: LinkImpairments, streamPrefix: string) {
    validate(opts);
    this.#sim = sim;
    this.#to = to;
    this.#o = opts;
    this.#delay = opts.delay ?? 0;
    this.#rate = opts.rate ?? 0;
    this.#overhead = opts.overhead ?? 0;
    this.#plain =
      opts.duplicate === undefined &&
      opts.loss === undefined &&
      opts.corrupt === undefined &&
      opts.reorder === undefined &&
      opts.jitter === undefined;
    this.#limitPackets = opts.queuePackets ?? 1000;
    this.#limitBytes = opts.queueBytes ?? Number.POSITIVE_INFINITY;
    this.#rngLoss = sim.rng(`${streamPrefix}:loss`);
    this.#rngDup = sim.rng(`${streamPrefix}:duplicate`);
    this.#rngCorrupt = sim.rng(`${streamPrefix}:corrupt`);
    this.#rngJitter = sim.rng(`${streamPrefix}:jitter`);
    this.#rngReorder = sim.rng(`${streamPrefix}:reorder`);
  }

  /** The receiving port. */
  get to(): Port {
    return this.#to;
  }

  /** Serialisation time of a frame of `len` bytes at this direction's rate (0 without a rate). */
  txTime(len: number): SimTime {
    return this.#rate > 0 ? Math.ceil(((len + this.#overhead) * 8 * 1e9) / this.#rate) : 0;
  }

  peerUp(): boolean {
    return this.#to.up;
  }

  transmit(frame: Uint8Array): void {
    const st = this.stats;
    const o = this.#o;
    st.offered++;
    st.offeredBytes += frame.length;
    if (this.#plain) {
      this.#sendPlain(frame);
      return;
    }
    let copies = 1;
    if (o.duplicate !== undefined && this.#rngDup.chance(o.duplicate)) {
      copies++;
      st.duplicated++;
    }
    if (o.loss !== undefined && this.#lossEvent(o.loss)) {
      copies--;
      st.drop("loss");
    }
    for (let i = 0; i < copies; i++) this.#send(frame);
  }

  #lossEvent(loss: Loss): boolean {
    if (typeof loss === "number") return this.#rngLoss.chance(loss);
    const r = this.#rngLoss;
    if (!this.#geBad) {
      if (r.chance(loss.p)) this.#geBad = true;
      return r.chance(loss.lossGood ?? 0);
    }
    if (r.chance(loss.r)) this.#geBad = false;
    return r.chance(loss.lossBad ?? 1);
  }

  #send(original: Uint8Array): void {
    const o = this.#o;
    const st = this.stats;
    const len = original.length;
    const depart = this.#rate > 0 ? this.#lineDepart(len) : this.#sim.now;
    if (depart < 0) return;
    let frame = original;
    if (o.corrupt !== undefined && len > 0 && this.#rngCorrupt.chance(o.corrupt)) {
      frame = original.slice();
      const bit = this.#rngCorrupt.int(0, len * 8 - 1);
      frame[bit >>> 3] ^= 1 << (bit & 7);
      st.corrupted++;
    }
    if (o.reorder !== undefined) {
      const gap = o.reorder.gap ?? 1;
      if (this.#reorderCounter < gap - 1 || !this.#rngReorder.chance(o.reorder.probability)) {
        this.#reorderCounter++;
      } else {
        this.#reorderCounter = 0;
        st.reordered++;
        this.#sim.atCall(depart, this.#deliverOne, frame);
        return;
      }
    }
    let delay = this.#delay;
    const j = o.jitter;
    if (j !== undefined) {
      delay +=
        j.distribution === "uniform"
          ? this.#rngJitter.int(-j.max, j.max)
          : Math.round(this.#rngJitter.normal(0, j.sd));
      if (delay < 0) delay = 0;
    }
    this.#arrive(frame, depart + delay);
  }

  #txTimeCached(len: number): SimTime {
    if (len !== this.#txLen) {
      this.#txLen = len;
      this.#txTime = this.txTime(len);
    }
    return this.#txTime;
  }

  /** `#send` for a direction without random impairments (no duplicate, loss, corrupt, reorder or jitter). */
  #sendPlain(frame: Uint8Array): void {
    const depart = this.#rate > 0 ? this.#lineDepart(frame.length) : this.#sim.now;
    if (depart >= 0) this.#arrive(frame, depart + this.#delay);
  }

  /**
   * The queue and the line (with a rate): when a frame of `len` bytes offered now finishes
   * serialisation, or -1 when the queue is full (counted as "queue-full").
   */
  #lineDepart(len: number): SimTime {
    const now = this.#sim.now;
    const st = this.stats;
    const ws = this.#waitStart;
    // Frames whose serialisation has started have left the queue.
    while (ws.length > 0 && (ws.peek() as number) <= now) {
      ws.shift();
      this.#queuedBytes -= this.#waitLen.shift() as number;
    }
    let start = now;
    if (this.#busyUntil > now) {
      if (ws.length + 1 > this.#limitPackets || this.#queuedBytes + len > this.#limitBytes) {
        st.queued = ws.length;
        st.drop("queue-full");
        return -1;
      }
      start = this.#busyUntil;
      ws.push(start);
      this.#waitLen.push(len);
      this.#queuedBytes += len;
    }
    st.queued = ws.length;
    if (st.queued > st.maxQueued) st.maxQueued = st.queued;
    const depart = start + this.#txTimeCached(len);
    this.#busyUntil = depart;
    return depart;
  }

  /** Arrival at the far end, never before an earlier frame's (a link keeps order but for reordering). */
  #arrive(frame: Uint8Array, at: SimTime): void {
    const arrival = at < this.#lastArrival ? this.#lastArrival : at;
    this.#lastArrival = arrival;
    this.#sim.atCall(arrival, this.#deliverOne, frame);
  }

  #deliver(frame: Uint8Array): void {
    const st = this.stats;
    st.delivered++;
    st.deliveredBytes += frame.length;
    this.#to.deliver(frame);
  }
}

/**
 * A full-duplex link between two ports, with optional impairments per direction. A frame sent on one
 * side is delivered to the other through the simulator (never synchronously, even with zero delay), so
 * a flood through a bridge cannot recurse and event order is always (time, sequence). Randomness comes
 * from the streams `link:${name}:ab:*` and `link:${name}:ba:*`.
 */
export class Link {
  readonly a: Port;
  readonly b: Port;
  readonly name: string;
  /** a → b and b → a. */
  readonly ab: LinkDirection;
  readonly ba: LinkDirection;
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
    this.name = opts.name ?? `${a.name}-${b.name}`;
    const { name: _n, reverse, ...forward } = opts;
    this.ab = new LinkDirection(sim, b, forward, `link:${this.name}:ab`);
    this.ba = new LinkDirection(sim, a, reverse ?? forward, `link:${this.name}:ba`);
    a.attachPeer(this.ab);
    b.attachPeer(this.ba);
  }

  /** The direction whose frames `from` sends. */
  from(port: Port): LinkDirection {
    if (port === this.a) return this.ab;
    if (port === this.b) return this.ba;
    throw new Error(`link ${this.name}: ${port.name} is not one of its ports`);
  }

  /** Detaches both ports; frames already in flight are still delivered. */
  disconnect(): void {
    this.a.attachPeer(null);
    this.b.attachPeer(null);
  }
}

export function connect(sim: Simulator, a: Port, b: Port, opts: LinkOptions = {}): Link {
  return new Link(sim, a, b, opts);
}
