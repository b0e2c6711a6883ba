/**
 * The other end of an attach point, as QEMU's backends behave: a stream peer that connects to a unix or
 * loopback-TCP socket (or wraps a socket it was given) and speaks length + frame, and a UDP peer that
 * sends one frame per datagram. vnet's own stand-ins for a VM, for tests, benchmarks and the child side
 * of `spawnAttached` (`node attach/peer-child.js`); not used by `vnet serve` itself.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createConnection, type Socket } from "node:net";
import type { Endpoint } from "./address.js";
import { type FramingError, StreamBatch, StreamDecoder } from "./framing.js";

export class StreamPeer {
  readonly received: Uint8Array[] = [];
  /** Frames received (also counted when `keep` is false). */
  count = 0;
  error: FramingError | null = null;
  #closed: Promise<void>;
  #onFrame: ((f: Uint8Array) => void) | null = null;
  readonly #decoder: StreamDecoder;

  constructor(
    readonly socket: Socket,
    opts: { readonly keep?: boolean; readonly maxFrameLen?: number } = {},
  ) {
    const keep = opts.keep ?? true;
    this.#decoder = new StreamDecoder(
      (f) => {
        this.count++;
        if (keep) this.received.push(f);
        this.#onFrame?.(f);
      },
      { maxFrameLen: opts.maxFrameLen ?? 65535 },
    );
    socket.on("data", (c: Buffer) => {
      const e = this.#decoder.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      if (e) this.error = e;
    });
    socket.on("error", () => {});
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  /** Connects to a stream attach point (unix or tcp endpoint). */
  static connect(to: Endpoint, opts: { readonly keep?: boolean } = {}): Promise<StreamPeer> {
    if (to.kind === "udp") throw new Error("StreamPeer: a udp endpoint is not a stream");
    const s = to.kind === "unix" ? createConnection(to.path) : createConnection(to.port, to.host);
    s.setNoDelay(true);
    return new Promise((resolve, reject) => {
      s.once("error", reject);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new StreamPeer(s, opts));
      });
    });
  }

  onFrame(fn: ((f: Uint8Array) => void) | null): void {
    this.#onFrame = fn;
  }

  /** Sends frames (length + frame each) in one write. */
  send(...frames: Uint8Array[]): void {
    const b = new StreamBatch();
    for (const f of frames) b.add(f);
    const bytes = b.take();
    if (bytes) this.socket.write(bytes);
  }

  /** Writes raw bytes (garbage, a cut frame). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves when `n` frames in all have arrived (rejects after `ms` wall-clock ms). */
  waitFor(n: number, ms = 5000): Promise<void> {
    return waitUntil(
      () => this.count >= n,
      ms,
      () => `${this.count} of ${n} frames arrived`,
    );
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  close(): Promise<void> {
    this.socket.end();
    return this.#closed;
  }
}

export class UdpPeer {
  readonly received: Uint8Array[] = [];
  private constructor(
    readonly socket: UdpSocket,
    readonly port: number,
    readonly to: { readonly host: string; readonly port: number },
  ) {
    socket.on("message", (m) => this.received.push(new Uint8Array(m.buffer, m.byteOffset, m.byteLength)));
  }

  /** Binds 127.0.0.1 (port 0: any) and sends to `to`. */
  static async open(to: { readonly host: string; readonly port: number }, port = 0): Promise<UdpPeer> {
    const s = createSocket("udp4");
    await new Promise<void>((resolve) => s.bind(port, "127.0.0.1", () => resolve()));
    return new UdpPeer(s, s.address().port, to);
  }

  send(frame: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(frame, this.to.port, this.to.host, (e) => (e ? reject(e) : resolve())),
    );
  }

  waitFor(n: number, ms = 5000): Promise<void> {
    return waitUntil(
      () => this.received.length >= n,
      ms,
      () => `${this.received.length} of ${n} datagrams`,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** Polls `cond` every millisecond of wall-clock time until it holds, or rejects after `ms`. */
export function waitUntil(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out: ${what()}`));
      else setTimeout(check, 1);
    };
    check();
  });
}
