/**
 * An attach point: the end of a socket (or fd) that one real VM's NIC plugs into. It is port-like — frames
 * come in (`onFrame`), frames go out (`send`), a carrier that is up while a peer is connected (`onCarrier`),
 * counters and drops by reason — but it lives in the real world (Node I/O), not in the simulator: the
 * real-time driver (realtime.ts) carries its frames into the simulated network.
 *
 * Counters are the attach point's own: rx = frames that came in from the real VM, tx = frames sent to it.
 * Nothing here throws out of an I/O callback: bad input is counted, and a stream that cannot be framed any
 * more is closed with one log line (the peer may reconnect).
 */
import type { FlowControl } from "./flow.js";
import { maxFrameLenFor } from "./framing.js";

/** What an attach point is, in QEMU's words. */
export type AttachKind = "stream-server" | "stream-client" | "stream-fd" | "dgram" | "tap";

/** waiting: open, no peer yet (or the peer left); connected: carrier up; closed: closed for good. */
export type AttachState = "waiting" | "connected" | "closed";

/** Why a frame was not passed on. */
export type AttachDropReason =
  | "carrier-down"
  | "tx-queue-full"
  | "empty"
  | "too-long"
  | "foreign-source"
  | "send-error";

export class AttachCounters {
  /** Frames (and their bytes) that came in from the peer. */
  rxFrames = 0;
  rxBytes = 0;
  /** Frames (and their bytes) handed to the peer's socket. */
  txFrames = 0;
  txBytes = 0;
  /** Peers that connected / went away (a garbled stream closed by us counts as both a disconnect and an error). */
  connects = 0;
  disconnects = 0;
  /** Streams closed because they could not be framed (a bad length, a frame cut by the end of the stream). */
  framingErrors = 0;
  readonly rxDrops = new Map<AttachDropReason, number>();
  readonly txDrops = new Map<AttachDropReason, number>();

  dropRx(reason: AttachDropReason): void {
    this.rxDrops.set(reason, (this.rxDrops.get(reason) ?? 0) + 1);
  }

  dropTx(reason: AttachDropReason): void {
    this.txDrops.set(reason, (this.txDrops.get(reason) ?? 0) + 1);
  }

  snapshot(): AttachCountersSnapshot {
    return {
      rxFrames: this.rxFrames,
      rxBytes: this.rxBytes,
      txFrames: this.txFrames,
      txBytes: this.txBytes,
      connects: this.connects,
      disconnects: this.disconnects,
      framingErrors: this.framingErrors,
      rxDrops: Object.fromEntries(this.rxDrops),
      txDrops: Object.fromEntries(this.txDrops),
    };
  }
}

export interface AttachCountersSnapshot {
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly txFrames: number;
  readonly txBytes: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly framingErrors: number;
  readonly rxDrops: Readonly<Partial<Record<AttachDropReason, number>>>;
  readonly txDrops: Readonly<Partial<Record<AttachDropReason, number>>>;
}

/** Gets each frame the peer sent, in order. The frame must not be written to. */
export type AttachFrameHandler = (frame: Uint8Array, ap: AttachPoint) => void;
/** Carrier changes: true when a peer connected, false when it went away. */
export type AttachCarrierHandler = (up: boolean, ap: AttachPoint) => void;
/** One line for the user (no trailing newline). */
export type AttachLog = (line: string) => void;

export interface AttachOptions {
  /** MTU of the port behind it (default 1500): frames up to `maxFrameLenFor(mtu)` pass. */
  readonly mtu?: number;
  /** Where the attach point's one-line messages go (default: stderr, prefixed `vnet: `). */
  readonly log?: AttachLog;
  /**
   * Bytes that may wait to be written to the peer (the socket's buffer plus the batch being filled) before
   * frames are dropped as "tx-queue-full", as a TAP's txqueuelen (default 4 MiB: ~60 k small frames).
   */
  readonly txQueueBytes?: number;
  /**
   * Bytes waiting for the peer above which the peer counts as slow to read, and the attach point's flow
   * group (flow.ts) holds the other members' input back until the queue has drained (default: a quarter
   * of `txQueueBytes`, at most 1 MiB).
   */
  readonly highWaterBytes?: number;
}

export function stderrLog(line: string): void {
  process.stderr.write(`vnet: ${line}\n`);
}

export abstract class AttachPoint {
  readonly counters = new AttachCounters();
  readonly maxFrameLen: number;
  protected readonly log: AttachLog;
  protected readonly txQueueBytes: number;
  protected readonly highWaterBytes: number;
  #state: AttachState = "waiting";
  #flow: FlowControl | null = null;
  #congested = false;
  #onFrame: AttachFrameHandler | null = null;
  #onCarrier: AttachCarrierHandler | null = null;

  protected constructor(
    /** The port it stands for (`vm1.eth0`). */
    readonly name: string,
    readonly kind: AttachKind,
    opts: AttachOptions,
  ) {
    this.maxFrameLen = maxFrameLenFor(opts.mtu ?? 1500);
    this.log = opts.log ?? stderrLog;
    this.txQueueBytes = opts.txQueueBytes ?? 4 * 1024 * 1024;
    this.highWaterBytes = Math.max(
      1,
      Math.min(this.txQueueBytes, opts.highWaterBytes ?? Math.min(1024 * 1024, this.txQueueBytes >> 2)),
    );
  }

  /** Where it listens or what it is connected to, for messages: `unix:/run/vm1.sock`, `tcp:127.0.0.1:5000`. */
  abstract get address(): string;

  get state(): AttachState {
    return this.#state;
  }

  /** A peer is connected (streams), or a peer address is known (datagrams). */
  get carrier(): boolean {
    return this.#state === "connected";
  }

  onFrame(handler: AttachFrameHandler | null): void {
    this.#onFrame = handler;
  }

  onCarrier(handler: AttachCarrierHandler | null): void {
    this.#onCarrier = handler;
  }

  /** Sends one frame to the peer. False (counted) without a carrier or with a full queue. */
  abstract send(frame: Uint8Array): boolean;

  /** Writes out frames waiting in a batch (they are also flushed on their own, once per I/O turn). */
  flush(): void {}

  /** The peer is slow to read: more than `highWaterBytes` wait for it (flow control, flow.ts). */
  get congested(): boolean {
    return this.#congested;
  }

  /**
   * Stops reading from the peer (its writes block, nothing is lost) until `resumeInput`: what QEMU does to
   * a sender whose receiver cannot take more. Called by the flow group; a backend that cannot pause its
   * input (datagrams, TAP) ignores it.
   */
  pauseInput(): void {}

  /** Reads from the peer again (see `pauseInput`). */
  resumeInput(): void {}

  /** @internal Set by FlowControl.add/remove. */
  setFlowControl(flow: FlowControl | null): void {
    this.#flow = flow;
  }

  /** @internal The flow group's lines about this attach point go to its log. */
  flowLog(line: string): void {
    this.log(`attach ${line}`);
  }

  /** @internal Backends: the queue for the peer went above the high mark (true) or drained (false). */
  protected setCongested(on: boolean): void {
    if (this.#congested === on) return;
    this.#congested = on;
    this.#flow?.congestion(this, on);
  }

  /** Closes for good: the peer's connection, the listening socket (and its socket file). */
  abstract close(): Promise<void>;

  /** @internal Backends: a frame arrived from the peer. */
  protected received(frame: Uint8Array): void {
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.byteLength;
    const h = this.#onFrame;
    if (h !== null) h(frame, this);
  }

  /** @internal Backends: the state changed (carrier events fire on connected ↔ not connected). */
  protected setState(s: AttachState): void {
    const was = this.#state === "connected";
    this.#state = s;
    const is = s === "connected";
    if (was === is) return;
    if (is) this.counters.connects++;
    else this.counters.disconnects++;
    this.#onCarrier?.(is, this);
  }

  /** `vm1.eth0 (unix:/run/vm1.sock)`: how messages name it. */
  protected get label(): string {
    return `attach ${this.name} (${this.address})`;
  }
}
