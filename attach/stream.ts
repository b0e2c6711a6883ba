/**
 * Stream attach points (QEMU `-netdev stream`, legacy `-netdev socket` over TCP): 4-byte big-endian length
 * + frame (framing.ts), over
 *
 * - a listening unix or loopback-TCP socket that QEMU connects to (`StreamServerAttach`; QEMU
 *   `stream,server=off,addr.type=unix|inet` or `socket,connect=127.0.0.1:N`);
 * - a connection vnet makes to a QEMU that listens (`StreamClientAttach`; QEMU `stream,server=on` or
 *   `socket,listen=127.0.0.1:N`), retried until it succeeds and after every disconnect;
 * - an inherited file descriptor (`StreamFdAttach`; QEMU `stream,addr.type=fd,addr.str=3` or
 *   `socket,fd=3`): `spawnAttached` starts a child with fd 3 as one end of a socket pair.
 *
 * One peer at a time, as QEMU's own stream server. Connect = carrier up, close = carrier down; a server or
 * client attach point then waits for the next peer. A length of 0 or above MTU + headers, or a frame cut
 * by the end of the stream, closes that connection with one log line (QEMU closes its side of a stream the
 * same way on a bad length); the rest of the network keeps running.
 *
 * Writes are batched: frames sent in one I/O turn go out in one `write` (StreamBatch). When more than
 * `highWaterBytes` wait for a peer, its attach point is congested and its flow group (flow.ts) stops
 * reading from the other peers until the queue has drained (QEMU's back-pressure); `pauseInput` stops
 * reading from this peer (the kernel's socket buffer fills and the peer's writes block).
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, Socket } from "node:net";
import { formatEndpoint } from "./address.js";
import { type AttachKind, type AttachOptions, AttachPoint } from "./attach-point.js";
import { type FramingError, StreamBatch, StreamDecoder } from "./framing.js";

/** Writes at least this many bytes at once instead of waiting for the end of the I/O turn. */
const FLUSH_BYTES = 64 * 1024;

abstract class StreamAttach extends AttachPoint {
  #socket: Socket | null = null;
  #peer = "";
  readonly #decoder: StreamDecoder;
  readonly #batch = new StreamBatch();
  #flushScheduled = false;
  #inputPaused = false;
  protected closing = false;
  readonly #flushSoon = (): void => this.flush();

  protected constructor(name: string, kind: AttachKind, opts: AttachOptions) {
    super(name, kind, opts);
    this.#decoder = new StreamDecoder((f) => this.received(f), { maxFrameLen: this.maxFrameLen });
  }

  /** The connected peer, as the socket names it (empty when none). */
  get peer(): string {
    return this.#peer;
  }

  protected get connectedSocket(): Socket | null {
    return this.#socket;
  }

  /** Takes `socket` as the peer's connection: carrier up. */
  protected adopt(socket: Socket, peer: string): void {
    this.#socket = socket;
    this.#peer = peer;
    this.#decoder.reset();
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      if (socket !== this.#socket) return;
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const err = this.#decoder.push(bytes);
      if (err) this.#garbled(socket, err);
    });
    if (this.#inputPaused) socket.pause();
    // Everything written has left for the kernel: the peer is reading again.
    socket.on("drain", () => {
      if (socket === this.#socket) this.setCongested(false);
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (socket !== this.#socket) return;
      if (!this.closing) this.log(`${this.label}: connection from ${peer} failed: ${e.code ?? e.message}`);
      this.#lost(socket);
    });
    socket.on("close", () => {
      if (socket !== this.#socket) return;
      const err = this.#decoder.end();
      if (err) this.#garbled(socket, err);
      else {
        if (!this.closing) this.log(`${this.label}: ${peer} disconnected (carrier down)`);
        this.#lost(socket);
      }
    });
    this.log(`${this.label}: ${peer} connected (carrier up)`);
    this.setState("connected");
  }

  #garbled(socket: Socket, err: FramingError): void {
    this.counters.framingErrors++;
    this.log(`${this.label}: closing the connection from ${this.#peer}: ${err.message}`);
    this.#lost(socket);
  }

  /** The connection is gone (closed by the peer, broken, or refused by us). */
  #lost(socket: Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#peer = "";
    this.#batch.take(); // frames for a peer that left are lost with it
    socket.destroy();
    this.setCongested(false);
    this.setState(this.closing ? "closed" : "waiting");
    if (!this.closing) this.peerLost();
  }

  /** What a subclass does when the peer went away (listen again, reconnect, or close for good). */
  protected abstract peerLost(): void;

  /** Bytes waiting for the peer: in Node's socket buffer and in the batch being filled. */
  #backlog(s: Socket): number {
    return s.writableLength + this.#batch.bytes;
  }

  override pauseInput(): void {
    this.#inputPaused = true;
    this.#socket?.pause();
  }

  override resumeInput(): void {
    this.#inputPaused = false;
    this.#socket?.resume();
  }

  send(frame: Uint8Array): boolean {
    const s = this.#socket;
    if (s === null) {
      this.counters.dropTx("carrier-down");
      return false;
    }
    const batch = this.#batch;
    const backlog = this.#backlog(s) + 4 + frame.byteLength;
    if (backlog > this.txQueueBytes) {
      // The peer stopped reading for long (or the simulated network alone sends faster than it reads).
      this.counters.dropTx("tx-queue-full");
      return false;
    }
    if (backlog > this.highWaterBytes) this.setCongested(true);
    batch.add(frame);
    this.counters.txFrames++;
    this.counters.txBytes += frame.byteLength;
    if (batch.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushSoon);
    }
    return true;
  }

  override flush(): void {
    this.#flushScheduled = false;
    const b = this.#batch.take();
    const s = this.#socket;
    // A write Node takes without queueing past its own mark: the peer is reading.
    if (b === null || s === null) return;
    if (s.write(b) && this.congested) this.setCongested(false);
  }

  /** Ends the current connection (frames already batched are written first). */
  protected endConnection(): Promise<void> {
    const s = this.#socket;
    if (s === null) return Promise.resolve();
    this.flush();
    return new Promise((resolve) => {
      s.once("close", () => resolve());
      s.end();
      // A peer that does not close its side within a moment is cut off.
      setTimeout(() => s.destroy(), 200).unref();
    });
  }
}

/** Where a stream server listens. */
export type StreamListen =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/**
 * A listening socket (unix path, or TCP on loopback) a QEMU connects to. A second peer while one is
 * connected is refused (closed at once, one log line); after a disconnect the next peer is welcome.
 */
export class StreamServerAttach extends StreamAttach {
  #server: Server | null = null;
  #where: StreamListen;

  private constructor(name: string, where: StreamListen, opts: AttachOptions) {
    super(name, "stream-server", opts);
    this.#where = where;
  }

  /** Opens the listening socket. A stale unix socket file is replaced; any other existing file is an error. */
  static async listen(
    name: string,
    where: StreamListen,
    opts: AttachOptions = {},
  ): Promise<StreamServerAttach> {
    const ap = new StreamServerAttach(name, where, opts);
    await ap.#open();
    return ap;
  }

  get address(): string {
    return formatEndpoint(this.#where);
  }

  /** The TCP port listened on (useful with port 0), or null for a unix socket. */
  get port(): number | null {
    return this.#where.kind === "tcp" ? this.#where.port : null;
  }

  async #open(): Promise<void> {
    const where = this.#where;
    if (where.kind === "unix") removeStaleSocket(where.path);
    const server = createServer({ noDelay: true, allowHalfOpen: false }, (socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (where.kind === "unix") server.listen(where.path, () => resolve());
      else server.listen(where.port, where.host, () => resolve());
    });
    server.on("error", (e) => this.log(`${this.label}: listening socket error: ${e.message}`));
    if (where.kind === "tcp") {
      const a = server.address();
      if (a !== null && typeof a === "object") this.#where = { ...where, port: a.port };
    }
    this.#server = server;
  }

  #accept(socket: Socket): void {
    const peer =
      this.#where.kind === "unix" ? "a peer" : `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connectedSocket !== null) {
      this.log(`${this.label}: refused a second connection from ${peer}: ${this.peer} is connected`);
      socket.destroy();
      return;
    }
    this.adopt(socket, peer);
  }

  protected peerLost(): void {}

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.endConnection();
    this.setState("closed");
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // net.Server removes its unix socket file on close; a file left by a crash is replaced on the next listen.
  }
}

/** A unix socket path left by a previous run is removed; a path that is not a socket is refused. */
function removeStaleSocket(path: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: not replacing it`);
  unlinkSync(path);
}

export interface StreamClientOptions extends AttachOptions {
  /** Wall-clock ms between connection attempts (default 1000). */
  readonly retryMs?: number;
}

/**
 * vnet connects to a QEMU that listens (`-netdev stream,server=on,…` or `-netdev socket,listen=…`), and
 * connects again after every disconnect or refused attempt (one log line per outage, not per attempt).
 */
export class StreamClientAttach extends StreamAttach {
  readonly #where: StreamListen;
  readonly #retryMs: number;
  #timer: NodeJS.Timeout | null = null;
  #pending: Socket | null = null;
  #failing = false;

  private constructor(name: string, where: StreamListen, opts: StreamClientOptions) {
    super(name, "stream-client", opts);
    this.#where = where;
    this.#retryMs = opts.retryMs ?? 1000;
  }

  /** Starts connecting (in the background: `state` is "waiting" until the peer accepts). */
  static connect(name: string, where: StreamListen, opts: StreamClientOptions = {}): StreamClientAttach {
    const ap = new StreamClientAttach(name, where, opts);
    ap.#attempt();
    return ap;
  }

  get address(): string {
    return formatEndpoint(this.#where);
  }

  #attempt(): void {
    this.#timer = null;
    if (this.closing) return;
    const w = this.#where;
    const s = w.kind === "unix" ? createConnection(w.path) : createConnection(w.port, w.host);
    this.#pending = s;
    const onError = (e: NodeJS.ErrnoException): void => {
      this.#pending = null;
      s.destroy();
      if (!this.#failing && !this.closing)
        this.log(
          `${this.label}: cannot connect (${e.code ?? e.message}); retrying every ${this.#retryMs} ms`,
        );
      this.#failing = true;
      this.#retry();
    };
    s.once("error", onError);
    s.once("connect", () => {
      s.off("error", onError);
      this.#pending = null;
      this.#failing = false;
      this.adopt(s, this.address);
    });
  }

  #retry(): void {
    if (this.closing || this.#timer !== null) return;
    this.#timer = setTimeout(() => this.#attempt(), this.#retryMs);
  }

  protected peerLost(): void {
    this.#retry();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending?.destroy();
    await this.endConnection();
    this.setState("closed");
  }
}

/**
 * A stream over a socket that already exists — an inherited fd, one end of a socket pair given to a child
 * (`spawnAttached`). Carrier is up from the start; when the peer closes, the attach point is closed for good.
 */
export class StreamFdAttach extends StreamAttach {
  readonly #label: string;

  constructor(name: string, socket: Socket, label: string, opts: AttachOptions = {}) {
    super(name, "stream-fd", opts);
    this.#label = label;
    this.adopt(socket, label);
  }

  /** A stream on an open file descriptor of this process (a socket). */
  static fromFd(name: string, fd: number, opts: AttachOptions = {}): StreamFdAttach {
    return new StreamFdAttach(name, new Socket({ fd, readable: true, writable: true }), `fd ${fd}`, opts);
  }

  get address(): string {
    return this.#label;
  }

  protected peerLost(): void {
    this.closing = true;
    this.setState("closed");
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.endConnection();
    this.setState("closed");
  }
}

export interface SpawnAttachedOptions extends AttachOptions {
  /** The child's fd that carries the stream (default 3: QEMU `addr.type=fd,addr.str=3`). */
  readonly fd?: number;
  /** Passed to child_process.spawn (stdio is set here: fds 0..2 inherited or as given, the stream fd a socket pair). */
  readonly spawn?: Omit<SpawnOptions, "stdio"> & {
    readonly stdio012?: readonly ("inherit" | "ignore" | "pipe")[];
  };
}

/**
 * Starts `command` with one end of a unix socket pair as its fd 3 (or `fd`) and returns the attach point on
 * the other end: no socket file, no port, no start-up race (REAL-VMS.md: QEMU
 * `-netdev stream,id=n0,addr.type=fd,addr.str=3`).
 */
export function spawnAttached(
  name: string,
  command: string,
  args: readonly string[],
  opts: SpawnAttachedOptions = {},
): { readonly child: ChildProcess; readonly attach: StreamFdAttach } {
  const fd = opts.fd ?? 3;
  if (!Number.isInteger(fd) || fd < 3) throw new Error(`spawnAttached: fd must be 3 or more, got ${fd}`);
  const { child, attaches } = spawnWithStreams([name], command, args, { ...opts, fd });
  return { child, attach: attaches[0] };
}

/**
 * Starts `command` with one socket pair end per name as its fds `fd`, `fd + 1`, … (default 3, 4, …: a
 * QEMU with one `-netdev stream,addr.type=fd,addr.str=N` per NIC) and returns an attach point on each
 * other end, in order. With `paused`, the attach points do not read until `resumeInput()` (so nothing
 * arrives before the caller has plugged them in).
 */
export function spawnWithStreams(
  names: readonly string[],
  command: string,
  args: readonly string[],
  opts: SpawnAttachedOptions & { readonly paused?: boolean } = {},
): { readonly child: ChildProcess; readonly attaches: readonly StreamFdAttach[] } {
  const first = opts.fd ?? 3;
  if (!Number.isInteger(first) || first < 3)
    throw new Error(`spawnWithStreams: fd must be 3 or more, got ${first}`);
  const base = opts.spawn?.stdio012 ?? ["ignore", "inherit", "inherit"];
  const stdio: ("inherit" | "ignore" | "pipe")[] = [...base];
  while (stdio.length < first) stdio.push("ignore");
  for (const _ of names) stdio.push("pipe");
  const { stdio012: _ignored, ...spawnOpts } = opts.spawn ?? {};
  const child = spawn(command, [...args], { ...spawnOpts, stdio });
  const attaches = names.map((name, i) => {
    const fd = first + i;
    const end = child.stdio[fd];
    if (!(end instanceof Socket)) throw new Error(`spawnWithStreams: no socket for fd ${fd} of ${command}`);
    if (opts.paused) end.pause();
    const ap = new StreamFdAttach(name, end, `fd ${fd} of ${command} (pid ${child.pid ?? "?"})`, opts);
    if (opts.paused) ap.pauseInput();
    return ap;
  });
  return { child, attaches };
}
