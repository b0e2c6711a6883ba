/**
 * Back-pressure between attach points, the way QEMU's net layer does it: when a receiver cannot take more
 * (QEMU: `qemu_can_receive_packet()` false, or a send queued instead of delivered), QEMU stops reading from
 * the sender's socket until the queue is flushed (`qemu_net_queue_flush` → the sender's `sent_cb` turns
 * its read handler back on). Between local sockets that means no loss: the sending VM's writes block
 * instead of its frames being dropped.
 *
 * vnet cannot tell which sender a frame came from once it is in the simulated network (a bridge decides),
 * so a flow group works like a hub: while any member's peer is slow to read (its queue of frames waiting
 * to be written is above the member's high mark), every OTHER member stops reading from its peer; reading
 * resumes when the slow queue has drained. A member never pauses itself (a peer that blocks on a write
 * while it is not reading would otherwise deadlock with us). Memory stays bounded: paused sockets hold at
 * most one read's worth each, and the slow member's queue is capped by its `txQueueBytes`.
 *
 * A peer that does not read for `stuckMs` (wall clock) is "stuck": it no longer holds the others back
 * (one log line); frames for it are then dropped and counted as `tx-queue-full` once its queue is full, as
 * a TAP with a full txqueuelen. When it reads again it rejoins (one log line). A peer that is gone is a
 * carrier-down drop, as before.
 *
 * Frames the simulated network makes on its own (a simulated host's flow to a real VM) cannot be held
 * back: they are what a too-slow peer loses at the hard limit. Datagram and TAP members take part as
 * receivers (their queues are the kernel's) but cannot pause their input.
 */
import type { AttachLog, AttachPoint } from "./attach-point.js";

export interface FlowControlOptions {
  /** Wall-clock ms a member may stay congested before it stops holding the others back (default 2000). */
  readonly stuckMs?: number;
  /** Where the stuck / reading-again lines go (default: each member's own log). */
  readonly log?: AttachLog;
}

export interface FlowStats {
  /** Times the group began holding its members' input back. */
  pauses: number;
  /** Times a member was declared stuck. */
  stuck: number;
}

export class FlowControl {
  readonly stats: FlowStats = { pauses: 0, stuck: 0 };
  readonly #stuckMs: number;
  readonly #log: AttachLog | null;
  readonly #members = new Set<AttachPoint>();
  /** Congested members that hold the others back. */
  readonly #congested = new Set<AttachPoint>();
  /** Congested members that have been so for longer than stuckMs. */
  readonly #stuck = new Set<AttachPoint>();
  readonly #timers = new Map<AttachPoint, NodeJS.Timeout>();
  readonly #paused = new Set<AttachPoint>();

  constructor(opts: FlowControlOptions = {}) {
    this.#stuckMs = Math.max(0, opts.stuckMs ?? 2000);
    this.#log = opts.log ?? null;
  }

  /** Adds an attach point: it holds the others back while congested, and is held back by them. */
  add(ap: AttachPoint): void {
    if (this.#members.has(ap)) return;
    this.#members.add(ap);
    ap.setFlowControl(this);
    if (ap.congested) this.congestion(ap, true);
    else this.#apply();
  }

  /** Takes an attach point out (its input resumes if this group held it). */
  remove(ap: AttachPoint): void {
    if (!this.#members.delete(ap)) return;
    ap.setFlowControl(null);
    this.#forget(ap);
    if (this.#paused.delete(ap)) ap.resumeInput();
    this.#apply();
  }

  /** Members currently held back (their input paused). */
  get paused(): number {
    return this.#paused.size;
  }

  /** @internal Called by a member when its queue goes above its high mark (true) or drains (false). */
  congestion(ap: AttachPoint, on: boolean): void {
    if (!this.#members.has(ap)) return;
    if (on) {
      if (this.#congested.has(ap) || this.#stuck.has(ap)) return;
      this.#congested.add(ap);
      const t = setTimeout(() => this.#declareStuck(ap), this.#stuckMs);
      t.unref?.();
      this.#timers.set(ap, t);
    } else {
      if (this.#stuck.has(ap))
        this.#say(ap, `${ap.name}: its peer reads again; holding the others back again when it is slow`);
      this.#forget(ap);
    }
    this.#apply();
  }

  /** Stops every timer and resumes every member's input (the group is done). */
  close(): void {
    for (const ap of [...this.#members]) this.remove(ap);
  }

  #forget(ap: AttachPoint): void {
    const t = this.#timers.get(ap);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(ap);
    this.#congested.delete(ap);
    this.#stuck.delete(ap);
  }

  #declareStuck(ap: AttachPoint): void {
    this.#timers.delete(ap);
    if (!this.#congested.delete(ap)) return;
    this.#stuck.add(ap);
    this.stats.stuck++;
    this.#say(
      ap,
      `${ap.name}: its peer has not read for ${this.#stuckMs} ms: no longer holding the others back ` +
        "(frames for it are dropped once its queue is full)",
    );
    this.#apply();
  }

  #say(ap: AttachPoint, line: string): void {
    if (this.#log !== null) this.#log(`attach ${line}`);
    else ap.flowLog(line);
  }

  /** Pauses every member some OTHER congested member holds back; resumes the rest. */
  #apply(): void {
    const n = this.#congested.size;
    const wasPaused = this.#paused.size > 0;
    for (const m of this.#members) {
      const hold = n - (this.#congested.has(m) ? 1 : 0) > 0;
      if (hold && !this.#paused.has(m)) {
        this.#paused.add(m);
        m.pauseInput();
      } else if (!hold && this.#paused.has(m)) {
        this.#paused.delete(m);
        m.resumeInput();
      }
    }
    if (!wasPaused && this.#paused.size > 0) this.stats.pauses++;
  }
}
